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
 *   bad UTF-8) is rejected with an Error, never decoded into effects;
 * - file header (format 3): encode → decode is the identity on the first LSN and both slots (durable LSN and
 *   clock floor); every flipped bit of the fixed part, and every proper prefix, makes the header invalid; a
 *   flipped bit in one slot (its floor included) loses only that slot (a torn rewrite), in both slots the
 *   header; the next slot rewritten is never the newest (best claim, then best floor);
 * - a magic of no format it reads is refused (format 2 headers: test/recovery-wal-format2.test.ts);
 * - WALHEAD: encode → decode is the identity; any flipped bit or other size is invalid;
 * - the bounded window (src/wal/wal-window.ts) decodes the same records as a whole-buffer decode, with no
 *   read larger than a chunk or one record, and finds a later group's record behind damage across chunks.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Entry } from "../src/doc/entry.js";
import { entryFromStored } from "../src/doc/entry.js";
import type { File } from "../src/io/file-system.js";
import { checksum } from "../src/util/bytes.js";
import { decodeBatch, type Effect, encodeBatch } from "../src/wal/batch-codec.js";
import {
  decodeFileHeader,
  decodeRecord,
  decodeWalHead,
  encodeFileHeader,
  encodeRecord,
  encodeSlot,
  encodeWalHead,
  FILE_HEADER_BYTES,
  HEADER_BYTES,
  nextSlot,
  parseWalFileName,
  RECORD_PAYLOAD_BYTES_MAX,
  RecordType,
  SLOT_BYTES,
  type SlotIndex,
  slotClaim,
  slotFloor,
  slotOffset,
  WAL_HEAD_BYTES,
  walFileName,
} from "../src/wal/format.js";
import { FileWindow, findLaterRecord } from "../src/wal/wal-window.js";
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

/** A header for `firstLsn` whose slots hold `slots` and clock floors `floors`. */
function headerWith(firstLsn: number, slots: [number, number], floors: [number, number] = [0, 0]): Buffer {
  const out = encodeFileHeader(firstLsn);
  for (const index of [0, 1] as const)
    encodeSlot(index, firstLsn, slots[index], floors[index]).copy(out, slotOffset(index));
  return out;
}

