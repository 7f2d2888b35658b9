/**
 * Invariants of the directory lock on the real disk (src/io/node-file-system.ts `lock`: a kernel flock on
 * `dir/LOCK`, which src/db.ts reports as FUSEDB_LOCKED):
 * - one owner: a second open in this process or in another process fails with FUSEDB_LOCKED naming the
 *   holder recorded in LOCK; when several processes race to open a directory whose last owner was SIGKILLed,
 *   exactly one wins, every round, and no acknowledged increment is lost;
 * - the lock dies with its process: right after SIGKILL of the owner the directory opens, even while the
 *   killed process is an unreaped zombie and a child it started still runs;
 * - what LOCK says never blocks: a LOCK naming a dead pid, our own pid, pid 1 or another host is no lock;
 * - release gives up its own lock only: LOCK is never removed, and a late second release, or a refused
 *   attempt, leaves another holder's lock in place;
 * - read-only opens (`readOnly: true`) take the lock shared: any number of them, in this process and in
 *   others, at once; a writer and a reader exclude each other (FUSEDB_LOCKED), whichever came first, and a
 *   writer's refusal names the readers.
 * Child processes run the current sources: src/ is transpiled once per run, by the `load` hook of
 * test/helpers/ts-loader.mjs (what register-ts-loader.mjs installs), into a temporary directory, so a child
 * starts without transpiling the engine again and a stale dist/ is never what gets tested.
 */
import type { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DirLockHeldError, NodeFileSystem, open } from "../src/index.js";

const ROOT = resolve(import.meta.dirname, "..");
const TS_LOADER = pathToFileURL(join(ROOT, "test", "helpers", "ts-loader.mjs")).href;

let compiled = "";
let srcIndex = "";
let dir = "";
const children: ChildProcess[] = [];
/** Processes the children started and left behind (the grandchildren of the zombie test). */
const strays: number[] = [];

/** Transpiles every src/ file into `out`, keeping the layout, with the helper's own transpile step. */
async function transpileSources(out: string): Promise<void> {
  const loader = (await import(TS_LOADER)) as {
    load(url: string, context: object, next: () => never): Promise<{ source: string }>;
  };
  const files = (await readdir(join(ROOT, "src"), { recursive: true })).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"), // declarations only (src/server/scripting/fengari.d.ts)
  );
  for (const file of files) {
    const from = join(ROOT, "src", file);
    const { source } = await loader.load(pathToFileURL(from).href, {}, () => {
      throw new Error(`ts-loader did not transpile ${from}`);
    });
    const to = join(out, "src", `${file.slice(0, -3)}.js`);
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, source);
  }
}

