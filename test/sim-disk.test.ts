/**
 * The simulation substrate (sim/). Invariants checked:
 * - Prng: a seed replays the same stream; `fork(name)` depends only on the seed and the name, so drawing
 *   more from one stream never changes another; int/range/shuffle stay in bounds.
 * - Zipf: draws are skewed (the top key takes a large share), scrambled draws stay skewed but move the hot
 *   keys away from 0.
 * - TraceHash: matches the published FNV-1a 64 vectors; event boundaries matter.
 * - SimClock: timers (sleeps and cancellable `timer`s) fire in (due time, insertion order); time moves only when the simulator moves it and
 *   never backwards. Driver: runs the world until a condition holds; work outstanding with nothing
 *   scheduled, or not done within its bound of virtual time, is a HangError.
 * - SimFileSystem: reads see unsynced data; synced writes always survive a crash, unsynced ones may be
 *   lost (both outcomes occur); a created file without syncDir may vanish (and always does when the planner
 *   drops pending directory changes); a rename without syncDir leaves exactly one of the two names; a
 *   remove without syncDir may be undone; a sync covers only what completed before it was issued; a
 *   crashed instance rejects every call (in flight or later, on it or its files) with ESIMCRASHED and
 *   changes nothing; the same seed gives the same crash image; a crash image cloned twice recovers alike;
 *   clones are independent; different seeds give different completion orders; a custom CrashPlanner is
 *   obeyed; locks exclude; the lying-fsync canary loses synced data.
 * Every randomized test logs its seeds.
 */
import { describe, expect, it } from "vitest";
import type { CrashPlanner, PendingOpInfo } from "../sim/index.js";
import {
  Driver,
  faultPlannerOf,
  HangError,
  hashEvents,
  LyingSyncFileSystem,
  Prng,
  RandomCrashPlanner,
  SIM_EPOCH_MS,
  SimClock,
  SimFileSystem,
  settle,
  TraceHash,
  Zipf,
} from "../sim/index.js";
import type { FileSystem } from "../src/io/file-system.js";
import { DirLockHeldError, ioErrorCode } from "../src/io/file-system.js";

const SEEDS = Array.from({ length: 64 }, (_, i) => i + 1);

/** Runs the world on `clock` until `promise` settles (sim/driver.ts). */
function drive<T>(clock: SimClock, promise: Promise<T>): Promise<T> {
  return new Driver(clock).run(promise, "test");
}
const utf8 = new TextEncoder();
const text = new TextDecoder();

function bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

function contents(fs: SimFileSystem): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, data] of fs.snapshot()) out[path] = text.decode(data);
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return ioErrorCode(err) ?? String(err);
  }
}

/** Crashes `fs` keeping each pending operation with probability `keep` (0: durable state only; 1: all). */
function crashKeeping(fs: SimFileSystem, keep: number): SimFileSystem {
  return fs.crash(faultPlannerOf(new RandomCrashPlanner(keep), new Prng(0)));
}

/** A disk with no latency: every call applies as it is issued. */
function instantDisk(): SimFileSystem {
  return new SimFileSystem({ latency: false });
}

async function writeFile(fs: FileSystem, path: string, data: string, sync: boolean): Promise<void> {
  const file = await fs.open(path, { create: true });
  await file.write(0, bytes(data));
  if (sync) await file.sync();
  await file.close();
}

