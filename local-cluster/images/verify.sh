#!/usr/bin/env bash
# Checks the built images from the inside, without containerd: unpacks each image's layer into a
# temporary directory (as root, so owners and modes are kept) and runs its programs there with
# chroot. Nothing is mounted: none of the checks needs /proc or /dev.
# Usage: verify.sh [name...]   (default: every image build.sh --list names that is built)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $EUID -eq 0 ]] || { echo "verify.sh needs root (chroot, and owners kept on unpack)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL $name: $*" >&2; failed=1; }
ok() { echo "ok   $name: $*"; }

# unpack tarball dir: the single layer of an OCI layout tarball, extracted into dir; the image
# config is left in $work/config.json.
unpack() {
  local layout="$work/layout" manifest
  mkdir -p "$layout" "$2"
  tar -xf "$1" -C "$layout"
  manifest="$layout/blobs/sha256/$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$layout/index.json")"
  cp "$layout/blobs/sha256/$(jq -r '.config.digest | sub("sha256:"; "")' "$manifest")" "$work/config.json"
  tar --numeric-owner -xpf "$layout/blobs/sha256/$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$manifest")" -C "$2"
  rm -rf "$layout"
}

failed=0
while read -r ref tarball; do
  name="${ref##*/}" name="${name%%:*}" tag="${ref##*:}"
  if [[ $# -gt 0 && " $* " != *" $name "* ]]; then continue; fi
  [[ -s "$tarball" ]] || { echo "skip $name: $tarball not built"; continue; }
  root="$work/$name"
  unpack "$tarball" "$root"
  case "$name" in
  pause)
    # Sleeps until SIGTERM, then exits 0 (the kubelet stops sandboxes with SIGTERM).
    chroot "$root" /pause &
    pid=$!
    sleep 0.5
    if ! kill -0 "$pid" 2>/dev/null; then fail "/pause did not keep running"; else
      kill -TERM "$pid"
      if wait "$pid"; then ok "/pause runs and exits 0 on SIGTERM"; else fail "/pause exited $? on SIGTERM"; fi
    fi
    ;;
  operator)
    [[ "$(stat -c %a "$root/manager")" == 755 ]] || fail "/manager is not mode 0755"
    [[ "$(stat -c %a "$root")" == 755 ]] || fail "/ is not mode 0755"
    # The init container's own command, run the way the pod runs it: cwd / (the binary copies
    # "manager" relative to it), uid 26, /controller an emptyDir (world-writable).
    mkdir -m 1777 "$root/controller"
    if chroot --userspec=26:26 "$root" /manager bootstrap /controller/manager >"$work/bootstrap.log" 2>&1 &&
      cmp -s "$root/manager" "$root/controller/manager"; then
      ok "/manager bootstrap /controller/manager copies the instance manager ($(chroot "$root" /manager version 2>/dev/null | head -n 1 || true))"
    else
      fail "/manager bootstrap /controller/manager failed: $(tail -n 3 "$work/bootstrap.log")"
    fi
    ;;
  postgresql)
    major="${tag%%.*}"
    version="$(chroot "$root" "/usr/lib/postgresql/$major/bin/postgres" --version)"
    [[ "$version" == "postgres (PostgreSQL) $tag "* ]] && ok "$version matches tag $tag" || fail "'$version' does not match tag $tag"
    [[ "$(chroot "$root" id -u postgres):$(chroot "$root" id -g postgres)" == 26:26 ]] && ok "postgres is 26:26" || fail "postgres is $(chroot "$root" id postgres)"
    for dir in /controller /var/lib/postgresql/data; do
      [[ "$(stat -c %u:%g "$root$dir")" == 26:26 ]] && ok "$dir owned by 26:26" || fail "$dir owned by $(stat -c %u:%g "$root$dir")"
    done
    grep -qx 'create_main_cluster = false' "$root/etc/postgresql-common/createcluster.conf" && [[ ! -e "$root/etc/postgresql/$major/main" ]] &&
      ok "no main cluster, create_main_cluster = false" || fail "a main cluster exists or createcluster.conf allows one"
    # A real initdb with CNPG's default options, as uid 26, with the image's PATH.
    path="$(jq -r '.config.Env[] | select(startswith("PATH="))' "$work/config.json")"
    mkdir -p "$root/tmp/pgdata" && chown 26:26 "$root/tmp/pgdata"
    if chroot --userspec=26:26 "$root" env -i "$path" LANG=C.UTF-8 initdb --username postgres -D /tmp/pgdata/pgdata \
      --encoding=UTF8 --lc-collate=C --lc-ctype=C --no-sync >"$work/initdb.log" 2>&1; then
      ok "initdb --encoding=UTF8 --lc-collate=C --lc-ctype=C works as 26 from PATH ($path)"
      # Start it (socket only, no TCP) and ask it something: the server runs, and JIT is simply
      # unavailable (build.sh leaves LLVM out) rather than an error.
      as26() { chroot --userspec=26:26 "$root" env -i "$path" LANG=C.UTF-8 "$@"; }
      opts="-c listen_addresses='' -c unix_socket_directories=/tmp -c jit_above_cost=0"
      if as26 pg_ctl -D /tmp/pgdata/pgdata -o "$opts" -l /tmp/pg.log -w start >/dev/null; then
        answer="$(as26 psql -h /tmp -U postgres -Atc "select current_setting('server_version_num'), pg_jit_available(), (select count(*) from generate_series(1, 1000))" postgres)" || answer="psql failed"
        as26 pg_ctl -D /tmp/pgdata/pgdata -m fast -w stop >/dev/null || fail "pg_ctl stop failed"
        [[ "$answer" == *"|f|1000" ]] && ok "postgres starts, answers psql (server_version_num|jit available|rows: $answer), stops" ||
          fail "psql answered '$answer'"
      else
        fail "pg_ctl start failed: $(tail -n 5 "$root/tmp/pg.log")"
      fi
    else
      fail "initdb failed: $(tail -n 5 "$work/initdb.log")"
    fi
    for tool in pg_ctl pg_rewind pg_basebackup pg_controldata pg_isready pg_dump pg_restore psql pg_upgrade; do
      chroot "$root" env -i "$path" sh -c "command -v $tool" | grep -q "^/usr/lib/postgresql/$major/bin/$tool$" || fail "$tool is not first on PATH"
    done
    ok "pg_ctl pg_rewind pg_basebackup pg_controldata pg_isready pg_dump pg_restore psql pg_upgrade from /usr/lib/postgresql/$major/bin"
    ;;
  pgbouncer)
    version="$(chroot --userspec=998:996 "$root" /usr/bin/pgbouncer --version | head -n 1)"
    [[ "$version" == *"$tag"* ]] && ok "/usr/bin/pgbouncer as 998:996: $version" || fail "'$version' does not carry $tag"
    [[ "$(stat -c %u:%g "$root/controller")" == 998:996 ]] && ok "/controller owned by 998:996" || fail "/controller owned by $(stat -c %u:%g "$root/controller")"
    chroot "$root" psql --version >/dev/null && ok "psql present" || fail "no psql"
    # The settings CNPG 1.30 writes (pkg/management/pgbouncer/config), on a Unix socket only
    # (chroot shares the machine's network), run the way its pgbouncer manager runs it.
    mkdir -p "$root/controller/configs" "$root/controller/run"
    cat >"$root/controller/configs/pgbouncer.ini" <<'EOF_INI'
