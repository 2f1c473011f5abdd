// The first of the read-only layers of query_postgres (issue #15): the user's text, parsed by the
// real PostgreSQL parser (libpg-query, the server's grammar compiled to WebAssembly), must be ONE
// statement of a kind that reads: SELECT (with VALUES, TABLE, WITH), EXPLAIN of one, or SHOW.
// `COMMIT; DROP …`, `SET …`, `DO`, `CALL`, `COPY`, `VACUUM`, psql meta-commands (a syntax error
// here) never reach a server. The server-side layers (src/sql/psql.ts) hold even past this one:
// a read-only transaction in a read-only session, a non-superuser role, a statement timeout.
// spec/sql/guard.spec.ts tries the escapes against a real PostgreSQL.
export interface CheckedStatement {
  kind: 'select' | 'explain' | 'show';
  /** The statement alone: no trailing ';', no comment after it. */
  text: string;
}

/** The user's SQL was refused before reaching PostgreSQL; `message` says what and why. */
export class SqlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlRefused';
  }
}

/**
 * Functions a SELECT may call that act beyond reading, or run SQL given as text (which would
 * carry a statement past this check), or change the role or settings mid-statement
 * (set_config('role', …) would undo the role drop). Most are refused by the non-superuser role
 * too; the ones PUBLIC may call (pg_notify, advisory locks, set_config, ts_stat, query_to_xml)
 * only here.
 */
const DENIED_FUNCTIONS = new Set([
  'set_config',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_log_backend_memory_contexts',
  'pg_notify',
  'pg_switch_wal',
  'pg_switch_xlog',
  'pg_create_restore_point',
  'pg_promote',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_xlog_replay_pause',
  'pg_xlog_replay_resume',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_import_system_collations',
  'pg_log_standby_snapshot',
  'pg_logical_emit_message',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_replication_slot_advance',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_sync_replication_slots',
  'pg_truncate_visibility_map',
  'heap_force_kill',
  'heap_force_freeze',
  'brin_summarize_new_values',
  'brin_summarize_range',
  'brin_desummarize_range',
  'gin_clean_pending_list',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_stat_file',
  'pg_ls_dir',
  'ts_stat',
  'ts_rewrite',
  'loread',
  'lowrite',
]);
const DENIED_PREFIXES = [
  'lo_',
  'dblink',
  'pg_stat_reset',
  'pg_stat_statements_reset',
  'pg_replication_origin_',
  'binary_upgrade_',
  'pg_advisory',
  'pg_try_advisory',
  'pg_file_',
];
/** query_to_xml runs SQL text; table/schema/database_to_xml read relations named by value, past the relation check. */
const DENIED_PATTERN = /_to_xml/;

/** Catalogs holding password hashes or user-mapping secrets: no tool answer carries secrets. */
const DENIED_RELATIONS = new Set(['pg_authid', 'pg_shadow', 'pg_user_mapping', 'pg_user_mappings']);

const WRITING_STATEMENTS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

type Node = unknown;

/** Every object in the parse tree, depth first, with the key it sits under. */
function* walk(node: Node, key = ''): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(node)) {
    for (const item of node) yield* walk(item, key);
  } else if (node && typeof node === 'object') {
    yield [key, node as Record<string, unknown>];
    for (const [k, v] of Object.entries(node)) yield* walk(v, k);
  }
}

function lastName(names: unknown): string {
  const parts = (Array.isArray(names) ? names : []).map((n) => (n as { String?: { sval?: string } }).String?.sval ?? '');
  return (parts.at(-1) ?? '').toLowerCase();
}

function deniedFunction(name: string): boolean {
  return DENIED_FUNCTIONS.has(name) || DENIED_PREFIXES.some((p) => name.startsWith(p)) || DENIED_PATTERN.test(name);
}

/** Refuses what a SELECT tree may hold that is not a plain read. */
function checkTree(tree: Node): void {
  for (const [key, node] of walk(tree)) {
    if (key === 'FuncCall') {
      const name = lastName(node.funcname);
      if (deniedFunction(name)) throw new SqlRefused(`${name}() is refused: it acts beyond reading (or runs SQL given as text), and query_postgres only reads`);
    }
    if (key === 'RangeVar') {
      const rel = String(node.relname ?? '').toLowerCase();
      if (DENIED_RELATIONS.has(rel)) throw new SqlRefused(`${rel} is refused: it holds password hashes or credentials`);
    }
    // WITH d AS (DELETE … RETURNING *) SELECT …: the read-only transaction refuses it too.
    if (WRITING_STATEMENTS.has(key))
      throw new SqlRefused(`${statementName(key)} inside a SELECT (a data-modifying WITH) is refused; query_postgres only reads`);
    if (key === 'intoClause') throw new SqlRefused('SELECT … INTO creates a table; query_postgres only reads');
    if (key === 'lockingClause') throw new SqlRefused('SELECT … FOR UPDATE/SHARE takes row locks; query_postgres only reads');
  }
}