describe("Prng", () => {
  it("replays a seed and keeps forks independent of other streams' draws", () => {
    console.log("Prng seeds: 42, 43");
    const a = new Prng(42);
    const b = new Prng("42");
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(new Prng(43).next()).not.toBe(seqA[0]);

    const root1 = new Prng(42);
    const root2 = new Prng(42);
    const disk1 = root1.fork("disk");
    const work1 = root1.fork("workload");
    const disk2 = root2.fork("disk");
    for (let i = 0; i < 1000; i++) disk1.next(); // one subsystem draws much more in run 1
    root2.next(); // and the root itself draws in run 2
    const work2 = root2.fork("workload");
    const w1 = Array.from({ length: 50 }, () => work1.int(1000));
    const w2 = Array.from({ length: 50 }, () => work2.int(1000));
    expect(w2).toEqual(w1);
    expect(disk2.fork("x").seed).toBe("42/disk/x");
    expect(Array.from({ length: 50 }, () => disk2.int(1000))).not.toEqual(w1);
  });

  it("keeps int, range, pick and shuffle in bounds", () => {
    console.log("Prng seed: bounds");
    const p = new Prng("bounds");
    for (let i = 0; i < 2000; i++) {
      const n = p.int(7);
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true);
      const r = p.range(-3, 3);
      expect(Number.isInteger(r) && r >= -3 && r <= 3).toBe(true);
    }
    expect(["x"]).toContain(p.pick(["x"]));
    const arr = Array.from({ length: 30 }, (_, i) => i);
    const shuffled = p.shuffle([...arr]);
    expect(shuffled).not.toEqual(arr);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(arr);
    expect(() => p.int(0)).toThrow(RangeError);
    expect(() => p.pick([])).toThrow(RangeError);
  });
});

describe("Zipf", () => {
  it("skews draws toward a few hot keys, scrambled or not", () => {
    console.log("Zipf seed: zipf");
    const items = 1000;
    const draws = 50_000;
    for (const scrambled of [false, true]) {
      const zipf = new Zipf(new Prng("zipf").fork(String(scrambled)), items, 0.99, scrambled);
      const counts = new Array<number>(items).fill(0);
      for (let i = 0; i < draws; i++) {
        const k = zipf.next();
        expect(Number.isInteger(k) && k >= 0 && k < items).toBe(true);
        counts[k] = (counts[k] ?? 0) + 1;
      }
      const sorted = [...counts].sort((x, y) => y - x);
      const top = sorted[0] ?? 0;
      const top10 = sorted.slice(0, 10).reduce((x, y) => x + y, 0);
      // Uniform would give 0.1% per key and 1% to the top ten. Unscrambled, the top key takes
      // 1/zeta(1000, 0.99), about 13%; scrambled, 1/zeta(1e10, 0.99), about 3.8% (YCSB's 26.47).
      expect(top / draws).toBeGreaterThan(scrambled ? 0.03 : 0.1);
      expect(top10 / draws).toBeGreaterThan(scrambled ? 0.09 : 0.3);
      const hottest = counts.indexOf(top);
      if (scrambled) expect(hottest).not.toBe(0);
      else expect(hottest).toBe(0);
    }
  });
});

describe("TraceHash", () => {
  it("matches FNV-1a 64 test vectors and separates events", () => {
    const vectors: [string, string][] = [
      ["", "cbf29ce484222325"],
      ["a", "af63dc4c8601ec8c"],
      ["foobar", "85944171f73967e8"],
    ];
    for (const [input, want] of vectors) {
      const h = new TraceHash();
      h.updateBytes(bytes(input));
      expect(h.digest()).toBe(want);
    }
    expect(hashEvents(["ab", "c"])).not.toBe(hashEvents(["a", "bc"]));
    expect(hashEvents(["ab", "c"])).toBe(hashEvents(["ab", "c"]));
  });
});

