/**
 * Node module hooks that let a child process import the engine's TypeScript sources directly (no build):
 * `./x.js` imports resolve to `./x.ts` when only the .ts exists, and .ts files are transpiled with
 * `typescript.transpileModule` (types erased, no type check). Register it with
 * `node --import <register-ts-loader.mjs>`; used by test/lock.test.ts and test/helpers/fusedb-process.ts.
 *
 * Transpiled files are cached in node_modules/.cache/fusedb-ts-loader/, named by the SHA-256 of the source
 * text, so a file is transpiled once per content: a test that restarts a server many times (the crash test)
 * pays the transpiling once, and an edited source is never served stale. TypeScript itself is loaded only
 * on a cache miss.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CACHE_DIR = fileURLToPath(new URL("../../node_modules/.cache/fusedb-ts-loader/", import.meta.url));
/** Bumped when the transpile options below change, so older cached output is not reused. */
const CACHE_VERSION = "1";

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (!relative || !specifier.endsWith(".js") || err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
    return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const text = await readFile(fileName, "utf8");
  const hash = createHash("sha256").update(CACHE_VERSION).update("\0").update(fileName).update("\0");
  const cached = join(CACHE_DIR, `${hash.update(text).digest("hex")}.js`);
  const hit = await readFile(cached, "utf8").catch(() => undefined);
  if (hit !== undefined) return { format: "module", source: hit, shortCircuit: true };
  const { default: ts } = await import("typescript");
  const { outputText } = ts.transpileModule(text, {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  });
  // Written aside and renamed: a concurrent reader sees the whole file or none.
  const aside = `${cached}.${process.pid}.tmp`;
  await mkdir(CACHE_DIR, { recursive: true })
    .then(() => writeFile(aside, outputText))
    .then(() => rename(aside, cached))
    .catch(() => undefined);
  return { format: "module", source: outputText, shortCircuit: true };
}