[databases]
* = host=example-rw

[pgbouncer]
pool_mode = session
auth_user = cnpg_pooler_pgbouncer
auth_query = SELECT usename, passwd FROM public.user_search($1)
auth_dbname = postgres
admin_users = pgbouncer
auth_type = hba
auth_hba_file = /controller/configs/pg_hba.conf
auth_file = /controller/configs/userlist.txt
ignore_startup_parameters = extra_float_digits,options
log_stats = 0
listen_addr =
listen_port = 5432
unix_socket_dir = /controller/run
EOF_INI
    echo 'local all all trust' >"$root/controller/configs/pg_hba.conf"
    : >"$root/controller/configs/userlist.txt"
    chown -R 998:996 "$root/controller"
    chroot --userspec=998:996 "$root" /usr/bin/pgbouncer /controller/configs/pgbouncer.ini >"$work/pgbouncer.log" 2>&1 &
    pid=$!
    for _ in 1 2 3 4 5 6 7 8 9 10; do [[ -S "$root/controller/run/.s.PGSQL.5432" ]] && break; sleep 0.3; done
    if [[ -S "$root/controller/run/.s.PGSQL.5432" ]]; then
      kill -INT "$pid"
      wait "$pid" || true
      ok "pgbouncer runs CNPG's settings (auth_dbname etc.) as 998:996, socket in /controller/run"
    else
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      fail "pgbouncer did not start: $(tail -n 3 "$work/pgbouncer.log")"
    fi
    ;;
  esac
  du -sh "$root" | sed "s|$root|$name (unpacked)|"
  rm -rf "$root"
done < <(bash "$here/build.sh" --list)
exit "$failed"
