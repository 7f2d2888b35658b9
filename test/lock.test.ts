/**
 * Invariants of the directory lock on the real disk (src/io/node-file-system.ts `lock`):
 * - only one handle may own a data directory: a second open in the same process fails with FUSEDB_LOCKED;
 *   after close it opens again;
 * - a LOCK left by a dead process on this host is taken over; one naming another host is respected;
 * - another live process holding the directory makes open fail with FUSEDB_LOCKED; once that process is
 *   killed (SIGKILL: no cleanup), its stale lock is taken over.
 * The child process imports the current sources (src/index.ts) through test/helpers/ts-loader.mjs, so no
 * build is needed and a stale dist/ is never what gets tested.
 */
import type { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { open } from "../src/index.js";

const SRC_INDEX = pathToFileURL(resolve(import.meta.dirname, "..", "src", "index.ts")).href;
const REGISTER_TS_LOADER = resolve(import.meta.dirname, "helpers", "register-ts-loader.mjs");

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fusedb-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("directory lock", () => {
  it("refuses a second handle in the same process until the first closes", async () => {
    const db = await open(dir);
    await db.set("k", 1);
    await expect(open(dir)).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    // The refused open changed nothing and the first handle still works.
    expect(await db.incr("n")).toMatchObject({ value: 1 });
    await db.close();
    const again = await open(dir);
    expect(await again.get("k")).toEqual({ value: 1, version: 1 });
    await again.close();
  });

  it("takes over a stale LOCK left by a dead pid on this host, and respects one from another host", async () => {
    const first = await open(dir);
    await first.set("k", "kept");
    await first.close();
    await writeFile(join(dir, "LOCK"), `999999@${hostname()}`);
    const db = await open(dir);
    expect(await db.get("k")).toEqual({ value: "kept", version: 1 });
    expect((await readFile(join(dir, "LOCK"), "utf8")).startsWith(`${process.pid}@`)).toBe(true);
    await db.close();
    expect(existsSync(join(dir, "LOCK"))).toBe(false);

    await writeFile(join(dir, "LOCK"), `1@another-host-${hostname()}`);
    await expect(open(dir)).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
  });

  it("refuses while another process holds the directory; takes over after that process is killed", async () => {
    const script = [
      `import { open } from ${JSON.stringify(SRC_INDEX)};`,
      "const db = await open(process.env.FUSEDB_DIR);",
      'await db.set("from-child", 1);',
      'process.stdout.write("ready\\n");',
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const child = spawn(
      process.execPath,
      ["--import", REGISTER_TS_LOADER, "--input-type=module", "-e", script],
      {
        env: { ...process.env, FUSEDB_DIR: dir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      await waitForReady(child);
      await expect(open(dir)).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    } finally {
      await kill(child);
    }
    const db = await open(dir);
    expect(await db.get("from-child")).toEqual({ value: 1, version: 1 });
    await db.close();
  });
});

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready\n")) resolvePromise();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`child exited (${code}) before it was ready: ${err}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.on("exit", () => resolvePromise());
    child.kill("SIGKILL");
  });
}