describe("SimClock", () => {
  it("fires timers in (due time, insertion order) and moves time only when told", async () => {
    const clock = new SimClock();
    expect(clock.now()).toBe(SIM_EPOCH_MS);
    const fired: string[] = [];
    const sleeps = [
      clock.sleep(5).then(() => fired.push(`a@${clock.now() - SIM_EPOCH_MS}`)),
      clock.sleep(1).then(() => fired.push(`b@${clock.now() - SIM_EPOCH_MS}`)),
      clock.sleep(5).then(() => fired.push(`c@${clock.now() - SIM_EPOCH_MS}`)),
      clock.sleep(0).then(() => fired.push(`d@${clock.now() - SIM_EPOCH_MS}`)),
    ];
    expect(clock.pendingTimers).toBe(4);
    expect(clock.nextTimerAt()).toBe(SIM_EPOCH_MS);
    expect(clock.now()).toBe(SIM_EPOCH_MS);
    expect(clock.advance(3)).toBe(2);
    expect(clock.now()).toBe(SIM_EPOCH_MS + 3);
    await settle(); // continuations run after advance returns and see the end of the window
    expect(fired).toEqual(["d@3", "b@3"]);
    expect(clock.pendingTimers).toBe(2);
    await new Driver(clock).until(() => fired.length === 4, "four timers");
    await Promise.all(sleeps);
    expect(fired).toEqual(["d@3", "b@3", "a@5", "c@5"]);
    expect(clock.runNext()).toBe(false);
    await expect(new Driver(clock).until(() => false, "never")).rejects.toThrow(HangError);
    await expect(new Driver(clock).until(() => false, "never")).rejects.toThrow(/nothing scheduled/);
    await expect(clock.sleep(-1)).rejects.toThrow(RangeError);
  });

  it("runNext pops the earliest timer, ties in insertion order, and never moves time backwards", async () => {
    const clock = new SimClock(100);
    const fired: string[] = [];
    for (const [name, ms] of [
      ["x", 2],
      ["y", 0],
      ["z", 2],
      ["w", 0],
    ] as const) {
      void clock.sleep(ms).then(() => fired.push(name));
    }
    clock.advance(10); // fires all four, now = 110
    await settle();
    expect(fired).toEqual(["y", "w", "x", "z"]);
    expect(clock.now()).toBe(110);
    void clock.sleep(0).then(() => fired.push("v"));
    expect(clock.nextTimerAt()).toBe(110);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(110);
    expect(clock.runNext()).toBe(false);
    await settle();
    expect(fired.at(-1)).toBe("v");
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it("calls a wait that outlasts its bound of virtual time a hang", async () => {
    const clock = new SimClock(0);
    let ticks = 0;
    const endless = async (): Promise<void> => {
      for (let i = 0; i < 1_000_000; i++) {
        await clock.sleep(1000);
        ticks++;
      }
    };
    void endless();
    await expect(new Driver(clock, 10_000).until(() => false, "endless")).rejects.toThrow(
      /not done after 10000 virtual ms/,
    );
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThan(13);
  });

  it("timer: fires with the sleeps in (due time, insertion order); a cancelled one never fires nor counts", () => {
    const clock = new SimClock(0);
    const fired: string[] = [];
    const cancelA = clock.timer(10, () => fired.push("a"));
    clock.timer(10, () => fired.push("b"));
    const cancelC = clock.timer(5, () => fired.push("c"));
    expect(clock.pendingTimers).toBe(3);
    cancelC();
    cancelC();
    expect(clock.pendingTimers).toBe(2);
    expect(clock.nextTimerAt()).toBe(10);
    expect(clock.advance(10)).toBe(2);
    expect(fired).toEqual(["a", "b"]);
    cancelA(); // after it fired: nothing
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerAt()).toBe(undefined);
    expect(clock.now()).toBe(10);
    expect(() => clock.timer(-1, () => {})).toThrow(RangeError);
  });

  it("drives a chain of sleeps to completion", async () => {
    const clock = new SimClock(0);
    const chain = async (): Promise<number> => {
      for (let i = 0; i < 10; i++) await clock.sleep(i);
      return clock.now();
    };
    expect(await drive(clock, chain())).toBe(45);
  });
});

describe("SimFileSystem semantics (no latency)", () => {
  it("serves reads, lists, renames and removes from the live namespace, with POSIX-like errors", async () => {
    const fs = instantDisk();
    await fs.mkdir("/db");
    expect(await codeOf(fs.open("/db/missing"))).toBe("ENOENT");
    expect(await codeOf(fs.open("/nodir/x", { create: true }))).toBe("ENOENT");
    const f = await fs.open("/db/b", { create: true, exclusive: true });
    expect(await codeOf(fs.open("/db/b", { create: true, exclusive: true }))).toBe("EEXIST");
    await f.write(0, bytes("hello"));
    await f.write(7, bytes("!"));
    expect(await f.size()).toBe(8);
    expect(text.decode(await f.read(0, 100))).toBe("hello\0\0!");
    await f.truncate(4);
    expect(text.decode(await f.read(0, 100))).toBe("hell");
    await writeFile(fs, "/db/a", "A", false);
    await writeFile(fs, "/db/\u00e9", "E", false);
    expect(await fs.list("/db")).toEqual(["a", "b", "\u00e9"]);
    await fs.rename("/db/b", "/db/c");
    expect(await fs.exists("/db/b")).toBe(false);
    expect(text.decode(await f.read(0, 4))).toBe("hell"); // the handle follows the inode
    await fs.remove("/db/a");
    await fs.remove("/db/a"); // missing is fine
    expect(contents(fs)).toEqual({ "/db/c": "hell", "/db/\u00e9": "E" });
    await f.close();
    expect(await codeOf(f.read(0, 1))).toBe("EBADF");
    expect(await codeOf(fs.list("/db/c"))).toBe("ENOTDIR");
    expect(await codeOf(fs.rename("/db/zz", "/db/y"))).toBe("ENOENT");
    expect(fs.stats.writes).toBe(4);
    expect(fs.stats.bytesWritten).toBe(8);
    expect(fs.stats.crashes).toBe(0);
    expect(fs.listLive("/db")).toEqual(["c", "\u00e9"]);
    expect(fs.listLive("/missing")).toEqual([]);
    expect(fs.readLive("/db/c")).toEqual(bytes("hell"));
    expect(fs.readLive("/db/a")).toBeUndefined();
  });

  it("locks a directory once per instance; a crash drops the locks", async () => {
    const fs = instantDisk();
    await fs.mkdir("/db");
    await fs.syncDir("/");
    const lock = await fs.lock("/db");
    await expect(fs.lock("/db")).rejects.toBeInstanceOf(DirLockHeldError);
    await lock.release();
    const again = await fs.lock("/db");
    const rebooted = fs.crash(new Prng("lock"));
    await expect(again.release()).rejects.toMatchObject({ code: "ESIMCRASHED" });
    await (await rebooted.lock("/db")).release();
    expect(await codeOf(rebooted.lock("/missing"))).toBe("ENOENT");
  });
});

describe("SimFileSystem crashes", () => {
  it("never loses synced data; may lose unsynced writes (both outcomes occur)", async () => {
    console.log(`crash seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    const outcomes = new Set<string>();
    for (const seed of SEEDS) {
      const fs = instantDisk();
      await fs.mkdir("/db");
      await fs.syncDir("/");
      const f = await fs.open("/db/wal", { create: true });
      await fs.syncDir("/db");
      await f.write(0, bytes("synced."));
      await f.sync();
      await f.write(7, bytes("later"));
      const after = fs.crash(new Prng(seed)).snapshot();
      const got = text.decode(after.get("/db/wal") ?? new Uint8Array(0));
      expect(got.startsWith("synced."), `seed ${seed}: ${got}`).toBe(true);
      expect(["synced.", "synced.later"], `seed ${seed}`).toContain(got);
      outcomes.add(got);
    }
    expect(outcomes.size).toBe(2);
  });

  it("may lose a created file whose directory was never synced, even with its data synced (always, if dir changes are dropped)", async () => {
    console.log(`crash seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    const fs = instantDisk();
    await fs.mkdir("/db");
    await fs.syncDir("/");
    await writeFile(fs, "/db/kept", "k", true);
    await fs.syncDir("/db");
    await writeFile(fs, "/db/new", "n", true);
    expect(crashKeeping(fs.clone(), 0).snapshot()).toEqual(new Map([["/db/kept", bytes("k")]]));
    const seen = new Set<boolean>();
    for (const seed of SEEDS) {
      const image = fs.clone().crash(new Prng(seed));
      seen.add(image.snapshot().has("/db/new"));
      expect(image.snapshot().get("/db/kept"), `seed ${seed}`).toEqual(bytes("k"));
    }
    expect(seen).toEqual(new Set([true, false]));
  });

  it("leaves exactly one name after a rename without syncDir; the new one after syncDir", async () => {
    console.log(`crash seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    const fs = instantDisk();
    await fs.mkdir("/db");
    await fs.syncDir("/");
    await writeFile(fs, "/db/tmp", "v2", true);
    await writeFile(fs, "/db/CURRENT", "v1", true);
    await fs.syncDir("/db");
    await fs.rename("/db/tmp", "/db/CURRENT");
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const files = contents(fs.clone().crash(new Prng(seed)));
      const state = JSON.stringify(files);
      expect(
        [JSON.stringify({ "/db/CURRENT": "v1", "/db/tmp": "v2" }), JSON.stringify({ "/db/CURRENT": "v2" })],
        `seed ${seed}`,
      ).toContain(state);
      seen.add(state);
    }
    expect(seen.size).toBe(2);
    await fs.syncDir("/db");
    for (const seed of SEEDS)
      expect(contents(fs.clone().crash(new Prng(seed)))).toEqual({ "/db/CURRENT": "v2" });
  });

  it("may undo a remove without syncDir; keeps it after syncDir", async () => {
    console.log(`crash seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    const fs = instantDisk();
    await fs.mkdir("/db");
    await fs.syncDir("/");
    await writeFile(fs, "/db/old", "o", true);
    await fs.syncDir("/db");
    await fs.remove("/db/old");
    expect(fs.readLive("/db/old")).toBeUndefined();
    expect(contents(crashKeeping(fs.clone(), 0))).toEqual({ "/db/old": "o" });
    const seen = new Set<string>();
    for (const seed of SEEDS) seen.add(JSON.stringify(contents(fs.clone().crash(new Prng(seed)))));
    expect(seen).toEqual(new Set([JSON.stringify({ "/db/old": "o" }), JSON.stringify({})]));
    await fs.syncDir("/db");
    for (const seed of SEEDS) expect(contents(fs.clone().crash(new Prng(seed)))).toEqual({});
  });

  it("obeys the crashPlanner option, which sees each pending file operation in order", async () => {
    const decided: PendingOpInfo[] = [];
    const planner: CrashPlanner = {
      decide: (op) => {
        decided.push(op);
        return op.kind === "write" && op.offset === 0 ? "keep" : "drop";
      },
      decideDirOp: () => "keep",
    };
    const fs = new SimFileSystem({ latency: false, crashPlanner: planner });
    const f = await fs.open("/log", { create: true });
    await f.write(0, bytes("head"));
    await f.write(4, bytes("tail"));
    await f.truncate(2);
    const image = fs.crash(new Prng("planner"));
    expect(decided).toEqual([
      { kind: "write", path: "/log", inodeId: expect.any(Number), offset: 0, length: 4 },
      { kind: "write", path: "/log", inodeId: expect.any(Number), offset: 4, length: 4 },
      { kind: "truncate", path: "/log", inodeId: expect.any(Number), offset: 2, size: 2 },
    ]);
    expect(contents(image)).toEqual({ "/log": "head" });
    expect(image.stats.crashes).toBe(1);
    expect(fs.stats.crashes).toBe(1);
  });

  it("keeps every pending operation with keep probability 1 and none with 0", async () => {
    const fs = instantDisk();
    await fs.mkdir("/db");
    await writeFile(fs, "/db/a", "aaaa", false);
    const f = await fs.open("/db/a");
    await f.truncate(2);
    await f.close();
    const all = crashKeeping(fs.clone(), 1);
    expect(all.snapshot()).toEqual(fs.snapshot());
    const none = crashKeeping(fs.clone(), 0);
    expect(none.snapshot()).toEqual(fs.durableSnapshot());
    expect(none.snapshot().size).toBe(0);
  });

  it("makes a sync cover only operations that completed before it was issued", async () => {
    const clock = new SimClock();
    const latency = { readMs: [0, 0], writeMs: [0, 0], syncMs: [2, 2], metaMs: [0, 0] } as const;
    const fs = new SimFileSystem({ clock, prng: new Prng("sync-mark"), latency });
    const f = await drive(clock, fs.open("/f", { create: true }));
    await drive(clock, fs.syncDir("/"));
    await drive(clock, f.write(0, bytes("before")));
    const sync = f.sync(); // due in 2 ms
    const late = f.write(6, bytes("-late")); // completes at 0 ms, while the sync is in flight
    await drive(clock, Promise.all([sync, late]));
    expect(contents(fs)).toEqual({ "/f": "before-late" });
    expect(contents(crashKeeping(fs, 0))).toEqual({ "/f": "before" });
  });

  it("rejects every call on a crashed instance, in flight or later, and changes nothing", async () => {
    console.log("crash seed: dead");
    const clock = new SimClock();
    const fs = new SimFileSystem({ clock, prng: new Prng("dead") });
    await drive(clock, fs.mkdir("/db"));
    const f = await drive(clock, fs.open("/db/x", { create: true }));
    await drive(clock, f.write(0, bytes("one")));
    const inFlight = [
      f.write(3, bytes("two")),
      f.sync(),
      fs.rename("/db/x", "/db/y"),
      fs.open("/db/z", { create: true }),
      fs.syncDir("/db"),
    ].map(codeOf); // observed at once, so no rejection goes unhandled
    const before = fs.fingerprint();
    const beforeFiles = contents(fs);
    const after = fs.crash(new Prng("dead"));
    const afterPrint = after.fingerprint();
    await new Driver(clock).until(() => clock.pendingTimers === 0, "in-flight calls");
    const codes = await Promise.all(inFlight);
    expect(codes).toEqual(Array(inFlight.length).fill("ESIMCRASHED"));
    const later = [
      f.read(0, 3),
      f.write(0, bytes("x")),
      f.truncate(0),
      f.size(),
      f.close(),
      fs.open("/db/x"),
      fs.list("/db"),
      fs.exists("/db/x"),
      fs.remove("/db/x"),
      fs.mkdir("/db2"),
      fs.lock("/db"),
    ];
    expect(await Promise.all(later.map(codeOf))).toEqual(Array(later.length).fill("ESIMCRASHED"));
    expect(clock.pendingTimers).toBe(0); // rejected before drawing a latency
    expect(() => fs.crash(new Prng(1))).toThrow(/ESIMCRASHED/);
    expect(() => fs.clone()).toThrow(/ESIMCRASHED/);
    expect(fs.fingerprint()).toBe(before);
    expect(contents(fs)).toEqual(beforeFiles);
    expect(after.fingerprint()).toBe(afterPrint);
    expect(fs.isCrashed).toBe(true);
    expect(after.isCrashed).toBe(false);
  });

  it("gives the same crash image for the same seed, and other images for other seeds", async () => {
    console.log(`crash seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    const fs = instantDisk();
    await fs.mkdir("/db");
    await fs.syncDir("/");
    for (let i = 0; i < 6; i++) await writeFile(fs, `/db/f${i}`, `data-${i}`, i % 2 === 0);
    const f = await fs.open("/db/f0");
    for (let i = 0; i < 6; i++) await f.write(i * 3, bytes(`w${i}`));
    const prints = new Set<string>();
    for (const seed of SEEDS) {
      const a = fs.clone().crash(new Prng(seed));
      const b = fs.clone().crash(new Prng(seed));
      expect(a.fingerprint(), `seed ${seed}`).toBe(b.fingerprint());
      expect(a.clone().fingerprint(), `seed ${seed}`).toBe(a.fingerprint());
      prints.add(a.fingerprint());
    }
    expect(prints.size).toBeGreaterThan(SEEDS.length / 2);
    expect(fs.clone().fingerprint()).toBe(fs.fingerprint());
  });

  it("recovers twice from one crash image: two clones replay alike and stay apart", async () => {
    console.log("crash seed: twice");
    const fs = instantDisk();
    await fs.mkdir("/db");
    await fs.syncDir("/");
    await writeFile(fs, "/db/a", "a", true);
    await writeFile(fs, "/db/b", "b", false);
    const image = fs.crash(new Prng("twice"));
    const one = image.clone();
    const two = image.clone();
    expect(one.fingerprint()).toBe(two.fingerprint());
    await writeFile(one, "/db/c", "c", true);
    expect(one.fingerprint()).not.toBe(two.fingerprint());
    expect(two.fingerprint()).toBe(image.fingerprint());
    expect(two.listLive("/db")).toEqual(image.listLive("/db"));
  });

  it("keeps clones independent", async () => {
    const fs = instantDisk();
    await writeFile(fs, "/a", "1", true);
    const copy = fs.clone();
    await writeFile(copy, "/a", "2", true);
    await writeFile(copy, "/b", "3", true);
    expect(contents(fs)).toEqual({ "/a": "1" });
    expect(contents(copy)).toEqual({ "/a": "2", "/b": "3" });
  });
});

describe("canary", () => {
  it("a lying fsync loses synced data and directory entries on some crash", async () => {
    console.log(`crash seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    let lost = 0;
    for (const seed of SEEDS) {
      const disk = instantDisk();
      const lying = new LyingSyncFileSystem(disk);
      await lying.mkdir("/db");
      await lying.syncDir("/");
      await writeFile(lying, "/db/wal", "acked", true);
      await lying.syncDir("/db");
      if (disk.clone().crash(new Prng(seed)).readLive("/db/wal") === undefined) lost++;
      expect(contents(crashKeeping(disk, 0))).toEqual({});
    }
    expect(lost).toBeGreaterThan(0);
  });
});

describe("SimFileSystem latency and trace", () => {
  async function completionOrder(seed: number): Promise<{ order: string[]; trace: string }> {
    const clock = new SimClock();
    const events: string[] = [];
    const fs = new SimFileSystem({
      clock,
      prng: new Prng(seed).fork("disk"),
      onEvent: (e) => events.push(e),
    });
    const order: string[] = [];
    const ops = Array.from({ length: 8 }, (_, i) =>
      writeFile(fs, `/f${i}`, `x${i}`, true).then(() => order.push(`f${i}`)),
    );
    await drive(clock, Promise.all(ops));
    return { order, trace: hashEvents(events) };
  }

  it("orders concurrent operations by seeded latency: same seed same order, other seeds other orders", async () => {
    console.log(`latency seeds ${SEEDS[0]}..${SEEDS.at(-1)}`);
    const orders = new Set<string>();
    for (const seed of SEEDS.slice(0, 16)) {
      const a = await completionOrder(seed);
      const b = await completionOrder(seed);
      expect(b, `seed ${seed}`).toEqual(a);
      orders.add(a.order.join(","));
    }
    expect(orders.size).toBeGreaterThan(8);
  });

  it("applies effects at completion with latency on, at issue with it off", async () => {
    const clock = new SimClock();
    const fs = new SimFileSystem({ clock, prng: new Prng("switch"), latency: true });
    const opening = fs.open("/a", { create: true });
    expect(fs.listLive("/")).toEqual([]); // still in flight
    const f = await drive(clock, opening);
    expect(fs.listLive("/")).toEqual(["a"]);
    fs.setLatency(false);
    void f.write(0, bytes("now"));
    expect(fs.readLive("/a")).toEqual(bytes("now"));
    expect(clock.pendingTimers).toBe(0);
    fs.setLatency(true);
    const later = f.write(0, bytes("NOW"));
    expect(fs.readLive("/a")).toEqual(bytes("now"));
    await drive(clock, later);
    expect(fs.readLive("/a")).toEqual(bytes("NOW"));
    expect(() => new SimFileSystem({ latency: false }).setLatency(true)).toThrow(TypeError);
  });

  it("reports each call when issued and when completed", async () => {
    const events: string[] = [];
    const fs = new SimFileSystem({ latency: false, onEvent: (e) => events.push(e) });
    const f = await fs.open("/w", { create: true });
    await f.write(0, bytes("abc"));
    await codeOf(fs.open("/nope"));
    crashKeeping(fs, 1);
    expect(events).toEqual([
      "issue open /w create",
      "done open /w create",
      "issue write /w off=0 len=3",
      "done write /w off=0 len=3",
      "issue open /nope",
      "fail open /nope ENOENT",
      "crash writes=1/1 truncates=0/0 dirops=1/1",
    ]);
  });
});
