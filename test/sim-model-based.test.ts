/**
 * Model-based test (fast-check `fc.commands`): scripts of Set, Incr, Patch, Delete, Batch, Checkpoint, Crash
 * and Reopen run against the engine on a virtual disk and against a plain Map model. Invariants: every
 * acknowledged mutation survives crashes and reopens; versions start at 1 and grow by one per mutation
 * (deletes included); rejected calls change nothing; state after recovery equals the model exactly. A failure
 * shrinks to a short script that reads like one (each command's toString).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Model {
  docs: Map<string, { value: Json | undefined; version: number }>;
}

interface Real {
  fs: SimFileSystem;
  clock: SimClock;
  db: FuseDB;
  crashes: number;
}

const KNOBS = { walFileBytesMax: 300, groupCommitBytesMax: 256 };
const keyArb = fc.constantFrom("a", "b", "c", "d");
const jsonArb: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -50, max: 50 }),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.record({ x: fc.integer({ min: 0, max: 9 }), y: fc.option(fc.string({ maxLength: 3 }), { nil: null }) }),
);

function mergePatch(target: Json | undefined, patch: Json): Json {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: { [k: string]: Json } =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function bump(m: Model, key: string, value: Json | undefined): number {
  const version = (m.docs.get(key)?.version ?? 0) + 1;
  m.docs.set(key, { value, version });
  return version;
}

async function expectMatches(m: Model, r: Real): Promise<void> {
  for (const [key, doc] of m.docs) {
    expect(await r.db.versionOf(key), `version of ${key}`).toBe(doc.version);
    const got = await r.db.get(key);
    expect(got?.value, `value of ${key}`).toEqual(doc.value);
  }
}

class SetCmd implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly value: Json,
  ) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.db.set(this.key, this.value);
    expect(res.version).toBe(bump(m, this.key, this.value));
  }
  toString = (): string => `set(${this.key}, ${JSON.stringify(this.value)})`;
}

class IncrCmd implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly delta: number,
  ) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const doc = m.docs.get(this.key);
    const cur = doc === undefined || doc.value === undefined ? 0 : doc.value;
    if (typeof cur !== "number") {
      await expect(r.db.incr(this.key, this.delta)).rejects.toMatchObject({ code: "FUSEDB_TYPE_MISMATCH" });
      return;
    }
    const res = await r.db.incr(this.key, this.delta);
    expect(res.value).toBe(cur + this.delta);
    expect(res.version).toBe(bump(m, this.key, cur + this.delta));
  }
  toString = (): string => `incr(${this.key}, ${this.delta})`;
}

class PatchCmd implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly patch: Json,
  ) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const next = mergePatch(m.docs.get(this.key)?.value, this.patch);
    const res = await r.db.patch(this.key, this.patch);
    expect(res.value).toEqual(next);
    expect(res.version).toBe(bump(m, this.key, next));
  }
  toString = (): string => `patch(${this.key}, ${JSON.stringify(this.patch)})`;
}

class DeleteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: string) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.db.delete(this.key);
    expect(res.version).toBe(bump(m, this.key, undefined));
  }
  toString = (): string => `delete(${this.key})`;
}

class BatchCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ops: { key: string; delta: number; value: Json; kind: "set" | "incr" }[]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const trial: Model = { docs: new Map(m.docs) };
    let ok = true;
    for (const op of this.ops) {
      if (op.kind === "set") {
        bump(trial, op.key, op.value);
        continue;
      }
      const doc = trial.docs.get(op.key);
      const cur = doc === undefined || doc.value === undefined ? 0 : doc.value;
      if (typeof cur !== "number") ok = false;
      else bump(trial, op.key, cur + op.delta);
    }
    const call = r.db.batch(
      this.ops.map((o) =>
        o.kind === "set"
          ? { op: "set", key: o.key, value: o.value }
          : { op: "incr", key: o.key, delta: o.delta },
      ),
    );
    if (!ok) {
      await expect(call).rejects.toMatchObject({ code: "FUSEDB_TYPE_MISMATCH" });
      return;
    }
    await call;
    m.docs = trial.docs;
  }
  toString = (): string => `batch(${JSON.stringify(this.ops)})`;
}

class CheckpointCmd implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.db.checkpoint();
    await expectMatches(m, r);
  }
  toString = (): string => "checkpoint()";
}

class CrashCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seed: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    r.fs = r.fs.crash(new Prng(`crash-${this.seed}`));
    r.crashes++;
    r.db = await FuseDB.open({ ...KNOBS, dir: "/db", fs: r.fs, clock: r.clock });
    await expectMatches(m, r);
  }
  toString = (): string => `crash(${this.seed})`;
}

class ReopenCmd implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.db.close();
    r.db = await FuseDB.open({ ...KNOBS, dir: "/db", fs: r.fs, clock: r.clock });
    await expectMatches(m, r);
  }
  toString = (): string => "reopen()";
}

const commands = [
  fc.tuple(keyArb, jsonArb).map(([k, v]) => new SetCmd(k, v)),
  fc.tuple(keyArb, fc.integer({ min: -5, max: 5 })).map(([k, d]) => new IncrCmd(k, d)),
  fc
    .tuple(keyArb, fc.record({ x: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }), z: jsonArb }))
    .map(([k, p]) => new PatchCmd(k, p)),
  keyArb.map((k) => new DeleteCmd(k)),
  fc
    .array(
      fc.record({
        key: keyArb,
        delta: fc.integer({ min: -3, max: 3 }),
        value: jsonArb,
        kind: fc.constantFrom<"set" | "incr">("set", "incr"),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((ops) => new BatchCmd(ops)),
  fc.constant(new CheckpointCmd()),
  fc.integer({ min: 0, max: 1_000_000 }).map((s) => new CrashCmd(s)),
  fc.constant(new ReopenCmd()),
];

describe("model-based: engine on a virtual disk against a Map", () => {
  it("survives any script of mutations, checkpoints, crashes and reopens", async () => {
    const seed = Number(process.env.FUSEDB_FC_SEED ?? 20261121);
    console.log(`model-based test seed: ${seed} (replay with FUSEDB_FC_SEED=${seed})`);
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
        const clock = new SimClock();
        const fs = new SimFileSystem({ clock, prng: new Prng("mbt-disk"), latency: false });
        const db = await FuseDB.open({ ...KNOBS, dir: "/db", fs, clock });
        const real: Real = { fs, clock, db, crashes: 0 };
        await fc.asyncModelRun(() => ({ model: { docs: new Map() }, real }), cmds);
      }),
      { seed, numRuns: 60 },
    );
  });
});
