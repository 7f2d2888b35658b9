/**
 * Invariants of the one-pass validator and encoder (src/doc/encode-value.ts):
 * - for every JSON document it returns exactly JSON.stringify's text (fast-check over random JSON, seed
 *   printed), and the limit is exact: a limit of the text's UTF-8 size passes, one byte less is
 *   FUSEDB_VALUE_TOO_LARGE (multi-byte characters counted in bytes);
 * - each property of the caller's value is read once (getters run once, so what is validated is what is
 *   written), and a prototype's toJSON is never called;
 * - a cycle is reported as a cycle with its path, even when the walk reaches the size limit first;
 * - errors name the path of the offending value; a thrown non-Error becomes FUSEDB_INVALID_JSON too.
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeValue } from "../src/doc/encode-value.js";
import { InvalidArgumentError } from "../src/errors.js";
import { testSeed } from "./helpers/seed.js";

const BIG = { valueBytesMax: 64 * 1024 * 1024 };

function refusal(value: unknown, valueBytesMax = BIG.valueBytesMax, what?: string): InvalidArgumentError {
  try {
    encodeValue(value, { valueBytesMax }, what);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error("expected encodeValue to refuse the value");
}

describe("encodeValue", () => {
  it("writes JSON.stringify's text, and the byte limit is exact", () => {
    const seed = testSeed("encodeValue = JSON.stringify");
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(encodeValue(value, BIG)).toBe(text);
        const bytes = Buffer.byteLength(text, "utf8");
        expect(encodeValue(value, { valueBytesMax: bytes })).toBe(text);
        expect(refusal(value, bytes - 1).code).toBe("FUSEDB_VALUE_TOO_LARGE");
      }),
      { seed, numRuns: 300 },
    );
  });

  it("counts bytes, not characters, and escapes lone surrogates as JSON.stringify does", () => {
    expect(encodeValue("é", { valueBytesMax: 4 })).toBe('"é"');
    expect(refusal("é", 3).code).toBe("FUSEDB_VALUE_TOO_LARGE");
    expect(encodeValue({ "😀": "\ud800" }, BIG)).toBe(JSON.stringify({ "😀": "\ud800" }));
    expect(encodeValue(-0, BIG)).toBe("0");
  });

  it("reads each property once and never calls toJSON", () => {
    let reads = 0;
    const value = {
      get n(): number {
        reads++;
        return reads;
      },
    };
    expect(encodeValue(value, BIG)).toBe('{"n":1}');
    expect(reads).toBe(1);
    const proto = Object.prototype as { toJSON?: () => string };
    proto.toJSON = () => "polluted";
    try {
      expect(encodeValue({ a: 1 }, BIG)).toBe('{"a":1}');
    } finally {
      delete proto.toJSON;
    }
  });

  it("names the path of what it refuses", () => {
    expect(refusal({ a: [1, { "odd key": Number.NaN }] }).message).toBe(
      'value.a[1]["odd key"]: NaN is not a JSON number',
    );
    expect(refusal([0, [1, undefined]], undefined, "patch").message).toBe(
      "patch[1][1]: undefined is not JSON",
    );
    const throwsString = {
      get x(): never {
        throw "plain string";
      },
    };
    const err = refusal({ deep: throwsString });
    expect(err.code).toBe("FUSEDB_INVALID_JSON");
    expect(err.message).toBe("value.deep.x: reading it threw plain string");
    expect(err.cause).toBe("plain string");
  });

  it("reports a cycle as a cycle, even when the size limit is reached first", () => {
    const loop: Record<string, unknown> = { s: "x".repeat(600) };
    loop.self = loop;
    const small = refusal(loop, 1000);
    expect(small.code).toBe("FUSEDB_INVALID_JSON");
    expect(small.message).toBe("value.self: cycle");
    const list: unknown[] = [];
    list.push([list]);
    expect(refusal(list).message).toBe("value[0][0]: cycle");
  });
});
