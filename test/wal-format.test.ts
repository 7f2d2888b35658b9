/**
 * Invariants of the WAL record framing (src/wal/format.ts) and the batch payload (src/wal/batch-codec.ts),
 * as docs/wal-format.md states them:
 * - encode → decode is the identity on type, LSN (including above 2^32), groupLsn and payload, at any offset;
 * - every proper prefix of a record decodes as invalid (the empty prefix as "end"): a torn write is never
 *   taken for a record;
 * - a flipped bit anywhere in a record (header or payload) is detected (every bit of a small record;
 *   fast-check for larger ones);
 * - a length over RECORD_PAYLOAD_BYTES_MAX is rejected from the header alone, before anything is allocated
 *   or read, and encodeRecord refuses such a payload;
 * - batch codec: encode → decode is the identity on keys (any bytes), versions, values and tombstones;
 *   every malformed payload (truncated, trailing bytes, unknown kind, version 0, huge count, bad JSON,
 *   bad UTF-8) is rejected with an Error, never decoded into effects.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Entry } from "../src/doc/entry.js";
import { entryFromStored } from "../src/doc/entry.js";
import { checksum } from "../src/util/bytes.js";
import { decodeBatch, type Effect, encodeBatch } from "../src/wal/batch-codec.js";
import {
  decodeRecord,
  encodeRecord,
  HEADER_BYTES,
  parseWalFileName,
  RECORD_PAYLOAD_BYTES_MAX,
  RecordType,
  walFileName,
} from "../src/wal/format.js";
import { testSeed } from "./helpers/seed.js";

function flipBit(data: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(data);
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
}

describe("record framing", () => {
  it("has the documented header size", () => {
    expect(HEADER_BYTES).toBe(21);
  });

  it("round-trips type, LSN, groupLsn and payload at any offset", () => {
    const a = encodeRecord(RecordType.Batch, 7, 5, Buffer.from("hello"));
    const b = encodeRecord(RecordType.Batch, 2 ** 40 + 3, 2 ** 40 + 1, Buffer.alloc(0));
    const c = encodeRecord(
      RecordType.Batch,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
      Buffer.from([0, 255]),
    );
    const data = Buffer.concat([a, b, c]);
    const first = decodeRecord(data, 0);
    expect(first).toMatchObject({
      kind: "record",
      record: { type: 1, lsn: 7, groupLsn: 5, offset: 0, bytes: 26 },
    });
    if (first.kind !== "record") throw new Error("record expected");
    expect(Buffer.from(first.record.payload).toString()).toBe("hello");
    const second = decodeRecord(data, a.length);
    expect(second).toMatchObject({
      kind: "record",
      record: { lsn: 2 ** 40 + 3, groupLsn: 2 ** 40 + 1, bytes: 21 },
    });
    const third = decodeRecord(data, a.length + b.length);
    expect(third).toMatchObject({
      kind: "record",
      record: { lsn: Number.MAX_SAFE_INTEGER, groupLsn: Number.MAX_SAFE_INTEGER },
    });
    if (third.kind !== "record") throw new Error("record expected");
    expect([...third.record.payload]).toEqual([0, 255]);
    expect(decodeRecord(data, data.length)).toEqual({ kind: "end" });
  });

  it("round-trips random records (fast-check)", () => {
    const seed = testSeed("record round trip");
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: 10_000 }),
        fc.uint8Array({ maxLength: 64 }),
        (payload, lsn, back, prefix) => {
          const groupLsn = Math.max(1, lsn - back);
          const data = Buffer.concat([prefix, encodeRecord(RecordType.Batch, lsn, groupLsn, payload)]);
          const got = decodeRecord(data, prefix.length);
          expect(got.kind).toBe("record");
          if (got.kind !== "record") return;
          expect(got.record).toMatchObject({
            lsn,
            groupLsn,
            offset: prefix.length,
            bytes: HEADER_BYTES + payload.length,
          });
          expect(Buffer.from(got.record.payload).equals(Buffer.from(payload))).toBe(true);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it("decodes every proper prefix of a record as invalid", () => {
    for (const payload of [Buffer.alloc(0), Buffer.from("a small payload"), Buffer.alloc(300, 7)]) {
      const rec = encodeRecord(RecordType.Batch, 42, 40, payload);
      expect(decodeRecord(rec.subarray(0, 0), 0)).toEqual({ kind: "end" });
      for (let n = 1; n < rec.length; n++) {
        expect(decodeRecord(rec.subarray(0, n), 0).kind, `prefix of ${n} bytes`).toBe("invalid");
        // The same at an offset inside a longer buffer.
        const framed = Buffer.concat([Buffer.alloc(5), rec.subarray(0, n)]);
        expect(decodeRecord(framed, 5).kind).toBe("invalid");
      }
      expect(decodeRecord(rec, 0).kind).toBe("record");
    }
  });

  it("detects a flipped bit at every bit position of a small record", () => {
    const rec = encodeRecord(RecordType.Batch, 3, 2, Buffer.from("tiny payload"));
    for (let bit = 0; bit < rec.length * 8; bit++) {
      expect(decodeRecord(flipBit(rec, bit), 0).kind, `bit ${bit}`).toBe("invalid");
    }
  });

  it("detects a flipped bit in larger records (fast-check)", () => {
    const seed = testSeed("record bit flip");
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 8192 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.nat(),
        (payload, lsn, pick) => {
          const rec = encodeRecord(RecordType.Batch, lsn, lsn, payload);
          const bit = pick % (rec.length * 8);
          expect(decodeRecord(flipBit(rec, bit), 0).kind).toBe("invalid");
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it("rejects an unknown record type even with a valid checksum", () => {
    const rec = encodeRecord(RecordType.Batch, 1, 1, Buffer.from("x"));
    rec[8] = 9;
    rec.writeUInt32LE(checksum(rec.subarray(4)), 0);
    expect(decodeRecord(rec, 0)).toMatchObject({ kind: "invalid", reason: expect.stringContaining("type") });
  });

  it("rejects a length over RECORD_PAYLOAD_BYTES_MAX from the header alone", () => {
    for (const length of [RECORD_PAYLOAD_BYTES_MAX + 1, 2 ** 32 - 1]) {
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(length, 4);
      header.writeUInt8(RecordType.Batch, 8);
      // Only the 21 header bytes exist: the bound is checked before the length is trusted.
      expect(decodeRecord(header, 0)).toMatchObject({
        kind: "invalid",
        reason: expect.stringContaining("bound"),
      });
    }
    // A length within the bound but past the end is a different, cheaper finding (a torn write).
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(RECORD_PAYLOAD_BYTES_MAX, 4);
    expect(decodeRecord(header, 0)).toMatchObject({
      kind: "invalid",
      reason: expect.stringContaining("past end"),
    });
    expect(() => encodeRecord(RecordType.Batch, 1, 1, new Uint8Array(RECORD_PAYLOAD_BYTES_MAX + 1))).toThrow(
      RangeError,
    );
  });

  it("names WAL files after their first LSN and parses only such names", () => {
    expect(walFileName(1)).toBe("wal-0000000000000001.log");
    expect(parseWalFileName(walFileName(2 ** 40))).toBe(2 ** 40);
    for (const name of [
      "wal-1.log",
      "wal-0000000000000001.log.tmp",
      "MANIFEST",
      "wal-000000000000000x.log",
    ]) {
      expect(parseWalFileName(name)).toBeUndefined();
    }
  });
});

function entry(version: number, value: unknown, lsn: number): Entry {
  return entryFromStored(version, value === undefined ? undefined : Buffer.from(JSON.stringify(value)), lsn);
}

describe("batch codec", () => {
  it("round-trips puts and tombstones with binary keys", () => {
    const effects: Effect[] = [
      { key: "a", entry: entry(1, { x: [1, "é", null] }, 9) },
      { key: "\u0000\u00ff", entry: entry(7, undefined, 9) },
      { key: "k".repeat(1024), entry: entry(2 ** 40, "s", 9) },
    ];
    const decoded = decodeBatch(encodeBatch(effects), 9);
    expect(decoded).toEqual(effects);
    expect(decoded.map((e) => e.entry.lsn)).toEqual([9, 9, 9]);
  });

  it("round-trips random batches (fast-check)", () => {
    const seed = testSeed("batch round trip");
    const keyArb = fc
      .uint8Array({ minLength: 1, maxLength: 40 })
      .map((b) => Buffer.from(b).toString("latin1"));
    const effectArb = fc.record({
      key: keyArb,
      version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      value: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(effectArb, { maxLength: 20 }),
        fc.integer({ min: 1, max: 2 ** 45 }),
        (raw, lsn) => {
          const effects = raw.map((r) => ({ key: r.key, entry: entry(r.version, r.value, lsn) }));
          const decoded = decodeBatch(encodeBatch(effects), lsn);
          expect(decoded.map((d) => [d.key, d.entry.version, d.entry.value, d.entry.lsn])).toEqual(
            effects.map((e) => [e.key, e.entry.version, e.entry.value, lsn]),
          );
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it("rejects every truncation and any trailing byte", () => {
    const payload = encodeBatch([
      { key: "a", entry: entry(1, { n: 1 }, 1) },
      { key: "b", entry: entry(2, undefined, 1) },
    ]);
    for (let n = 0; n < payload.length; n++) expect(() => decodeBatch(payload.subarray(0, n), 1)).toThrow();
    expect(() => decodeBatch(Buffer.concat([payload, Buffer.of(0)]), 1)).toThrow(/trailing/);
  });

  it("rejects unknown kinds, version 0, oversized counts and versions, and undecodable values", () => {
    const one = encodeBatch([{ key: "k", entry: entry(1, 5, 1) }]);
    // Layout: count u32 | kind u8 @4 | keyLength u16 @5 | key @7 | version u64 @8 | valueLength u32 @16 | value @20
    const kind = Buffer.from(one);
    kind[4] = 9; // 1, 2 and 3 are kinds; 9 is not
    expect(() => decodeBatch(kind, 1)).toThrow(/kind/);
    const version0 = Buffer.from(one);
    version0.writeUInt32LE(0, 8);
    expect(() => decodeBatch(version0, 1)).toThrow(/version/);
    const hugeVersion = Buffer.from(one);
    hugeVersion.writeUInt32LE(0xffffffff, 12);
    expect(() => decodeBatch(hugeVersion, 1)).toThrow();
    const count = Buffer.from(one);
    count.writeUInt32LE(0xffffffff, 0);
    expect(() => decodeBatch(count, 1)).toThrow(/count/);
    const badJson = Buffer.from(one);
    badJson[20] = 0x7b; // "{"
    expect(() => decodeBatch(badJson, 1)).toThrow();
    const badUtf8 = Buffer.from(encodeBatch([{ key: "k", entry: entry(1, "ab", 1) }]));
    badUtf8[21] = 0xff; // inside the string: not UTF-8
    expect(() => decodeBatch(badUtf8, 1)).toThrow();
    expect(decodeBatch(one, 1)).toHaveLength(1);
  });
});
