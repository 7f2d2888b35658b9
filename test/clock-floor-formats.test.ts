/**
 * Formats of the clock floor (issue 12 item 5; docs/wal-format.md "Clock floor", docs/segment-format.md
 * "Manifest"). Invariants: a timed batch round-trips its call time and effects (none too), every proper
 * prefix is rejected, a type-1 batch reads with call time 0; a manifest keeps the larger clock floor of its
 * snapshot and edits and rejects a negative one. (WAL header slots carrying the floor: test/wal-format.test.ts.)
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { entryFromStored } from "../src/doc/entry.js";
import { applyEdit, emptyManifest } from "../src/tree/manifest.js";
import {
  decodeBatchRecord,
  decodeTimedBatch,
  type Effect,
  encodeBatch,
  encodeTimedBatch,
} from "../src/wal/batch-codec.js";
import { RecordType } from "../src/wal/format.js";

const T0 = 1_700_000_000_000;

describe("clock floor, formats", () => {
  const effects: Effect[] = [
    { key: "a", entry: entryFromStored(3, Buffer.from('{"x":1}'), 5) },
    { key: "b", entry: entryFromStored(2, undefined, 5) },
  ];

  it("a timed batch round-trips its call time (no effects too); prefixes are rejected", () => {
    const payload = encodeTimedBatch(T0 + 123, effects);
    expect(decodeTimedBatch(payload, 5)).toEqual({ callMs: T0 + 123, effects });
    expect(decodeBatchRecord(RecordType.TimedBatch, payload, 5)).toEqual({ callMs: T0 + 123, effects });
    expect(decodeTimedBatch(encodeTimedBatch(T0, []), 1)).toEqual({ callMs: T0, effects: [] });
    for (let n = 0; n < payload.length; n++)
      expect(() => decodeTimedBatch(payload.subarray(0, n), 5)).toThrow();
    expect(decodeBatchRecord(RecordType.Batch, encodeBatch(effects), 5)).toEqual({ callMs: 0, effects });
  });

  it("a manifest keeps the larger clock floor and rejects a negative one", () => {
    const m = emptyManifest();
    const edit = { checkpointLsn: 0, nextFileNumber: 1, remove: [], add: [] };
    const raised = applyEdit(m, { ...edit, clockFloorMs: T0 });
    expect(raised.clockFloorMs).toBe(T0);
    expect(applyEdit(raised, { ...edit, clockFloorMs: T0 - 1 }).clockFloorMs).toBe(T0);
    expect(applyEdit(raised, edit).clockFloorMs).toBe(T0);
    expect(() => applyEdit(m, { ...edit, clockFloorMs: -1 })).toThrow(/clock floor/);
  });
});
