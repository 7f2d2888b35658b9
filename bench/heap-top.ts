/**
 * Reads a V8 sampling heap profile (bench/profile-ops.ts with PROFILE_HEAP=1) and prints the allocating
 * functions by sampled bytes, each with its caller chain. Usage: tsx bench/heap-top.ts <file.heapprofile> [n]
 */
import { readFileSync } from "node:fs";

interface HeapNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapNode[];
}
const [file = "", nArg = "25"] = process.argv.slice(2);
const root = (JSON.parse(readFileSync(file, "utf8")) as { head: HeapNode }).head;
const byChain = new Map<string, number>();
let total = 0;
const walk = (n: HeapNode, chain: string[]): void => {
  const name = `${n.callFrame.functionName || "(anon)"}@${n.callFrame.url.replace(/.*\//, "")}`;
  const here = [name, ...chain].slice(0, 4);
  if (n.selfSize > 0) {
    const l = here.join(" < ");
    byChain.set(l, (byChain.get(l) ?? 0) + n.selfSize);
    total += n.selfSize;
  }
  for (const c of n.children) walk(c, here);
};
walk(root, []);
console.log(`sampled ${(total / 2 ** 20).toFixed(1)} MiB`);
for (const [l, b] of [...byChain].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg))) {
  console.log(`${((100 * b) / total).toFixed(1).padStart(5)}%  ${l}`);
}
