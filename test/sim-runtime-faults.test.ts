/**
 * Runtime faults injected by the simulated disk itself (sim/disk/io-fault-planner.ts). Invariants: a failed
 * fsync drops the writes it covered (reads still see them; a crash, or a later successful fsync, does not
 * make them durable); a failed write leaves exactly its landed prefix; a misdirected write lands elsewhere
 * and marks the file damaged; a latent bit flip is durable, persists across reads and crashes, and is
 * listed with its offset; a synchronous read (`readSync`, option syncReads) is traced and faulted like any
 * read, and refused after close or a crash; the seeded planner injects exactly the classes of its plan, tells `onInject` of
 * each fault it counts, and refuses a plan that is not one; the oracle's retraction re-resolves later calls without the retracted one.
 */
import { describe, expect, it } from "vitest";
import { RUNTIME_FAULTS_NONE, type RuntimeFaultPlan, RuntimeFaultPlanner } from "../faults/runtime-faults.js";
import { Prng } from "../sim/disk/prng.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { Oracle } from "../sim/oracle.js";
import { ScriptedPlanner } from "./helpers/scripted-planner.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined): string => new TextDecoder().decode(data);

async function freshFile(disk: SimFileSystem) {
  await disk.mkdir("/d");
  await disk.syncDir("/");
  const f = await disk.open("/d/f", { create: true });
  await disk.syncDir("/d");
  return f;
}

