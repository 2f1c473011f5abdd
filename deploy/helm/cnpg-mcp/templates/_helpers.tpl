{{/* Names, labels and the few values several templates derive alike. */}}

{{- define "cnpg-mcp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cnpg-mcp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cnpg-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cnpg-mcp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cnpg-mcp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "cnpg-mcp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cnpg-mcp
{{- end }}

{{- define "cnpg-mcp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cnpg-mcp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cnpg-mcp.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The namespaces the server may act in, comma-separated: rbac.namespaces, else the release namespace. */}}
{{- define "cnpg-mcp.namespaces" -}}
{{- join "," (default (list .Release.Namespace) .Values.rbac.namespaces) }}
{{- end }}

{{- define "cnpg-mcp.authSecretName" -}}
{{- default (printf "%s-auth" (include "cnpg-mcp.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/* Where the Secrets are mounted: each a whole directory, so kubelet updates reach the pod. */}}
{{- define "cnpg-mcp.authDir" -}}/var/run/secrets/cnpg-mcp{{- end }}
{{- define "cnpg-mcp.tlsDir" -}}/var/run/secrets/cnpg-mcp-tls{{- end }}

{{- define "cnpg-mcp.redisEnabled" -}}
{{- if or .Values.redis.url .Values.redis.existingSecret.name }}true{{ end }}
{{- end }}

{{- define "cnpg-mcp.metricsSeparate" -}}
{{- if not (kindIs "invalid" .Values.metrics.port) }}true{{ end }}
{{- end }}

{{- define "cnpg-mcp.scheme" -}}
{{- if .Values.tls.enabled }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
The RBAC rules: exactly the calls the registered tools make (src/cnpg/client.ts, src/tools/*.ts),
in three tiers that follow the server's mode. docs/deployment.md maps each verb to its tools, and
e2e/rbac.e2e.ts proves every tool works with them and that nothing else is allowed.
  read         every mode: list/get tools, the shared watch cache (list+watch), wait=true (watch)
  write        not --read-only: create and patch tools
  destructive  neither --read-only nor --disable-destructive: delete tools, promote, restart one instance,
               destroy one instance (its PVCs and jobs, as kubectl cnpg destroy)
*/}}
{{- define "cnpg-mcp.rbacRules" -}}
{{- $write := not .Values.server.readOnly -}}
{{- $destructive := and $write (not .Values.server.disableDestructive) -}}
{{- /* Reading Secrets hands out passwords: a read-only server gets it only with its own opt-in,
       server.readOnlyCredentials (--read-only-credentials), as the server itself refuses
       credentials in read-only mode without that flag (issue #12, item 18). */}}
{{- $readSecrets := and .Values.rbac.readSecrets (or $write .Values.server.readOnlyCredentials) -}}
{{- $rules := list
  (dict "group" "postgresql.cnpg.io" "resource" "clusters"         "read" (list "get" "list" "watch") "write" (list "create" "patch") "destructive" (list "delete"))
  (dict "group" "postgresql.cnpg.io" "resource" "clusters/status"  "read" list                         "write" list                     "destructive" (list "patch"))
  (dict "group" "postgresql.cnpg.io" "resource" "backups"          "read" (list "get" "list" "watch") "write" (list "create")         "destructive" list)
  (dict "group" "postgresql.cnpg.io" "resource" "scheduledbackups" "read" (list "get" "list" "watch") "write" (list "create")         "destructive" (list "delete"))
  (dict "group" "postgresql.cnpg.io" "resource" "poolers"          "read" (list "get" "list" "watch") "write" (list "create")         "destructive" (list "delete"))
  (dict "group" "postgresql.cnpg.io" "resource" "databases"        "read" (list "get" "list" "watch") "write" (list "create" "patch") "destructive" (list "delete"))
  (dict "group" "postgresql.cnpg.io" "resource" "databaseroles"    "read" (list "get" "list" "watch") "write" (list "patch")          "destructive" (list "delete"))
  (dict "group" ""                   "resource" "pods"             "read" (list "list")               "write" list                     "destructive" (list "delete"))
  (dict "group" ""                   "resource" "pods/log"         "read" (list "get")                "write" list                     "destructive" list)
  (dict "group" ""                   "resource" "pods/proxy"       "read" (list "get")                "write" list                     "destructive" list)
  (dict "group" ""                   "resource" "events"           "read" (list "list")               "write" list                     "destructive" list)
  (dict "group" ""                   "resource" "persistentvolumeclaims" "read" list               "write" list                     "destructive" (list "list" "delete"))
  (dict "group" "batch"              "resource" "jobs"             "read" list                         "write" list                     "destructive" (list "list" "delete"))
  (dict "group" ""                   "resource" "secrets"          "read" (ternary (list "get") list $readSecrets) "write" (list "create" "patch") "destructive" (list "delete"))
-}}
{{- /* query_postgres (sql.enabled): exec is how it reaches psql; nothing else needs it. */}}
{{- if .Values.sql.enabled }}
{{- $rules = append $rules (dict "group" "" "resource" "pods/exec" "read" (list "create") "write" list "destructive" list) }}
{{- end }}
{{- range $rules }}
{{- $verbs := .read }}
{{- if $write }}{{ $verbs = concat $verbs .write }}{{ end }}
{{- if $destructive }}{{ $verbs = concat $verbs .destructive }}{{ end }}
{{- if $verbs }}
- apiGroups: [{{ .group | quote }}]
  resources: [{{ .resource | quote }}]
  verbs: {{ toJson $verbs }}
{{- end }}
{{- end }}
{{- end }}
