/**
 * The one entry encoding (src/doc/entry-codec.ts) that WAL batches and segment data blocks share. Invariants:
 * - the bytes are exactly the grammars of docs/wal-format.md (`effect`: no LSN) and docs/segment-format.md
 *   (`entry`: the LSN after the version), for each kind — a put, a tombstone, a put with expiry — built by
 *   hand here, field by field, so a change of either on-disk format fails this test;
 * - decode(encode) is the identity on key bytes, kind, version, LSN (stored, or the record's), expiry and
 *   value, for both layouts; an unknown kind and a truncated entry are rejected with an Error.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Entry } from "../src/doc/entry.js";
import { entryFromStored } from "../src/doc/entry.js";
import { decodeEntry, encodeEntry } from "../src/doc/entry-codec.js";
import { ByteReader, ByteWriter } from "../src/util/bytes.js";
import { testSeed } from "./helpers/seed.js";

function u16(v: number): number[] {
  return [v & 0xff, v >> 8];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}
function u64(v: number): number[] {
  return [...u32(v % 2 ** 32), ...u32(Math.floor(v / 2 ** 32))];
}

function encoded(key: string, entry: Entry, storesLsn: boolean): Buffer {
  const w = new ByteWriter(8);
  encodeEntry(w, key, entry, storesLsn);
  return w.finish();
}

const TEXT = Buffer.from('{"a":1}', "utf8");
const KEY = "k\u00ff";
const CASES: { name: string; entry: Entry; kind: number; expiry: number[]; value: number[] }[] = [
  {
    name: "put",
    entry: entryFromStored(2 ** 40 + 3, TEXT, 2 ** 33 + 5),
    kind: 1,
    expiry: [],
    value: [...u32(TEXT.length), ...TEXT],
  },
  { name: "tombstone", entry: entryFromStored(7, undefined, 9), kind: 2, expiry: [], value: [] },
  {
    name: "put with expiry",
    entry: entryFromStored(1, TEXT, 4, 2 ** 45 + 11),
    kind: 3,
    expiry: u64(2 ** 45 + 11),
    value: [...u32(TEXT.length), ...TEXT],
  },
];

describe("entry codec", () => {
  for (const c of CASES) {
    it(`writes a ${c.name} as the documented WAL effect and segment entry`, () => {
      const head = [c.kind, ...u16(2), 0x6b, 0xff, ...u64(c.entry.version)];
      expect([...encoded(KEY, c.entry, false)]).toEqual([...head, ...c.expiry, ...c.value]);
      expect([...encoded(KEY, c.entry, true)]).toEqual([
        ...head,
        ...u64(c.entry.lsn),
        ...c.expiry,
        ...c.value,
      ]);
    });
  }

  it("decodes what it encodes, in both layouts", () => {
    const seed = testSeed("entry codec round trip");
    const entry = fc
      .record({
        key: fc.uint8Array({ maxLength: 40 }),
        version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        lsn: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        value: fc.option(fc.jsonValue(), { nil: undefined }),
        expiresAtMs: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
      })
      .map(({ key, version, lsn, value, expiresAtMs }) => {
        const text = value === undefined ? undefined : Buffer.from(JSON.stringify(value), "utf8");
        const e = entryFromStored(version, text, lsn, text === undefined ? undefined : expiresAtMs);
        return { key: Buffer.from(key).toString("latin1"), entry: e };
      });
    fc.assert(
      fc.property(entry, fc.integer({ min: 1, max: 2 ** 50 }), ({ key, entry: e }, recordLsn) => {
        for (const storesLsn of [false, true]) {
          const bytes = encoded(key, e, storesLsn);
          const r = new ByteReader(bytes);
          const [k, d] = decodeEntry(r, storesLsn ? undefined : recordLsn, false);
          expect(r.remaining).toBe(0);
          expect(k).toBe(key);
          expect(d.version).toBe(e.version);
          expect(d.lsn).toBe(storesLsn ? e.lsn : recordLsn);
          expect(d.expiresAtMs).toBe(e.expiresAtMs);
          expect(d.text === undefined ? undefined : Buffer.from(d.text).toString("hex")).toBe(
            e.text === undefined ? undefined : Buffer.from(e.text).toString("hex"),
          );
          expect(d.value).toEqual(e.value);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("round-trips typed entries (kinds 4 and 5) with their data type, and rejects an unknown data type", () => {
    for (const expiresAtMs of [undefined, 1234]) {
      const typed = {
        ...entryFromStored(3, new TextEncoder().encode('{"g":1,"n":2}'), 9, expiresAtMs),
        type: "hash" as const,
      };
      const bytes = encoded(KEY, typed, true);
      expect(bytes[0]).toBe(expiresAtMs === undefined ? 4 : 5);
      const [, d] = decodeEntry(new ByteReader(bytes), undefined, false);
      expect(d.type).toBe("hash");
      expect(d.expiresAtMs).toBe(expiresAtMs);
      expect(d.value).toEqual({ g: 1, n: 2 });
      const lazy = decodeEntry(new ByteReader(bytes), undefined, true)[1];
      expect(lazy.type).toBe("hash");
      const bad = Buffer.from(bytes);
      bad[1 + 2 + KEY.length + 8 + 8 + (expiresAtMs === undefined ? 0 : 8)] = 9;
      expect(() => decodeEntry(new ByteReader(bad), undefined, false)).toThrow(/unknown data type 9/);
    }
  });

  it("rejects an unknown kind and a truncated entry", () => {
    const bytes = encoded(KEY, CASES[0]?.entry ?? entryFromStored(1, undefined, 1), true);
    const bad = Buffer.from(bytes);
    bad[0] = 6; // kinds 4 and 5 are typed puts (Redis data types)
    expect(() => decodeEntry(new ByteReader(bad), undefined, false)).toThrow(/unknown entry kind 6/);
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeEntry(new ByteReader(bytes.subarray(0, n)), undefined, false)).toThrow();
    }
  });
});
