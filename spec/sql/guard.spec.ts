// The read-only layers of query_postgres (issue #15) against a real PostgreSQL: the guard
// (src/sql/guard.ts) must refuse every usual escape before anything runs, and the server-side
// layers (src/sql/psql.ts: read-only session and transaction, non-superuser role, timeouts, row
// cap) must hold by themselves for what one statement can do. The psql arguments and environment
// are exactly the ones the tool sends into the pod; only the socket differs.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStatement, SqlRefused, type CheckedStatement } from '../../src/sql/guard.js';
import { psqlInvocation, readCsv, type QueryRole } from '../../src/sql/psql.js';
import { pgBinDir, skipReasonNoPostgres, startPostgres, type TestPostgres } from '../../test-support/postgres.js';

const NULL = 'null-marker-for-spec';
let pg: TestPostgres;
let scratch: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an already checked statement the way the tool does (src/sql/psql.ts), on the local server. */
function runChecked(statement: CheckedStatement, o: { role?: QueryRole; timeoutMs?: number; maxRows?: number } = {}): Promise<Run> {
  const inv = psqlInvocation(statement, {
    database: 'app',
    role: o.role ?? 'pg_read_all_data',
    timeoutMs: o.timeoutMs ?? 5000,
    maxRows: o.maxRows ?? 100,
    nullMarker: NULL,
  });
  return new Promise((resolve) => {
    execFile(join(pg.binDir, 'psql'), inv.args, { env: { ...process.env, ...pg.env, ...inv.env }, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The guard, then the server: what query_postgres would answer. */
async function query(sql: string, o?: Parameters<typeof runChecked>[1]) {
  const run = await runChecked(await checkStatement(sql), o);
  return { ...run, table: readCsv(run.stdout, NULL) };
}

async function refusal(sql: string): Promise<string> {
  const err = await checkStatement(sql).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected the guard to refuse: ${sql}`).toBeInstanceOf(SqlRefused);
  return (err as SqlRefused).message;
}

const keptRows = () => pg.admin('SELECT count(*) FROM kept', 'app');

describe.skipIf(!pgBinDir)(`query_postgres read-only layers on a real PostgreSQL${skipReasonNoPostgres}`, () => {
  beforeAll(async () => {
    // standard_conforming_strings=off in the server's own configuration: the session must pin it
    // on, or the guard's parser and the server would end a string in different places.
    pg = await startPostgres({ standard_conforming_strings: 'off' });
    pg.admin('CREATE DATABASE app');
    pg.admin("CREATE TABLE kept (id int, note text); INSERT INTO kept VALUES (1, 'one'), (2, ''), (3, NULL)", 'app');
    scratch = mkdtempSync(join(tmpdir(), 'cnpg-mcp-sql-'));
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  describe('what it runs', () => {
    it('one SELECT: columns and rows, NULL apart from the empty string, commas, quotes and newlines intact', async () => {
      const r = await query(`SELECT id, note, 'a,b' AS comma, 'say "hi"' AS quote, E'two\\nlines' AS nl FROM kept ORDER BY id`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.table.columns).toEqual(['id', 'note', 'comma', 'quote', 'nl']);
      expect(r.table.rows).toEqual([
        ['1', 'one', 'a,b', 'say "hi"', 'two\nlines'],
        ['2', '', 'a,b', 'say "hi"', 'two\nlines'],
        ['3', null, 'a,b', 'say "hi"', 'two\nlines'],
      ]);
    });

    it("';' inside strings, comments and a trailing ';' still make one statement", async () => {
      const r = await query(`/* a; b */ SELECT ';' AS semi, $$x; y$$ AS dollar -- trailing; comment\n;`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.table.rows).toEqual([[';', 'x; y']]);
    });

    it("a string that standard_conforming_strings=off would end early stays one string: 'x\\', '; DROP TABLE kept; --'", async () => {
      const r = await query(`SELECT 'x\\', '; DROP TABLE kept; --'`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.table.rows).toEqual([['x\\', '; DROP TABLE kept; --']]);
      expect(keptRows()).toBe('3');
    });

    it('SHOW and EXPLAIN (ANALYZE) of a SELECT run', async () => {
      const show = await query('SHOW default_transaction_read_only');
      expect(show.table.rows).toEqual([['on']]);
      const explain = await query('EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM kept');
      expect(explain.code, explain.stderr).toBe(0);
      expect(explain.table.rows.flat().join('\n')).toMatch(/Seq Scan on kept/);
    });

    it('runs as the predefined role asked for, inside a read-only transaction', async () => {
      const data = await query("SELECT current_user, current_setting('transaction_read_only')");
      expect(data.table.rows).toEqual([['pg_read_all_data', 'on']]);
      const monitor = await query('SELECT current_user', { role: 'pg_monitor' });
      expect(monitor.table.rows).toEqual([['pg_monitor']]);
      // pg_monitor sees statistics, not the tables' data.
      const denied = await query('SELECT * FROM kept', { role: 'pg_monitor' });
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/permission denied for table kept/);
    });
  });

  describe('the guard refuses the usual escapes before anything runs', () => {
    const escapes: [string, RegExp][] = [
      ['COMMIT; DROP TABLE kept', /2 statements/],
      ['SELECT 1; DROP TABLE kept', /2 statements/],
      ['SET transaction_read_only = off; INSERT INTO kept VALUES (9)', /2 statements/],
      ['SET transaction_read_only = off', /SET is refused/],
      ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', /SET is refused/],
      ['BEGIN READ WRITE', /transaction command/],
      ['INSERT INTO kept VALUES (9)', /INSERT is refused/],
      ['DELETE FROM kept', /DELETE is refused/],
      ['WITH d AS (DELETE FROM kept RETURNING *) SELECT * FROM d', /DELETE inside a SELECT/],
      ['SELECT * INTO copied FROM kept', /INTO creates a table/],
      ['SELECT * FROM kept FOR UPDATE', /FOR UPDATE/],
      ['EXPLAIN ANALYZE DELETE FROM kept', /EXPLAIN of DELETE is refused/],
      ["COPY (SELECT 1) TO PROGRAM 'touch /tmp/cnpg-mcp-pwned'", /COPY is refused/],
      ['DO $$ BEGIN DROP TABLE kept; END $$', /DO is refused/],
      ['CALL some_procedure()', /CALL is refused/],
      ['VACUUM kept', /VACUUM/],
      ['CHECKPOINT', /CHECKPOINT is refused/],
      ["LOAD 'plpgsql'", /LOAD is refused/],
      ["NOTIFY chan, 'x'", /NOTIFY is refused/],
      ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', /pg_terminate_backend\(\) is refused/],
      ['SELECT pg_catalog.pg_cancel_backend(1)', /pg_cancel_backend\(\) is refused/],
      ["SELECT lo_import('/etc/hostname')", /lo_import\(\) is refused/],
      ["SELECT set_config('transaction_read_only', 'off', false)", /set_config\(\) is refused/],
      ["SELECT set_config('role', 'postgres', false), pg_sleep(0)", /set_config\(\) is refused/],
      ["SELECT dblink_exec('dbname=app', 'DROP TABLE kept')", /dblink_exec\(\) is refused/],
      ["SELECT query_to_xml('DELETE FROM kept RETURNING *', true, true, '')", /query_to_xml\(\) is refused/],
      ["SELECT table_to_xml('pg_authid'::regclass, true, true, '')", /table_to_xml\(\) is refused/],
      ["SELECT * FROM ts_stat('SELECT 1')", /ts_stat\(\) is refused/],
      ["SELECT pg_notify('chan', 'x')", /pg_notify\(\) is refused/],
      ['SELECT pg_advisory_lock(1)', /pg_advisory_lock\(\) is refused/],
      ["SELECT pg_read_file('/etc/passwd')", /pg_read_file\(\) is refused/],
      ['SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots', /pg_drop_replication_slot\(\) is refused/],
      ['SELECT rolpassword FROM pg_authid', /pg_authid is refused: it holds password hashes/],
      ['SELECT * FROM (SELECT * FROM pg_catalog.pg_shadow) s', /pg_shadow is refused/],
      [`\\! touch ${'/tmp/cnpg-mcp-pwned'}`, /does not parse/],
      ['\\c template1', /does not parse/],
      ['', /no statement/],
      ['-- only a comment', /no statement/],
      ['SELECT 1) AS q; DROP TABLE kept; SELECT * FROM (SELECT 1', /does not parse/],
    ];
    for (const [sql, why] of escapes) {
      it(`refuses ${JSON.stringify(sql)}`, async () => {
        expect(await refusal(sql)).toMatch(why);
      });
    }

    it('nothing of them happened: the table and its rows are there, no file was written', () => {
      expect(keptRows()).toBe('3');
      expect(existsSync('/tmp/cnpg-mcp-pwned')).toBe(false);
    });
  });

  // Each layer on the server, given statements the guard would refuse (handed over as checked):
  // what one statement can try is stopped there too.
  describe('the server-side layers hold without the guard', () => {
    const asIs = (text: string): CheckedStatement => ({ kind: 'select', text });

    // Sent as a statement of its own (the way SHOW and EXPLAIN go), not through the cursor.
    const direct = (text: string): CheckedStatement => ({ kind: 'show', text });

    it('writes are refused in the read-only transaction', async () => {
      for (const [text, why] of [
        ['DELETE FROM kept', /cannot execute DELETE in a read-only transaction/],
        ['DROP TABLE kept', /cannot execute DROP TABLE in a read-only transaction/],
        ['EXPLAIN ANALYZE WITH d AS (DELETE FROM kept RETURNING *) SELECT * FROM d', /cannot execute (DELETE|SELECT) in a read-only transaction/],
      ] as const) {
        const r = await runChecked(direct(text));
        expect(r.code, text).not.toBe(0);
        expect(r.stderr, text).toMatch(why);
      }
      // Through the cursor, a data-modifying WITH is refused by DECLARE itself.
      const cursor = await runChecked(asIs('WITH d AS (DELETE FROM kept RETURNING *) SELECT * FROM d'));
      expect(cursor.stderr).toMatch(/DECLARE CURSOR must not contain data-modifying statements/);
      expect(keptRows()).toBe('3');
    });

    it('the transaction cannot be made read-write from inside the statement', async () => {
      const r = await runChecked(asIs("SELECT set_config('transaction_read_only', 'off', false)"));
      expect(r.stderr).toMatch(/transaction read-write mode must be set before any query/);
    });

    it('superuser-only functions are refused to the non-superuser role', async () => {
      const target = join(scratch, 'exported');
      const cases: [string, RegExp][] = [
        ['SELECT pg_terminate_backend(pg_backend_pid())', /must be a superuser to terminate superuser process/],
        ["SELECT lo_import('/etc/hostname')", /permission denied for function lo_import/],
        [`SELECT lo_export(1, '${target}')`, /permission denied for function lo_export/],
        ["SELECT pg_read_file('/etc/hostname')", /permission denied for function pg_read_file/],
        ['SELECT pg_reload_conf()', /permission denied for function pg_reload_conf/],
      ];
      for (const [text, why] of cases) {
        const r = await runChecked(asIs(text));
        expect(r.code, text).not.toBe(0);
        expect(r.stderr, text).toMatch(why);
      }
      expect(existsSync(target)).toBe(false);
    });

    it('statement_timeout ends a long statement', async () => {
      const started = Date.now();
      const r = await runChecked(asIs('SELECT pg_sleep(30)'), { timeoutMs: 500 });
      expect(r.stderr).toMatch(/canceling statement due to statement timeout/);
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    it('only max_rows + 1 rows are fetched from the cursor', async () => {
      const r = await runChecked(asIs('SELECT generate_series(1, 100000) AS n'), { maxRows: 10 });
      const table = readCsv(r.stdout, NULL);
      expect(table.rows).toHaveLength(11);
      expect(table.rows[10]).toEqual(['11']);
    });
  });
});

describe('readCsv', () => {
  it('drops an incomplete last record (output cut at the byte cap) and says so', () => {
    const t = readCsv('a,b\n1,"x\n2,"unfinished', NULL);
    expect(t.columns).toEqual(['a', 'b']);
    expect(t.rows).toEqual([]);
    expect(t.incomplete).toBe(true);
    const whole = readCsv(`a,b\n1,${NULL}\n2,""\n`, NULL);
    expect(whole).toEqual({
      columns: ['a', 'b'],
      rows: [
        ['1', null],
        ['2', ''],
      ],
      incomplete: false,
    });
  });
});
