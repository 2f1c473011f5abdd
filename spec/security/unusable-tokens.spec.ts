// Issue #12, item 17: tokens configured but none usable means a server that refuses everybody;
// it does not start, and says why for every entry (never showing a token).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stopAllServers } from '../../test-support/http-server.js';
import { TOKEN_A, bearer, startSecured } from './support/server.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpg-mcp-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(stopAllServers);

describe('no usable token', () => {
  it('AUTH_TOKENS with only unusable entries refuses to start, naming every entry and its problem', async () => {
    const start = startSecured({ tokens: ['too-short', 'has spaces in it, which no bearer token may'] });
    await expect(start).rejects.toThrow(
      /no usable bearer token in AUTH_TOKENS: AUTH_TOKENS entry 1: the token is shorter than 16 characters; AUTH_TOKENS entry 2: the token has characters a bearer token cannot have/,
    );
    await expect(start).rejects.not.toThrow(/too-short/);
  });

  it('a tokens file with only unusable lines refuses to start, naming each line', async () => {
    const file = join(dir, 'bad-tokens');
    writeFileSync(file, '# comment\nshort\nname:with:too:many\n');
    await expect(startSecured({ tokens: [], auth: { tokensFile: file } })).rejects.toThrow(
      /no usable bearer token in AUTH_TOKENS or .*bad-tokens: tokens file line 2: .*shorter than 16.*; tokens file line 3: too many ":"/,
    );
  });

  it('an empty tokens file refuses to start too', async () => {
    const file = join(dir, 'empty-tokens');
    writeFileSync(file, '# nothing yet\n');
    await expect(startSecured({ tokens: [], auth: { tokensFile: file } })).rejects.toThrow(/no usable bearer token .*: no entries/);
  });

  it('one usable token among bad ones is enough: the server starts and serves it', async () => {
    const { url } = await startSecured({ tokens: ['too-short', TOKEN_A] });
    await request(url).get('/metrics').set(bearer(TOKEN_A)).expect(200);
  });
});
