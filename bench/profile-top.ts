/**
 * Reads a V8 .cpuprofile and prints the top functions by self time (percent of samples), and by total
 * (inclusive) time for frames under src/. Usage: tsx bench/profile-top.ts <file.cpuprofile> [n]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file = "", nArg = "30"] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: Node): string =>
  `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*\/(src|bench|node_modules)\//, "$1/")}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const total = new Map<string, number>();
for (const id of prof.samples) {
  const n = byId.get(id);
  if (n === undefined) continue;
  self.set(label(n), (self.get(label(n)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const m = byId.get(cur);
    if (m === undefined) break;
    const l = label(m);
    if (!seen.has(l)) {
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + 1);
    }
  }
}
const count = prof.samples.length;
const top = (m: Map<string, number>, filter: (l: string) => boolean): void => {
  for (const [l, c] of [...m]
    .filter(([l]) => filter(l))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(nArg))) {
    console.log(`${((100 * c) / count).toFixed(1).padStart(5)}%  ${l}`);
  }
};
console.log(`samples ${count}\n-- self`);
top(self, () => true);
console.log("-- total (src/)");
top(total, (l) => l.includes(" src/"));
// Callers of a self-heavy function: `PROFILE_CALLERS=name` prints its parents by sample count.
const callers = process.env.PROFILE_CALLERS;
if (callers !== undefined) {
  const by = new Map<string, number>();
  for (const id of prof.samples) {
    const n = byId.get(id);
    if (n === undefined || n.callFrame.functionName !== callers) continue;
    const chain: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && chain.length < 4; cur = parent.get(cur)) {
      const m = byId.get(cur);
      if (m !== undefined) chain.push(m.callFrame.functionName);
    }
    const l = chain.join(" < ");
    by.set(l, (by.get(l) ?? 0) + 1);
  }
  console.log(`-- callers of ${callers}`);
  for (const [l, c] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${c}  ${l}`);
}
