/**
 * The layering rule (DESIGN.md "Layout and layers"): imports only point down the list
 *   cli/, bench/  →  sim/  →  faults/  →  sim/disk/  →  src/io/
 * and the engine in src/ imports only src/. Concretely, for every relative import in src/, sim/, faults/:
 * - src/ imports only src/;
 * - sim/disk/ imports only sim/disk/ and src/io/;
 * - faults/ imports only faults/, sim/disk/ and src/io/;
 * - sim/ (the harness) imports sim/, sim/disk/, faults/ and src/ — never cli/ or bench/.
 * The rule runs as an ordinary test (Pebble's lint tests) and has a case showing it can fail.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Which top-level areas a file in `from` may import, as path prefixes relative to the repository root. */
const ALLOWED: readonly { layer: string; mayImport: readonly string[] }[] = [
  // Most specific prefix first: sim/disk/ before sim/, src/io/ is inside src/.
  { layer: "sim/disk/", mayImport: ["sim/disk/", "src/io/"] },
  { layer: "faults/", mayImport: ["faults/", "sim/disk/", "src/io/"] },
  { layer: "sim/", mayImport: ["sim/", "faults/", "src/"] },
  { layer: "src/", mayImport: ["src/"] },
];

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** Relative import specifiers of one source text, in order. */
function relativeImports(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? "");
}

/** The violations of the rule in `files` (repository-relative path → source text). */
function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const rule = ALLOWED.find((r) => file.startsWith(r.layer));
    if (rule === undefined) continue;
    for (const spec of relativeImports(text)) {
      const target = relative(root, resolve(root, dirname(file), spec))
        .split("\\")
        .join("/");
      if (!rule.mayImport.some((p) => target.startsWith(p))) out.push(`${file} imports ${target} (${spec})`);
    }
  }
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

describe("layering", () => {
  it("every import in src/, sim/ and faults/ points down the layers", () => {
    const files = new Map<string, string>();
    for (const top of ["src", "sim", "faults"]) {
      for (const path of sources(join(root, top)))
        files.set(relative(root, path), readFileSync(path, "utf8"));
    }
    expect(files.size).toBeGreaterThan(50);
    expect(violations(files)).toEqual([]);
  });

  it("the rule can fail: imports that point up are reported", () => {
    const files = new Map<string, string>([
      ["src/tree/leaf.ts", 'import { Prng } from "../../sim/disk/prng.js";\nimport { a } from "./ok.js";'],
      ["sim/disk/sim-file-system.ts", 'import { LockedError } from "../../src/errors.js";'],
      ["faults/runtime-faults.ts", 'import { mark } from "../src/util/coverage.js";'],
      ["sim/campaign.ts", 'const m = await import("../cli/main.js");'],
      [
        "faults/ok.ts",
        'import type { File } from "../src/io/file-system.js";\nimport { Prng } from "../sim/disk/prng.js";',
      ],
    ]);
    expect(violations(files)).toEqual([
      "src/tree/leaf.ts imports sim/disk/prng.js (../../sim/disk/prng.js)",
      "sim/disk/sim-file-system.ts imports src/errors.js (../../src/errors.js)",
      "faults/runtime-faults.ts imports src/util/coverage.js (../src/util/coverage.js)",
      "sim/campaign.ts imports cli/main.js (../cli/main.js)",
    ]);
  });
});
