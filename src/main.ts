#!/usr/bin/env node
// Entry point (the `cnpg-mcp` bin). The Node version is checked before anything else loads, so a
// wrong Node gets one line naming the versions that work instead of a dependency's stack trace.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`cnpg-mcp: ${problem}\n`);
  process.exit(1);
}
await import('./run.js');