describe("simulated disk runtime faults", () => {
  it("a failed fsync drops the writes it covered: visible now, never durable", async () => {
    const disk = new SimFileSystem();
    const plan = new ScriptedPlanner();
    disk.setIoFaults(plan);
    const f = await freshFile(disk);
    await f.write(0, bytes("old!"));
    await f.sync();
    await f.write(0, bytes("new!"));
    plan.syncs.push(true);
    await expect(f.sync()).rejects.toMatchObject({ code: "EIO" });
    expect(text(await f.read(0, 4))).toBe("new!"); // the page cache keeps it, marked clean
    await f.sync(); // succeeds, but has nothing left to write
    expect(text(disk.durableSnapshot().get("/d/f"))).toBe("old!");
    const image = disk.crash(new Prng("x"));
    expect(text(image.readLive("/d/f"))).toBe("old!");
  });

  it("a failed write leaves its landed prefix; a misdirected one lands elsewhere and marks damage", async () => {
    const disk = new SimFileSystem();
    const plan = new ScriptedPlanner();
    disk.setIoFaults(plan);
    const f = await freshFile(disk);
    plan.writes.push({ kind: "fail", code: "ENOSPC", landedBytes: 2 });
    await expect(f.write(0, bytes("abcd"))).rejects.toMatchObject({ code: "ENOSPC" });
    expect(text(disk.readLive("/d/f"))).toBe("ab");
    plan.writes.push({ kind: "misdirect", offset: 8 });
    await f.write(4, bytes("wxyz"));
    expect(disk.readLive("/d/f")).toEqual(Uint8Array.from([97, 98, 0, 0, 0, 0, 0, 0, 119, 120, 121, 122]));
    expect(disk.damagedFiles()).toEqual(new Map([["/d/f", 4]]));
  });

  it("readSync (option syncReads) reads at once, traced, with the same read faults; absent without it", async () => {
    expect((await freshFile(new SimFileSystem())).readSync).toBeUndefined();
    const events: string[] = [];
    const disk = new SimFileSystem({ latency: false, syncReads: true, onEvent: (e) => events.push(e) });
    const plan = new ScriptedPlanner();
    disk.setIoFaults(plan);
    const f = await freshFile(disk);
    await f.write(0, bytes("aaaa"));
    await f.sync();
    const readSync = f.readSync;
    if (readSync === undefined) throw new Error("syncReads gives files readSync");
    events.length = 0;
    expect(text(readSync(0, 4))).toBe("aaaa");
    expect(events).toEqual(["issue read /d/f off=0 len=4 sync", "done read /d/f off=0 len=4 sync"]);
    plan.reads.push({ kind: "eio" });
    expect(() => readSync(0, 4)).toThrow(expect.objectContaining({ code: "EIO" }));
    plan.reads.push({ kind: "flip", offset: 1, mask: 2 });
    expect(text(readSync(0, 4))).toBe("acaa");
    expect(text(await f.read(0, 4))).toBe("acaa");
    await f.close();
    expect(() => readSync(0, 4)).toThrow(expect.objectContaining({ code: "EBADF" }));
    disk.crash(new Prng("z"));
    expect(() => readSync(0, 4)).toThrow(expect.objectContaining({ code: "ESIMCRASHED" }));
  });

  it("a latent bit flip is durable, persists across reads and crashes, and is listed", async () => {
    const disk = new SimFileSystem();
    const plan = new ScriptedPlanner();
    disk.setIoFaults(plan);
    const f = await freshFile(disk);
    await f.write(0, bytes("aaaa"));
    await f.sync();
    plan.reads.push({ kind: "flip", offset: 2, mask: 2 });
    expect(text(await f.read(0, 4))).toBe("aaca");
    expect(text(await f.read(0, 4))).toBe("aaca");
    const image = disk.crash(new Prng("y"));
    expect(text(image.readLive("/d/f"))).toBe("aaca");
    expect(image.damagedFiles()).toEqual(new Map([["/d/f", 2]]));
    expect(image.clone().damagedFiles()).toEqual(new Map([["/d/f", 2]]));
  });

  it("the seeded planner injects each class it is given and nothing else, deterministically", () => {
    const draw = (seed: string) => {
      const p = new RuntimeFaultPlanner(
        { ...RUNTIME_FAULTS_NONE, writeEioProbability: 0.5, readBitFlipProbability: 0.5 },
        new Prng(seed),
      );
      const out: string[] = [];
      for (let i = 0; i < 50; i++) {
        out.push(p.planWrite({ path: "/f", inodeId: 1, offset: 0, length: 10 }).kind);
        out.push(p.planRead({ path: "/f", inodeId: 1, offset: 0, length: 10 }, i % 2 === 0).kind);
        out.push(String(p.planSync({ path: "/f", inodeId: 1, offset: 0, length: 0 })));
      }
      return { out, counts: p.counts };
    };
    const a = draw("s");
    expect(a).toEqual(draw("s"));
    expect(a.counts["write-eio"]).toBeGreaterThan(0);
    expect(a.counts["bit-flip"]).toBeGreaterThan(0);
    const others = Object.entries(a.counts).filter(
      ([kind]) => !["write-eio", "short-write", "bit-flip"].includes(kind),
    );
    expect(
      others.every(([, n]) => n === 0),
      JSON.stringify(a.counts),
    ).toBe(true);
  });

  it("the seeded planner tells onInject of each fault it counts, and refuses a plan that is not one", () => {
    const heard: string[] = [];
    const p = new RuntimeFaultPlanner(
      {
        ...RUNTIME_FAULTS_NONE,
        writeEnospcProbability: 0.3,
        syncEioProbability: 0.3,
        readEioProbability: 0.3,
      },
      new Prng("inject"),
      (kind) => heard.push(kind),
    );
    for (let i = 0; i < 50; i++) {
      p.planWrite({ path: "/f", offset: 0, length: 10 });
      p.planRead({ path: "/f", offset: 0, length: 10 }, true);
      p.planSync({ path: "/f", offset: 0, length: 0 });
      p.planSyncDir("/");
    }
    const tally: Record<string, number> = {};
    for (const kind of heard) tally[kind] = (tally[kind] ?? 0) + 1;
    expect(tally).toEqual(Object.fromEntries(Object.entries(p.counts).filter(([, n]) => n > 0)));
    expect(p.total).toBe(heard.filter((kind) => kind !== "short-write").length);
    for (const kind of ["write-enospc", "fsync-eio", "dir-fsync-eio", "read-eio"]) {
      expect(tally[kind], kind).toBeGreaterThan(0);
    }
    expect(
      () => new RuntimeFaultPlanner({ ...RUNTIME_FAULTS_NONE, readEioProbability: 1.5 }, new Prng("x")),
    ).toThrow(RangeError);
    // A plan written with the old field names has no probabilities: refused, not read as "never".
    const stale = {
      writeEio: 0.1,
      writeEnospc: 0,
      syncEio: 0,
      readEio: 0,
      readBitFlip: 0,
      misdirectedWrite: 0,
    };
    expect(() => new RuntimeFaultPlanner(stale as unknown as RuntimeFaultPlan, new Prng("x"))).toThrow(
      RangeError,
    );
  });

  it("the oracle's retraction takes a call out of the commit order and re-resolves the later ones", () => {
    const oracle = new Oracle();
    const first = oracle.issue([{ op: "incr", key: "k", delta: 1 }]);
    const second = oracle.issue([{ op: "incr", key: "k", delta: 1 }]);
    expect(second.outcome).toMatchObject({ ok: true, pos: 2, results: [{ version: 2, value: 2 }] });
    oracle.retract(first, "first");
    expect(second.outcome).toMatchObject({ ok: true, pos: 1, results: [{ version: 1, value: 1 }] });
    oracle.acked(second, [{ version: 1, value: 1 }], "second");
    expect(oracle.violations).toEqual([]);
  });
});
