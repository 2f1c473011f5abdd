// Where the static tokens come from: AUTH_TOKENS (environment) and --auth-tokens-file, the
// latter re-read when it changes (rotation without restart: see file-watch.ts).
import { readFileSync } from 'node:fs';
import type { Logger } from '../log.js';
import { watchContent, type ContentWatcher, type FileWatchOptions } from './file-watch.js';
import { parseTokenLine, parseTokensFile, TokenSet, type TokenEntry } from './tokens.js';

export class TokenSource {
  private fromFile: TokenEntry[] = [];
  private readonly fromEnv: TokenEntry[];
  private watcher?: ContentWatcher;
  private set: TokenSet;

  /** Throws when the file cannot be read at startup: a typo in the path must not mean "no tokens". */
  constructor(
    envTokens: readonly string[],
    private readonly file: string | undefined,
    private readonly logger: Logger,
    watchOptions: FileWatchOptions = {},
  ) {
    this.fromEnv = envTokens.flatMap((token, i) => {
      const { entry, problem } = parseTokenLine(token);
      if (problem) logger.warn({ entry: i + 1 }, `AUTH_TOKENS entry ${i + 1}: ${problem}; ignored`);
      return entry ? [entry] : [];
    });
    if (file) {
      const content = readFileSync(file);
      this.fromFile = this.parse(content);
      this.watcher = watchContent([file], [content], ([changed]) => this.reload(changed!), logger, watchOptions);
    }
    this.set = new TokenSet([...this.fromEnv, ...this.fromFile]);
  }

  get tokens(): TokenSet {
    return this.set;
  }

  /** Re-reads the file now instead of at the next event or poll. */
  async check(): Promise<void> {
    await this.watcher?.check();
  }

  stop(): void {
    this.watcher?.stop();
  }

  private parse(content: Buffer): TokenEntry[] {
    const { entries, problems } = parseTokensFile(content.toString('utf8'));
    for (const problem of problems) this.logger.warn({ file: this.file }, `tokens file ${problem}`);
    return entries;
  }

  private reload(content: Buffer): void {
    this.fromFile = this.parse(content);
    this.set = new TokenSet([...this.fromEnv, ...this.fromFile]);
    // Counts only: which tokens changed is nobody's business in a log.
    this.logger.info({ file: this.file, tokens: this.set.size }, 'tokens file reloaded');
  }
}
