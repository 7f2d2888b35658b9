/**
 * The small workloads exhaustive mode crashes everywhere (sim/exhaustive.ts): a few fixed ones, each aimed
 * at one moment of the engine's life (sequential commits, one group commit, a batch, a WAL rotation with an
 * automatic checkpoint, explicit checkpoints, a checkpoint racing writes), and seeded ones. Each has 3 to 5
 * mutations. Values are often hundreds of bytes, so a record spans several 512-byte sectors and a torn
 * write can cut it in the middle. No TTLs: crash states are checked long after the run, in virtual time.
 */
import type { FuseDBOptions } from "../src/db.js";
import { Prng } from "./disk/prng.js";
import type { ModelJson, ModelMutation } from "./model.js";

/** One call of an exhaustive workload. */
export type ExhaustiveCall =
  | { kind: "mutate"; mutations: ModelMutation[]; batch: boolean }
  | { kind: "checkpoint" };

/** A workload: engine knobs and rounds of calls. */
export interface ExhaustiveWorkload {
  name: string;
  knobs: FuseDBOptions;
  /**
   * Rounds run one after another: the calls of a round are issued together (so they may share a group
   * commit) and all must settle before the next round starts.
   */
  rounds: ExhaustiveCall[][];
}

const one = (m: ModelMutation): ExhaustiveCall => ({ kind: "mutate", mutations: [m], batch: false });
const batch = (...ms: ModelMutation[]): ExhaustiveCall => ({ kind: "mutate", mutations: ms, batch: true });
const checkpoint: ExhaustiveCall = { kind: "checkpoint" };
const text = (c: string, bytes: number): string => c.repeat(bytes);

/** The fixed workloads, each 3 to 5 mutations. */
export function fixedWorkloads(): ExhaustiveWorkload[] {
  return [
    {
      name: "sequential-commits",
      knobs: {},
      rounds: [
        [one({ op: "set", key: "k0", value: text("a", 700) })],
        [one({ op: "set", key: "k1", value: { n: 1 } })],
        [one({ op: "set", key: "k0", value: text("b", 900) })],
        [one({ op: "delete", key: "k1" })],
      ],
    },
    {
      name: "one-group-commit",
      knobs: {},
      rounds: [
        [
          one({ op: "set", key: "k0", value: text("x", 600) }),
          one({ op: "incr", key: "k1", delta: 5 }),
          one({ op: "patch", key: "k2", patch: { a: 1 } }),
          one({ op: "delete", key: "k0" }),
          one({ op: "incr", key: "k1", delta: 2 }),
        ],
      ],
    },
    {
      name: "batch-then-overwrite",
      knobs: {},
      rounds: [
        [
          batch(
            { op: "set", key: "k0", value: text("p", 500) },
            { op: "set", key: "k1", value: text("q", 500) },
            { op: "set", key: "k2", value: 3 },
          ),
        ],
        [one({ op: "incr", key: "k2", delta: 4 })],
        [one({ op: "delete", key: "k0" })],
      ],
    },
    {
      // Tiny knobs: the WAL rotates every group and an automatic checkpoint starts after ~512 bytes.
      name: "wal-rotation-auto-checkpoint",
      knobs: { walFileBytesMax: 256, checkpointWalBytes: 512, groupCommitBytesMax: 64 },
      rounds: [
        [one({ op: "set", key: "k0", value: text("r", 300) })],
        [one({ op: "set", key: "k1", value: text("s", 300) })],
        [one({ op: "set", key: "k2", value: text("t", 300) })],
        [one({ op: "set", key: "k0", value: text("u", 300) })],
        [one({ op: "incr", key: "k3", delta: 1 })],
      ],
    },
    {
      name: "explicit-checkpoints",
      knobs: {},
      rounds: [
        [one({ op: "set", key: "k0", value: text("c", 400) })],
        [one({ op: "set", key: "k1", value: 7 })],
        [checkpoint],
        [one({ op: "incr", key: "k1", delta: 1 }), one({ op: "set", key: "k0", value: text("d", 700) })],
        [checkpoint],
      ],
    },
    {
      name: "checkpoint-racing-writes",
      knobs: { walFileBytesMax: 1024 },
      rounds: [
        [one({ op: "set", key: "k0", value: text("e", 800) })],
        [
          checkpoint,
          one({ op: "set", key: "k1", value: text("f", 300) }),
          one({ op: "incr", key: "k2", delta: 1 }),
        ],
        [one({ op: "delete", key: "k0" })],
      ],
    },
  ];
}

/**
 * A seeded workload named `seeded-<seed>`: tiny drawn knobs, 3 to 5 mutations (sets with small or large
 * values, deletes, patches, increments; two of them sometimes one batch) on 3 keys, sometimes a checkpoint,
 * grouped into rounds at random.
 */
export function seededWorkload(seed: string): ExhaustiveWorkload {
  const prng = new Prng(`exhaustive-workload/${seed}`);
  const knobs: FuseDBOptions = {
    walFileBytesMax: prng.pick([256, 1024, 65536]),
    groupCommitBytesMax: prng.pick([64, 1024, 1 << 20]),
    checkpointWalBytes: prng.pick([512, 2048, 1 << 26]),
    blockCacheBytes: prng.pick([1, 4096]),
  };
  const keys = ["k0", "k1", "k2"];
  const mutation = (): ModelMutation => {
    const key = prng.pick(keys);
    switch (prng.int(4)) {
      case 0:
        return { op: "set", key, value: value(prng) };
      case 1:
        return { op: "delete", key };
      case 2:
        return { op: "patch", key, patch: { [prng.pick(["a", "b"])]: prng.int(100) } };
      default:
        return { op: "incr", key, delta: prng.range(-3, 5) };
    }
  };
  const calls: ExhaustiveCall[] = [];
  const n = prng.range(3, 5);
  // Bounded: each call adds one or two of the n mutations.
  for (let left = n; left > 0; ) {
    const asBatch = left >= 2 && prng.bool(0.2);
    calls.push(asBatch ? batch(mutation(), mutation()) : one(mutation()));
    left -= asBatch ? 2 : 1;
  }
  if (prng.bool(0.4)) calls.splice(prng.int(calls.length + 1), 0, checkpoint);
  const rounds: ExhaustiveCall[][] = [];
  for (const call of calls) {
    const last = rounds[rounds.length - 1];
    if (last === undefined || prng.bool(0.5)) rounds.push([call]);
    else last.push(call);
  }
  return { name: `seeded-${seed}`, knobs, rounds };
}

/** A value: a small number, or a string of 1 to 1400 bytes (often spanning sectors). */
function value(prng: Prng): ModelJson {
  if (prng.bool(0.3)) return prng.range(-100, 100);
  return "v".repeat(prng.range(1, 1400));
}

/** Mutations in a workload. */
export function mutationCount(w: ExhaustiveWorkload): number {
  let n = 0;
  for (const round of w.rounds) for (const c of round) if (c.kind === "mutate") n += c.mutations.length;
  return n;
}
