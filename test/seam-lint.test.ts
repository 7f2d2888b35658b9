/**
 * The determinism seam (DESIGN.md "The seam"): outside src/io/node-* (and the command line in cli/, which it does not scan),
 * no engine or simulator file may import node:fs or reach wall time, real timers, Math.random, crypto
 * randomness, GC-dependent objects or threads. The rule runs as an ordinary test (Pebble's lint tests).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

const FORBIDDEN: [string, RegExp][] = [
  ["node:fs import", /from\s+["'](node:)?fs(\/promises)?["']|require\(\s*["'](node:)?fs/],
  ["Date", /\bDate\s*\.\s*now\b|\bnew\s+Date\b|\bDate\s*\(/],
  ["performance.now", /\bperformance\s*\.\s*now\b/],
  ["process.hrtime", /\bprocess\s*\.\s*hrtime\b/],
  ["timers", /\b(setTimeout|setInterval|setImmediate)\s*\(|from\s+["'](node:)?timers/],
  ["Math.random", /\bMath\s*\.\s*random\b/],
  [
    "crypto randomness",
    // A hash (createHash: SCRIPT LOAD's SHA1 digests) is a pure function; any other import of crypto is not.
    /\b(randomBytes|randomUUID|getRandomValues|randomInt|randomFill)\b|import\s+(?!\{\s*createHash\s*\}\s*from)[^;]*from\s+["'](node:)?crypto["']/,
  ],
  ["GC-dependent objects", /\b(WeakRef|FinalizationRegistry)\b/],
  ["threads", /from\s+["'](node:)?worker_threads["']|require\(\s*["'](node:)?worker_threads/],
];

function allowed(rel: string): boolean {
  return rel.startsWith("src/io/node-");
}

function sources(dir: string): string[] {
  const out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Source text with comments removed, so doc comments may name the forbidden things. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function violations(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const rel = relative(root, file).split("\\").join("/");
    if (allowed(rel)) continue;
    const lines = code(readFileSync(file, "utf8")).split("\n");
    lines.forEach((line, i) => {
      for (const [what, re] of FORBIDDEN)
        if (re.test(line)) out.push(`${rel}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
  return out;
}

describe("determinism seam", () => {
  it("src/, sim/ and faults/ reach the OS, wall time, timers and randomness only through src/io/node-*", () => {
    const files = [
      ...sources(join(root, "src")),
      ...sources(join(root, "sim")),
      ...sources(join(root, "faults")),
    ];
    expect(files.length).toBeGreaterThan(10);
    expect(violations(files)).toEqual([]);
  });

  it("the rule can fail: it flags each forbidden use", () => {
    const samples = [
      'import { readFile } from "node:fs/promises";',
      "const t = Date.now();",
      "const t = performance.now();",
      "process.hrtime.bigint();",
      "setTimeout(f, 1);",
      "const r = Math.random();",
      'import { randomBytes } from "node:crypto";',
      "new WeakRef(x);",
      'import { Worker } from "node:worker_threads";',
    ];
    for (const line of samples) {
      expect(
        FORBIDDEN.some(([, re]) => re.test(code(line))),
        line,
      ).toBe(true);
    }
  });
});
