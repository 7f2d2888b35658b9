/**
 * Metamorphic test of the leaf tree (issue 5; Pebble's metamorphic/): one seeded operation log runs under
 * several knob settings and every answer must be identical to the answer under the defaults.
 *
 * Invariants checked:
 * - Knobs change when work happens (flushes, merges, splits, manifest rewrites, WAL deletion, cache
 *   evictions), never what a call answers: results, versions, LSNs, values, expiries and error codes match.
 * - Close-and-reopen (recovery) at several points changes no answer; durability 'memory' (no files, reopen
 *   skipped) answers like the durable modes.
 * - Mutations issued back to back without awaiting take effect in call order, whatever the background timing.
 * - The tiny settings really exercise the tree (counters below), so the comparison is not vacuous; a canary
 *   proves the comparison sees a changed answer. Reads wait for durable clock floors in the defaults run
 *   (making a floor durable consumes no LSN, docs/wal-format.md "The clock floor").
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import type { FuseDBOptions } from "../src/db.js";
import { marksSince, snapshot } from "../src/util/coverage.js";
import type { Op, OpLogRun, OpLogShape, TreeTotals } from "./helpers/op-log.js";
import { generateOpLog, runOpLog } from "./helpers/op-log.js";
import { testSeed } from "./helpers/seed.js";

/** What a setting must have exercised: counters above zero, counters at zero, several leaves at the end. */
interface Exercise {
  positive: (keyof TreeTotals)[];
  zero: (keyof TreeTotals)[];
  manyLeaves: boolean;
}

interface Setting {
  name: string;
  options: FuseDBOptions;
  exercise: Exercise;
}

const MIXED: Setting = {
  name: "mixed",
  options: {
    leafBufferBytes: 512,
    bufferBytesMax: 2048,
    leafBytesMax: 4096,
    segmentsMax: 2,
    blockCacheBytes: 4096,
    manifestBytesMax: 512,
    walFileBytesMax: 2048,
    checkpointWalBytes: 4096,
    groupCommitBytesMax: 1024,
  },
  exercise: {
    positive: [
      "flushes",
      "merges",
      "splits",
      "leafMerges",
      "manifestRewrites",
      "walFilesDeleted",
      "cacheEvictions",
    ],
    zero: [],
    manyLeaves: true,
  },
};

const TINY_CACHE: Setting = {
  name: "tiny cache, manifest and WAL files",
  options: { blockCacheBytes: 1, manifestBytesMax: 256, walFileBytesMax: 256, checkpointWalBytes: 512 },
  // A 1-byte cache holds no block: every segment read misses.
  exercise: {
    positive: ["flushes", "manifestRewrites", "walFilesDeleted", "cacheMisses"],
    zero: ["cacheHits"],
    manyLeaves: false,
  },
};

const SETTINGS: Setting[] = [
  {
    name: "tiny buffers",
    options: { leafBufferBytes: 128 },
    exercise: { positive: ["flushes", "merges"], zero: [], manyLeaves: false },
  },
  {
    name: "tiny leaves",
    options: { leafBytesMax: 1024, segmentsMax: 1 },
    exercise: { positive: ["flushes", "splits"], zero: [], manyLeaves: true },
  },
  TINY_CACHE,
  MIXED,
  {
    name: "durability relaxed, small buffers and leaves",
    options: { durability: "relaxed", leafBufferBytes: 256, leafBytesMax: 2048 },
    exercise: { positive: ["flushes", "merges", "splits"], zero: [], manyLeaves: true },
  },
  {
    name: "durability memory (reopen skipped)",
    options: { durability: "memory" },
    exercise: { positive: [], zero: ["flushes"], manyLeaves: false },
  },
];

/**
 * Seeds whose logs gave different answers, replayed on every run under the setting that showed it. Where a
 * background job lands depends on the engine's scheduling, so a scheduling change may move a bug off these
 * seeds; the fresh seed of each run keeps hunting.
 * - 1 (op #658, forward scan) and 3 (op #438, reverse scan), mixed: a scan repeats keys. A leaf merged back
 *   with its neighbour while the scan read it, and Tree.scan resumes at the leaf holding the old leaf's end
 *   (or just below its start, in reverse) without clipping the range at that key, so the merged leaf's keys
 *   already returned come again. Found first with seed 1806876501: leaf [k0112, k0120) merged into
 *   [k0112, k0139) mid-scan and k0112 came back after k0117.
 * - 279517112, tiny cache (op #2404): a queued write failed an engine assertion ("a key memory cannot answer
 *   was read before prepare"). The write's keys were all answerable from memory when its base reads ended,
 *   but other work ran before its prepare and one stopped being answerable; the base reads now keep what
 *   memory answered too (src/commit-pipeline.ts readBases).
 */