type Parser = typeof import('libpg-query');
let parser: Promise<Parser> | undefined;

/** Loaded on first use: the WebAssembly parser costs start-up time no other tool should pay (issue #13). */
function loadParser(): Promise<Parser> {
  parser ??= import('libpg-query').then(async (m) => {
    await m.loadModule();
    return m;
  });
  return parser;
}

const MAX_SQL_BYTES = 100_000;

/** Parses `sql` and returns the one statement it holds, or throws SqlRefused saying why not. */
export async function checkStatement(sql: string): Promise<CheckedStatement> {
  const bytes = Buffer.from(sql, 'utf8');
  if (bytes.length > MAX_SQL_BYTES) throw new SqlRefused(`the SQL is ${bytes.length} bytes; at most ${MAX_SQL_BYTES}`);
  if (sql.includes('\0')) throw new SqlRefused('the SQL contains a NUL character');
  // The parser refuses an empty text with its own wording; say it as for a comment-only text.
  if (!sql.trim()) throw new SqlRefused('the SQL holds no statement');
  const { parseSync } = await loadParser();
  let parsed: { stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  try {
    parsed = parseSync(sql) as typeof parsed;
  } catch (err) {
    // A psql meta-command (\! …, \c …) is not SQL: the parser's syntax error says where.
    const position = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    const message = err instanceof Error ? err.message : String(err);
    throw new SqlRefused(`the SQL does not parse: ${message}${position !== undefined ? ` (at character ${position + 1})` : ''}`);
  }
  const stmts = parsed.stmts ?? [];
  if (stmts.length === 0) throw new SqlRefused('the SQL holds no statement');
  if (stmts.length > 1)
    throw new SqlRefused(
      `the SQL holds ${stmts.length} statements; query_postgres runs exactly one (separate statements are refused, so COMMIT; … cannot end the read-only transaction)`,
    );
  const [{ stmt, stmt_location = 0, stmt_len = 0 }] = stmts as [(typeof stmts)[number]];
  const [type] = Object.keys(stmt);
  // Locations are byte offsets into the UTF-8 text; a length of 0 means "to the end".
  const text = bytes
    .subarray(stmt_location, stmt_len ? stmt_location + stmt_len : undefined)
    .toString('utf8')
    .trim();
  if (type === 'SelectStmt') {
    checkTree(stmt);
    return { kind: 'select', text };
  }
  if (type === 'ExplainStmt') {
    const query = (stmt.ExplainStmt as { query?: Record<string, unknown> }).query ?? {};
    const inner = Object.keys(query)[0];
    if (inner !== 'SelectStmt')
      throw new SqlRefused(`EXPLAIN of ${statementName(inner)} is refused: EXPLAIN ANALYZE would run it; only EXPLAIN of a SELECT is allowed`);
    checkTree(query);
    return { kind: 'explain', text };
  }
  if (type === 'VariableShowStmt') return { kind: 'show', text };
  throw new SqlRefused(`${statementName(type)} is refused: query_postgres runs only SELECT (with VALUES, TABLE, WITH), EXPLAIN of a SELECT, and SHOW`);
}

/** "DropStmt" → "DROP", as a person names the statement. */
function statementName(type: string | undefined): string {
  const known: Record<string, string> = {
    TransactionStmt: 'a transaction command (BEGIN/COMMIT/ROLLBACK)',
    VariableSetStmt: 'SET',
    DoStmt: 'DO',
    CallStmt: 'CALL',
    CopyStmt: 'COPY',
    VacuumStmt: 'VACUUM/ANALYZE',
    CheckPointStmt: 'CHECKPOINT',
    InsertStmt: 'INSERT',
    UpdateStmt: 'UPDATE',
    DeleteStmt: 'DELETE',
    MergeStmt: 'MERGE',
    DropStmt: 'DROP',
    CreateStmt: 'CREATE TABLE',
    LoadStmt: 'LOAD',
    ListenStmt: 'LISTEN',
    NotifyStmt: 'NOTIFY',
  };
  if (!type) return 'an empty statement';
  return known[type] ?? `a ${type.replace(/Stmt$/, '')} statement`;
}
