// How query_postgres runs one checked statement with psql inside an instance's `postgres`
// container, and reads its answer. The server-side read-only layers live here (issue #15):
//  - PGOPTIONS makes the whole session read-only (default_transaction_read_only=on) and pins the
//    lexer settings the guard's parser assumed (standard_conforming_strings=on, UTF-8: with
//    standard_conforming_strings=off, 'x\', '; DROP …' would end its string elsewhere);
//  - the session drops to a predefined non-superuser role (SET ROLE) first: superuser-only
//    functions (pg_terminate_backend of others, lo_import, pg_read_file, COPY … PROGRAM) refuse;
//  - the statement runs inside BEGIN READ ONLY, with SET LOCAL statement_timeout;
//  - a SELECT goes through a cursor and only max_rows + 1 rows are fetched;
//  - the transaction is rolled back, and psql stops at the first error (ON_ERROR_STOP).
// -c sends its text to the server as it is (psql's own lexer, meta-commands and :variables do
// not apply), and a statement the guard parsed cannot begin with a backslash.
import type { CheckedStatement } from './guard.js';

/** The predefined roles a query may run as: neither is a superuser, neither can write. */
export const QUERY_ROLES = ['pg_read_all_data', 'pg_monitor'] as const;
export type QueryRole = (typeof QUERY_ROLES)[number];

export interface PsqlOptions {
  database: string;
  role: QueryRole;
  timeoutMs: number;
  maxRows: number;
  /**
   * What psql prints for NULL: psql's CSV quotes a value and the null string alike, so only a
   * string no value will equal tells them apart (the caller passes a random one per query).
   */
  nullMarker: string;
}

export interface PsqlInvocation {
  env: Record<string, string>;
  args: string[];
}

const CURSOR = 'cnpg_mcp_query';

export function psqlInvocation(statement: CheckedStatement, o: PsqlOptions): PsqlInvocation {
  const timeout = Math.max(1, Math.floor(o.timeoutMs));
  const session = [
    'default_transaction_read_only=on',
    `statement_timeout=${timeout}`,
    `idle_in_transaction_session_timeout=${timeout + 5000}`,
    `lock_timeout=${timeout}`,
    'standard_conforming_strings=on',
    'client_encoding=UTF8',
  ];
  const run =
    statement.kind === 'select'
      ? ['-c', `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${statement.text}`, '-c', `FETCH FORWARD ${o.maxRows + 1} FROM ${CURSOR}`]
      : ['-c', statement.text];
  return {
    env: { PGOPTIONS: session.map((s) => `-c ${s}`).join(' '), PGCLIENTENCODING: 'UTF8', PGAPPNAME: 'cnpg-mcp query_postgres', PGCONNECT_TIMEOUT: '10' },
    args: [
      '-X', // no ~/.psqlrc
      '-q', // no command tags: stdout is the result only
      '--no-password',
      '-v',
      'ON_ERROR_STOP=1',
      '--csv',
      '-P',
      `null=${o.nullMarker}`,
      '-d',
      o.database,
      '-c',
      `SET ROLE ${o.role}`,
      '-c',
      'BEGIN READ ONLY',
      '-c',
      `SET LOCAL statement_timeout = ${timeout}`,
      ...run,
      '-c',
      'ROLLBACK',
    ],
  };
}

/** The argv to exec in the container: env carries the settings, never a password. */
export function podCommand(inv: PsqlInvocation): string[] {
  return ['env', ...Object.entries(inv.env).map(([k, v]) => `${k}=${v}`), 'psql', ...inv.args];
}

export interface QueryRows {
  columns: string[];
  /** null for SQL NULL. */
  rows: (string | null)[][];
}

/**
 * Reads psql's --csv output (RFC 4180: fields with a comma, quote or newline are quoted, quotes
 * doubled); a field equal to `nullMarker` is NULL. An incomplete last record (output cut at the
 * byte cap) is dropped, not guessed at.
 */
export function readCsv(text: string, nullMarker: string): QueryRows & { incomplete: boolean } {
  const records: (string | null)[][] = [];
  let record: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let i = 0;
  const endField = () => {
    record.push(field === nullMarker ? null : field);
    field = '';
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') inQuotes = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      quoted = true;
    } else if (c === ',') endField();
    else if (c === '\n') {
      endField();
      records.push(record);
      record = [];
    } else if (c !== '\r') field += c;
    i++;
  }
  const incomplete = inQuotes || field !== '' || quoted || record.length > 0;
  const [header = [], ...rows] = records;
  return { columns: header.map((h) => h ?? ''), rows, incomplete };
}