const REGRESSION_SEEDS: { seed: number; setting: Setting }[] = [
  { seed: 1, setting: MIXED },
  { seed: 3, setting: MIXED },
  { seed: 1806876501, setting: MIXED },
  { seed: 279517112, setting: TINY_CACHE },
];

const SHAPE: OpLogShape = {
  keys: 300,
  sequentialOps: 2400,
  groups: 60,
  groupCallsMax: 20,
  reopenAt: [500, 1100, 1700, 2300],
};

/** Index of the first answer that differs (a length difference counts at the shorter end), or undefined. */
function firstDifference(a: readonly string[], b: readonly string[]): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? undefined : n;
}

function describeDifference(log: readonly Op[], base: OpLogRun, run: OpLogRun, at: number): string {
  const a = base.answers[at] ?? "(none)";
  const b = run.answers[at] ?? "(none)";
  let c = 0;
  while (c < a.length && a[c] === b[c]) c++;
  // Answers can hold 4 KiB values: show where the two texts part, with some context.
  const around = (s: string): string => `...${s.slice(Math.max(0, c - 300), c + 300)}...`;
  return [
    `first differing answer at op #${at} of ${log.length}, from character ${c}`,
    `op:       ${JSON.stringify(log[at]).slice(0, 1000)}`,
    `defaults: ${around(a)}`,
    `setting:  ${around(b)}`,
  ].join("\n");
}

/** Runs `log` under `setting` and fails on the first answer that differs from `base`, or on idle knobs. */
async function expectSameAnswers(seed: number, log: readonly Op[], base: OpLogRun, setting: Setting) {
  const { name, options, exercise } = setting;
  const run = await runOpLog(log, options);
  console.log(`seed ${seed}, ${name}: ${JSON.stringify(run.tree)}`);
  const at = firstDifference(base.answers, run.answers);
  if (at !== undefined) {
    const report = describeDifference(log, base, run, at);
    console.log(`seed ${seed}, ${name}:\n${report}`);
    expect.fail(`${name}, seed ${seed} (replay with FUSEDB_TEST_SEED=${seed}):\n${report}`);
  }
  for (const counter of exercise.positive)
    expect(run.tree[counter], `${name}: ${counter}`).toBeGreaterThan(0);
  for (const counter of exercise.zero) expect(run.tree[counter], `${name}: ${counter}`).toBe(0);
  if (exercise.manyLeaves) expect(run.tree.leavesAtEnd, `${name}: leaves at the end`).toBeGreaterThan(1);
}

function logOf(seed: number): Op[] {
  return generateOpLog(new Prng(`metamorphic-${seed}`), SHAPE);
}

describe("leaf tree metamorphic test", () => {
  const seed = testSeed("tree metamorphic");
  const log = logOf(seed);
  const calls = log.reduce((n, op) => n + (op.kind === "group" ? op.calls.length : 1), 0);
  let base: OpLogRun;
  /** Coverage marks of the defaults run. */
  let baseMarks: Record<string, number>;

  beforeAll(async () => {
    const before = snapshot();
    base = await runOpLog(log, {});
    baseMarks = marksSince(before);
    console.log(`seed ${seed}: ${log.length} steps, ${calls} calls; defaults: ${JSON.stringify(base.tree)}`);
  });

  it("canary: the comparison sees one changed answer", () => {
    const changed = [...base.answers];
    changed[17] = JSON.stringify({ ok: "something else" });
    expect(firstDifference(base.answers, changed)).toBe(17);
    expect(firstDifference(base.answers, base.answers.slice(0, -1))).toBe(base.answers.length - 1);
    expect(firstDifference(base.answers, [...base.answers])).toBeUndefined();
  });

  it("the defaults run makes clock floors durable, so the comparison covers them (issue 12 item 5)", () => {
    // Reads that saw a document expire waited for the floor (a WAL header slot, no LSN); if that consumed
    // LSNs, settings with other I/O timing would answer other LSNs.
    expect(baseMarks["clock.floor-logged"] ?? 0).toBeGreaterThan(0);
  });

  it.each(SETTINGS)("$name answers exactly like the defaults", async (setting) => {
    await expectSameAnswers(seed, log, base, setting);
  });

  it.each(REGRESSION_SEEDS)(
    "regression seed $seed answers alike under $setting.name",
    async ({ seed, setting }) => {
      const pinned = logOf(seed);
      await expectSameAnswers(seed, pinned, await runOpLog(pinned, {}), setting);
    },
  );
});
