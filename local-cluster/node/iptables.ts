// Every iptables chain a node creates (kube-proxy's and the kubelet's KUBE-*, the portmap
// plugin's CNI-*, our CNPG-MCP-*), found by name in iptables-save and removed with the rules
// that jump to them. The start refuses a machine that already has such chains, so what is
// removed here was made by our node. Debian's iptables is the nf_tables variant: the first rule
// in a table creates that nftables table, so tables that did not exist before go too (nft).
import { attempt, installed, run } from './command.js';
import { nodeChainPrefixes } from './layout.js';

const tables = ['filter', 'nat', 'mangle', 'raw'];
const families = ['iptables', 'ip6tables'];

const ours = (chain: string) => nodeChainPrefixes.some((prefix) => chain.startsWith(prefix));

interface TableDump {
  chains: string[];
  rules: string[][];
}

function dump(iptables: string, table: string): TableDump {
  let text: string;
  try {
    text = run(`${iptables}-save`, ['-t', table]);
  } catch {
    return { chains: [], rules: [] };
  }
  const chains: string[] = [];
  const rules: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.push(line.slice(1).split(' ')[0] ?? '');
    // iptables-save quotes comments; split keeps quoted words together.
    else if (line.startsWith('-A ')) rules.push(line.match(/"[^"]*"|\S+/g)?.map((word) => word.replace(/^"|"$/g, '')) ?? []);
  }
  return { chains, rules };
}

/** "iptables mangle", … for every table that exists now (iptables-save prints only those). */
export function existingTables(): string[] {
  if (!installed('iptables-save')) return [];
  return families.flatMap((iptables) =>
    run(`${iptables}-save`, [])
      .split('\n')
      .filter((line) => line.startsWith('*'))
      .map((line) => `${iptables} ${line.slice(1)}`),
  );
}

/** Deletes tables created since `before` that hold no rule any more. */
export function removeNewEmptyTables(before: string[]): void {
  if (!installed('nft')) return;
  for (const entry of existingTables()) {
    if (before.includes(entry)) continue;
    const [iptables = '', table = ''] = entry.split(' ');
    if (dump(iptables, table).rules.length > 0) continue;
    attempt('nft', ['delete', 'table', iptables === 'iptables' ? 'ip' : 'ip6', table]);
  }
}

/** Chains of a node that exist right now (empty on a clean machine). */
export function nodeChains(): string[] {
  if (!installed('iptables-save')) return [];
  return families.flatMap((iptables) =>
    tables.flatMap((table) =>
      dump(iptables, table)
        .chains.filter(ours)
        .map((chain) => `${iptables} ${table} ${chain}`),
    ),
  );
}

export function removeNodeChains(): void {
  if (!installed('iptables-save')) return;
  for (const iptables of families) {
    for (const table of tables) {
      const { chains, rules } = dump(iptables, table);
      // Jumps from the built-in chains first, then our chains can be flushed and deleted.
      for (const rule of rules) {
        const [, chain, ...spec] = rule;
        if (chain && !ours(chain) && rule.some((word, i) => (rule[i - 1] === '-j' || rule[i - 1] === '-g') && ours(word))) {
          attempt(iptables, ['-t', table, '-D', chain, ...spec]);
        }
      }
      const mine = chains.filter(ours);
      for (const chain of mine) attempt(iptables, ['-t', table, '-F', chain]);
      for (const chain of mine) attempt(iptables, ['-t', table, '-X', chain]);
    }
  }
}
