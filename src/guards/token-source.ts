// Where the static tokens come from: AUTH_TOKENS (environment) and --auth-tokens-file, the
// latter re-read when it changes (rotation without restart: see file-watch.ts).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
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
    const envProblems: string[] = [];
    this.fromEnv = envTokens.flatMap((token, i) => {
      const { entry, problem } = parseTokenLine(token);
      if (problem) envProblems.push(`AUTH_TOKENS entry ${i + 1}: ${problem}`);
      return entry ? [entry] : [];
    });
    let content: Buffer | undefined;
    let fileProblems: string[] = [];
    if (file) {
      content = readFileSync(file);
      const parsed = parseTokensFile(content.toString('utf8'));
      this.fromFile = parsed.entries;
      fileProblems = parsed.problems.map((problem) => `tokens file ${problem}`);
    }
    this.set = new TokenSet([...this.fromEnv, ...this.fromFile]);
    // Tokens were configured and none is usable: a server that would refuse everybody does not
    // start; the reason of every entry is given (issue #12, item 17). Never the tokens themselves.
    if (this.set.size === 0) {
      const reasons = [...envProblems, ...fileProblems];
      throw new ConfigError(`no usable bearer token in AUTH_TOKENS${file ? ` or ${file}` : ''}: ${reasons.length ? reasons.join('; ') : 'no entries'}`);
    }
    for (const problem of envProblems) logger.warn(`${problem}; ignored`);
    for (const problem of fileProblems) logger.warn({ file }, problem);
    if (file && content) this.watcher = watchContent([file], [content], ([changed]) => this.reload(changed!), logger, watchOptions);
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
