// Which Node.js versions run the server. Checked by main.ts before anything else is imported:
// on an older Node a dependency dies while loading (undici on Node 20: "Cannot read properties
// of undefined (reading 'bind')", issue #13), an error that names neither Node nor a fix.
// No imports here, so this file loads on any Node that can parse it.

/** The oldest release that works: undici 8 (fetch, used by @kubernetes/client-node) needs 22.19. */
export const MINIMUM_NODE = '22.19.0';

/** The one-line refusal for `version` (process.versions.node), or undefined when it can run. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = MINIMUM_NODE.split('.').map(Number);
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return (
    `Node.js ${version} cannot run cnpg-mcp: it needs Node.js 24 (LTS) or 22.19 and later. ` +
    'Install one with your version manager (nvm install 24, fnm install 24, volta install node@24) or from https://nodejs.org/, ' +
    'or run it once with npx -y node@24 "$(command -v cnpg-mcp)" …'
  );
}