describe("file header (format 3)", () => {
  it("has the documented size and round-trips the first LSN and both slots", () => {
    expect(FILE_HEADER_BYTES).toBe(60);
    expect(SLOT_BYTES).toBe(20);
    expect([slotOffset(0), slotOffset(1)]).toEqual([20, 40]);
    expect(decodeFileHeader(encodeFileHeader(1))).toEqual({
      kind: "header",
      header: { format: 3, bytes: 60, firstLsn: 1, slots: [0, 0], floors: [0, 0] },
    });
    expect(decodeFileHeader(encodeFileHeader(5, 1234))).toEqual({
      kind: "header",
      header: { format: 3, bytes: 60, firstLsn: 5, slots: [4, 4], floors: [1234, 1234] },
    });
    const big = 2 ** 40 + 7;
    const floors: [number, number] = [2 ** 45 + 1, 2 ** 45 + 3];
    expect(decodeFileHeader(headerWith(big, [big + 5, big + 9], floors))).toEqual({
      kind: "header",
      header: { format: 3, bytes: 60, firstLsn: big, slots: [big + 5, big + 9], floors },
    });
    expect(() => encodeSlot(0, 10, 8, 0)).toThrow(RangeError);
    expect(() => encodeSlot(0, 10, 10, -1)).toThrow(RangeError);
    expect(() => encodeSlot(0, 10, 10, 0.5)).toThrow(RangeError);
  });

  it("refuses a magic of no format it reads (a checksummed FUSEWAL9 header)", () => {
    const h = encodeFileHeader(1);
    Buffer.from("FUSEWAL9", "latin1").copy(h, 0);
    h.writeUInt32LE(checksum(h.subarray(0, 16)), 16);
    expect(decodeFileHeader(h)).toMatchObject({
      kind: "invalid",
      offset: 0,
      reason: expect.stringMatching(/bad magic/),
    });
  });

  it("is invalid after any flipped bit of its fixed part, and as any proper prefix", () => {
    const h = headerWith(77, [80, 90]);
    for (let bit = 0; bit < slotOffset(0) * 8; bit++) {
      expect(decodeFileHeader(flipBit(h, bit)).kind, `bit ${bit}`).toBe("invalid");
    }
    for (let n = 0; n < h.length; n++) expect(decodeFileHeader(h.subarray(0, n)).kind).toBe("invalid");
  });

  it("loses only the slot a flipped bit hits; both slots damaged make the header invalid", () => {
    const h = headerWith(77, [80, 90], [1000, 2000]);
    for (const index of [0, 1] as const) {
      for (let bit = slotOffset(index) * 8; bit < (slotOffset(index) + SLOT_BYTES) * 8; bit++) {
        const got = decodeFileHeader(flipBit(h, bit));
        if (got.kind !== "header") throw new Error(`bit ${bit}: header expected`);
        expect(got.header.slots[index]).toBeUndefined();
        expect(got.header.floors[index]).toBeUndefined();
        expect(got.header.slots[1 - index]).toBe(index === 0 ? 90 : 80);
        expect(got.header.floors[1 - index]).toBe(index === 0 ? 2000 : 1000);
      }
    }
    const both = flipBit(flipBit(h, slotOffset(0) * 8 + 40), slotOffset(1) * 8 + 3);
    expect(decodeFileHeader(both)).toMatchObject({ kind: "invalid", offset: slotOffset(0) });
    // A slot moved into the other's place does not verify there (its crc binds the index).
    const swapped = Buffer.from(h);
    h.copy(swapped, slotOffset(1), slotOffset(0), slotOffset(0) + SLOT_BYTES);
    expect(decodeFileHeader(swapped)).toMatchObject({ kind: "header", header: { slots: [80, undefined] } });
  });

  it("rewrites the slot that does not verify, else the older one, never the best claim", () => {
    expect(nextSlot([undefined, 5])).toBe(0);
    expect(nextSlot([5, undefined])).toBe(1);
    expect(nextSlot([3, 5])).toBe(0);
    expect(nextSlot([5, 3])).toBe(1);
    // Equal claims (a floor-only commit rewrote one): the smaller floor goes; the newest floor stays.
    expect(nextSlot([5, 5], [7, 9])).toBe(0);
    expect(nextSlot([5, 5], [9, 7])).toBe(1);
    expect(slotFloor([7, 9])).toBe(9);
    expect(slotFloor([undefined, 4])).toBe(4);
    expect(slotFloor([undefined, undefined])).toBe(0);
    expect(slotClaim([3, undefined])).toBe(3);
    expect(slotClaim([undefined, undefined])).toBe(-1);
    // Alternating rewrites from the creation state keep the claim growing and the best slot intact.
    const slots: [number | undefined, number | undefined] = [9, 9];
    for (let durable = 10; durable < 20; durable++) {
      const before = slotClaim(slots);
      const index: SlotIndex = nextSlot(slots);
      expect(slots[1 - index]).toBe(before); // the slot kept holds the best claim
      slots[index] = durable;
      expect(slotClaim(slots)).toBe(durable);
    }
  });
});

describe("WALHEAD", () => {
  it("round-trips the newest file's first LSN and rejects any flipped bit or other size", () => {
    const head = encodeWalHead(2 ** 41 + 3);
    expect(head.length).toBe(WAL_HEAD_BYTES);
    expect(decodeWalHead(head)).toEqual({ kind: "head", newestFirstLsn: 2 ** 41 + 3 });
    for (let bit = 0; bit < head.length * 8; bit++)
      expect(decodeWalHead(flipBit(head, bit)).kind).toBe("invalid");
    expect(decodeWalHead(head.subarray(0, 19)).kind).toBe("invalid");
    expect(decodeWalHead(Buffer.concat([head, Buffer.alloc(1)])).kind).toBe("invalid");
  });
});

