// Every tool of the server, in the order tools/list shows them.
import type { ToolDef } from '../kit/tool.js';
import { backupTools } from './backups.js';
import { clusterTools } from './clusters.js';
import { databaseTools } from './databases.js';
import { destroyTools } from './destroy.js';
import { diagnosticTools } from './diagnostics.js';
import { operationTools } from './operations.js';
import { poolerTools } from './poolers.js';
import { replicationTools } from './replication.js';
import { roleTools } from './roles.js';
import { sqlTools } from './sql.js';

export const ALL_TOOLS: readonly ToolDef[] = [
  ...clusterTools,
  ...operationTools,
  ...destroyTools,
  ...backupTools,
  ...databaseTools,
  ...roleTools,
  ...poolerTools,
  ...diagnosticTools,
  ...replicationTools,
  ...sqlTools,
] as unknown as ToolDef[];