beforeAll(async () => {
  compiled = await mkdtemp(join(tmpdir(), "fusedb-lock-src-"));
  await transpileSources(compiled);
  // The transpiled sources import their dependencies (jsonpath-rfc9535) from the project's node_modules.
  await symlink(join(ROOT, "node_modules"), join(compiled, "node_modules"));
  srcIndex = pathToFileURL(join(compiled, "src", "index.js")).href;
}, 60_000);
afterAll(async () => {
  await rm(compiled, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fusedb-lock-"));
});
afterEach(async () => {
  for (const child of children.splice(0)) await kill(child);
  for (const pid of strays.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

/** A child that opens `FUSEDB_DIR`, records its pid there, optionally starts `sleep`, and idles. */
const HOLDER = `
const { open } = await import(process.env.FUSEDB_SRC);
const db = await open(process.env.FUSEDB_DIR);
await db.set("from-child", process.pid);
if (process.env.START_SLEEPER === "1") {
  const { spawn } = await import("node:child_process");
  process.stdout.write("sleeper " + spawn("sleep", ["60"], { stdio: "ignore" }).pid + "\\n");
}
process.stdout.write("ready\\n");
setInterval(() => db.stats(), 1 << 30);
`;

/** A child that answers each "go" line by trying to open `FUSEDB_DIR`; the winner increments "n" and holds. */
const RACER = `
import { createInterface } from "node:readline";
const { open } = await import(process.env.FUSEDB_SRC);
const held = [];
process.stdout.write("ready\\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "go") continue;
  try {
    const db = await open(process.env.FUSEDB_DIR);
    held.push(db);
    process.stdout.write("won " + (await db.incr("n")).value + "\\n");
  } catch (err) {
    process.stdout.write(err?.code === "FUSEDB_LOCKED" ? "locked\\n" : "error " + err?.code + " " + err?.message + "\\n");
  }
}
`;

/** A child that opens `FUSEDB_DIR` read-only, prints "n" (or "locked"), and holds the handle. */
const READER = `
const { open } = await import(process.env.FUSEDB_SRC);
try {
  const db = await open(process.env.FUSEDB_DIR, { readOnly: true });
  process.stdout.write("read " + JSON.stringify((await db.get("n"))?.value ?? null) + "\\n");
  setInterval(() => db.stats(), 1 << 30);
} catch (err) {
  process.stdout.write(err?.code === "FUSEDB_LOCKED" ? "locked\\n" : "error " + err?.code + " " + err?.message + "\\n");
}
`;

/** A running child and the lines it prints, read one at a time. */
class Child {
  private readonly lines: string[] = [];
  private closed = false;
  private stderr = "";
  private wake: () => void = () => undefined;

  constructor(readonly process: ChildProcess) {
    let partial = "";
    process.stdout?.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wake();
    });
    process.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    process.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  /** The next line printed; rejects if the child's output ends first. */
  async next(): Promise<string> {
    // Bounded by the child: each wake-up brings a line or the end of its output.
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closed) throw new Error(`child ${this.process.pid} ended: ${this.stderr}`);
      await new Promise<void>((resolveWake) => {
        this.wake = resolveWake;
      });
    }
  }
}

/** Starts `command` (program, then arguments) with the directory and the transpiled sources in its env. */
function start(command: string[], extraEnv: Record<string, string> = {}): Child {
  const [program = "", ...args] = command;
  const child = spawn(program, args, {
    env: {
      ...process.env,
      ...extraEnv,
      FUSEDB_DIR: dir,
      FUSEDB_SRC: srcIndex,
      NODE_PATH: join(ROOT, "node_modules"), // the transpiled copy is outside the repo: find fs-ext
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  return new Child(child);
}

function node(script: string): string[] {
  return [process.execPath, "--input-type=module", "-e", script];
}

async function expectLine(child: Child, expected: string): Promise<void> {
  expect(await child.next()).toBe(expected);
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    child.on("exit", () => resolveExit());
    child.kill("SIGKILL");
  });
}

/** The state letter of `pid` in /proc (R, S, Z, ...), or undefined once it is gone. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ROUNDS = 20;
const RACERS = 4;

describe("directory lock", () => {
  it("refuses a second handle in this process, naming it, until the first closes", async () => {
    const db = await open(dir);
    await db.set("k", 1);
    const refused = open(dir);
    await expect(refused).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await expect(refused).rejects.toThrow(`another handle in this process (pid ${process.pid})`);
    // The refused open changed nothing and the first handle still works.
    expect(await db.incr("n")).toMatchObject({ value: 1 });
    await db.close();
    const again = await open(dir);
    expect(await again.get("k")).toEqual({ value: 1, version: 1 });
    await again.close();
  });

  it("is not blocked by what a LOCK file names: a dead pid, our own pid, pid 1, another host", async () => {
    const me = `${process.pid}@${hostname()}`;
    const left = [`999999@${hostname()}`, me, `1@${hostname()}`, `1@another-host-${hostname()}`];
    for (const holder of left) {
      await writeFile(join(dir, "LOCK"), holder);
      const db = await open(dir);
      await db.incr("n");
      expect((await readFile(join(dir, "LOCK"), "utf8")).trim(), holder).toBe(me);
      await db.close();
    }
    expect(existsSync(join(dir, "LOCK")), "release never removes LOCK").toBe(true);
    const db = await open(dir);
    expect((await db.get("n"))?.value).toBe(left.length);
    await db.close();
  });

  it("refuses while another process holds it, naming it; a late release or a refused try leaves that lock; SIGKILL frees it", async () => {
    const fs = new NodeFileSystem();
    const mine = await fs.lock(dir);
    await mine.release();
    const holder = start(node(HOLDER));
    await expectLine(holder, "ready");
    const pid = holder.process.pid;
    await mine.release(); // a second release, after another process took the lock: must not touch it
    expect(existsSync(join(dir, "LOCK"))).toBe(true);
    await expect(fs.lock(dir)).rejects.toBeInstanceOf(DirLockHeldError);
    const refused = open(dir);
    await expect(refused).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await expect(refused).rejects.toThrow(`process ${pid}@${hostname()}`);
    await kill(holder.process);
    const db = await open(dir);
    expect(await db.get("from-child")).toEqual({ value: pid, version: 1 });
    await db.close();
  }, 30_000);

  it("opens at once after SIGKILL of the owner, while it is an unreaped zombie and a child it started runs on", async () => {
    // sh starts the holder, then execs sleep, which never waits for children: once killed, the holder
    // stays a zombie (its pid still answers kill(pid, 0)) until sleep ends.
    const script = '"$NODE_BIN" --input-type=module -e "$HOLDER" & echo "holder $!"; exec sleep 60';
    const parent = start(["/bin/sh", "-c", script], {
      NODE_BIN: process.execPath,
      HOLDER,
      START_SLEEPER: "1",
    });
    const holderPid = Number((await parent.next()).replace("holder ", ""));
    strays.push(holderPid);
    const sleeperPid = Number((await parent.next()).replace("sleeper ", ""));
    strays.push(sleeperPid);
    await expectLine(parent, "ready");
    await expect(open(dir)).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });

    process.kill(holderPid, "SIGKILL");
    // Bounded by the test's timeout: the kernel ends a killed process within milliseconds.
    let state = await processState(holderPid);
    for (; state !== "Z" && state !== undefined; state = await processState(holderPid)) {
      await new Promise((wake) => setTimeout(wake, 5));
    }
    expect(state, "the killed holder is a zombie").toBe("Z");
    expect(isAlive(holderPid), "a zombie's pid looks alive").toBe(true);
    // The thread-group leader shows "Z" as soon as it exits, while its other threads (libuv's pool) may
    // still be ending; the kernel drops the lock when the last of them closes the descriptor. So the open
    // may be refused for a few milliseconds; it must succeed while the holder is still an unreaped zombie.
    let db: Awaited<ReturnType<typeof open>> | undefined;
    for (let attempt = 0; db === undefined; attempt++) {
      try {
        db = await open(dir);
      } catch (err) {
        // Bounded: 400 attempts 5 ms apart.
        if ((err as { code?: string }).code !== "FUSEDB_LOCKED" || attempt >= 400) throw err;
        await new Promise((wake) => setTimeout(wake, 5));
      }
    }
    expect(await processState(holderPid), "still an unreaped zombie when the open succeeded").toBe("Z");
    expect(isAlive(sleeperPid), "the holder's child still runs").toBe(true);
    expect(await db.get("from-child")).toEqual({ value: holderPid, version: 1 });
    await db.close();
  }, 30_000);

  it("read-only handles share the lock with each other, in this process and another, and exclude a writer both ways", async () => {
    const holder = start(node(HOLDER));
    await expectLine(holder, "ready");
    const pid = holder.process.pid;
    const refused = open(dir, { readOnly: true });
    await expect(refused).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await expect(refused).rejects.toThrow(`process ${pid}@${hostname()}`);
    await expectLine(start(node(READER)), "locked");
    await kill(holder.process);

    // The writer is gone: readers open, several at once, here and in another process.
    const first = await open(dir, { readOnly: true });
    const second = await open(dir, { readOnly: true });
    expect(await first.get("from-child")).toEqual({ value: pid, version: 1 });
    expect(await second.get("from-child")).toEqual({ value: pid, version: 1 });
    const reader = start(node(READER));
    await expectLine(reader, "read null");
    // While they read, no writer gets in, in this process or another, and the refusal names readers.
    const writer = open(dir);
    await expect(writer).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await expect(writer).rejects.toThrow("read-only handles");
    const racer = start(node(RACER));
    await expectLine(racer, "ready");
    racer.process.stdin?.write("go\n");
    await expectLine(racer, "locked");
    await first.close();
    await second.close();
    racer.process.stdin?.write("go\n");
    await expectLine(racer, "locked"); // the reader process still holds its shared lock
    await kill(reader.process);
    racer.process.stdin?.write("go\n");
    await expectLine(racer, "won 1");
    // Now a process writes: a reader here is refused, and nothing it did changed the directory.
    await expect(open(dir, { readOnly: true })).rejects.toMatchObject({ code: "FUSEDB_LOCKED" });
    await kill(racer.process);
    const after = await open(dir, { readOnly: true });
    expect(await after.get("n")).toEqual({ value: 1, version: 1 });
    await after.close();
  }, 30_000);

  it(`lets exactly one of ${RACERS} processes win a race to open a directory whose owner was SIGKILLed, ${ROUNDS} rounds`, async () => {
    const pool: Child[] = [];
    const fill = async (): Promise<void> => {
      const fresh: Child[] = [];
      while (pool.length + fresh.length < RACERS) fresh.push(start(node(RACER)));
      for (const racer of fresh) await expectLine(racer, "ready");
      pool.push(...fresh);
    };
    const killWinner = async (index: number): Promise<void> => {
      const [winner] = pool.splice(index, 1);
      if (winner !== undefined) await kill(winner.process);
    };
    await fill();
    pool[0]?.process.stdin?.write("go\n");
    await expectLine(pool[0] as Child, "won 1");
    await killWinner(0);
    const losers = Array.from({ length: RACERS - 1 }, () => "locked");
    for (let round = 1; round <= ROUNDS; round++) {
      await fill();
      for (const racer of pool) racer.process.stdin?.write("go\n");
      const answers = await Promise.all(pool.map((racer) => racer.next()));
      // One winner, and it saw every earlier winner's acknowledged increment.
      expect([...answers].sort(), `round ${round}`).toEqual([...losers, `won ${round + 1}`]);
      await killWinner(answers.findIndex((answer) => answer.startsWith("won")));
    }
    for (const racer of pool.splice(0)) await kill(racer.process);
    const db = await open(dir);
    expect((await db.get("n"))?.value).toBe(ROUNDS + 1);
    await db.close();
  }, 60_000);
});