/** A read-only File over `data` that records the length of every read. */
function bufferFile(data: Uint8Array, reads: number[]): File {
  return {
    path: "mem",
    read: async (offset, length) => {
      reads.push(length);
      return data.slice(offset, offset + length);
    },
    write: () => Promise.reject(new Error("read-only")),
    truncate: () => Promise.reject(new Error("read-only")),
    sync: () => Promise.resolve(),
    writeAndSync: () => Promise.reject(new Error("read-only")),
    size: async () => data.length,
    close: () => Promise.resolve(),
  };
}

describe("bounded window", () => {
  it("decodes what a whole-buffer decode does, reading at most a chunk or one record at a time", async () => {
    const records = [];
    for (let lsn = 1; lsn <= 200; lsn++) {
      const size = lsn === 100 ? 3000 : (lsn * 37) % 400;
      records.push(encodeRecord(RecordType.Batch, lsn, lsn, Buffer.alloc(size, lsn & 0xff)));
    }
    const data = Buffer.concat(records);
    const reads: number[] = [];
    const win = new FileWindow(bufferFile(data, reads), "mem", data.length, 1024);
    let at = 0;
    for (const rec of records) {
      const got = await win.recordAt(at, true);
      const whole = decodeRecord(data, at);
      if (got.kind !== "record" || whole.kind !== "record") throw new Error(`record expected at ${at}`);
      expect({ ...got.record, payload: Buffer.from(got.record.payload) }).toEqual({
        ...whole.record,
        payload: Buffer.from(whole.record.payload),
      });
      at += rec.length;
    }
    expect(await win.recordAt(at, true)).toEqual({ kind: "end" });
    expect(Math.max(...reads)).toBe(3000 + HEADER_BYTES); // the big record, alone
    expect(reads.filter((n) => n > 1024)).toHaveLength(1);
  });

  it("decodes the same records whatever the chunk size: read ahead, records cut by a chunk's end, big ones", async () => {
    const records = [];
    for (let lsn = 1; lsn <= 120; lsn++) {
      const size = lsn % 40 === 0 ? 700 : (lsn * 53) % 150;
      records.push(encodeRecord(RecordType.Batch, lsn, lsn, Buffer.alloc(size, lsn & 0xff)));
    }
    const data = Buffer.concat(records);
    for (const chunk of [HEADER_BYTES, 64, 100, 333, 1024, data.length]) {
      const reads: number[] = [];
      const win = new FileWindow(bufferFile(data, reads), "mem", data.length, chunk);
      let at = 0;
      for (const rec of records) {
        const got = await win.recordAt(at, true);
        if (got.kind !== "record") throw new Error(`chunk ${chunk}: record expected at ${at}`);
        expect(
          Buffer.from(got.record.payload).equals(rec.subarray(HEADER_BYTES)),
          `chunk ${chunk} @${at}`,
        ).toBe(true);
        expect(got.record.offset).toBe(at);
        at += rec.length;
      }
      expect(await win.recordAt(at, true)).toEqual({ kind: "end" });
      await win.drain();
      // Bounded: a read is a chunk or one record; the file is read about once (read ahead is used, not redone).
      expect(Math.max(...reads)).toBeLessThanOrEqual(Math.max(chunk, 700 + HEADER_BYTES));
      expect(reads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * data.length + chunk);
    }
  });

  it("finds a later group's record behind damage, across chunk boundaries, and skips the torn group's own", async () => {
    const torn = encodeRecord(RecordType.Batch, 5, 5, Buffer.alloc(50, 1));
    torn[30] = (torn[30] as number) ^ 1;
    const sameGroup = encodeRecord(RecordType.Batch, 6, 5, Buffer.alloc(40, 2));
    const later = encodeRecord(RecordType.Batch, 7, 7, Buffer.alloc(30, 3));
    const filler = Buffer.alloc(2500, 0x11);
    for (const [tail, found] of [
      [Buffer.concat([torn, filler, sameGroup]), undefined],
      [Buffer.concat([torn, filler, sameGroup, filler, later]), 7],
    ] as const) {
      const reads: number[] = [];
      const win = new FileWindow(bufferFile(tail, reads), "mem", tail.length, 1024);
      expect((await win.recordAt(0, true)).kind).toBe("invalid");
      const got = await findLaterRecord(win, 1, 5, true);
      expect(got?.lsn).toBe(found);
    }
  });
});
