// Issue #12, item 18: a read-only server hands out no credentials unless its own flag allows it.
// No kubeconfig: a call that got past the refusal fails with "no kubeconfig" instead.
import { describe, expect, it } from 'vitest';
import { connectInMemory, testDeps } from '../../test-support/in-memory.js';

async function connectionInfo(argv: string[]) {
  const conn = await connectInMemory(testDeps(argv));
  try {
    const r = await conn.client.callTool({ name: 'get_connection_info', arguments: { name: 'pg', include_credentials: true } });
    return { isError: r.isError === true, text: (r.content as { text: string }[]).map((c) => c.text).join('\n') };
  } finally {
    await conn.close();
  }
}

describe('get_connection_info include_credentials=true', () => {
  it('is refused in read-only mode, before any Kubernetes call, naming the flag that allows it', async () => {
    const r = await connectionInfo(['--read-only']);
    expect(r.isError).toBe(true);
    expect(r.text).toContain(
      'include_credentials=true is refused: this server runs read-only (--read-only), which returns no credentials; --read-only-credentials allows it',
    );
    expect(r.text).not.toMatch(/kubeconfig/i);
  });

  it.each([[['--read-only', '--read-only-credentials']], [[]]])('goes on to Kubernetes with %j', async (argv) => {
    const r = await connectionInfo(argv);
    expect(r.isError).toBe(true);
    expect(r.text).not.toMatch(/refused/);
    expect(r.text).toMatch(/kubeconfig/i);
  });
});
