/**
 * Invariants of the RESP reply encoder (src/server/resp-writer.ts):
 * - every reply kind has its exact RESP3 bytes and its exact RESP2 fallback (the table in the module);
 * - simple strings and errors never carry CR or LF (each becomes a space);
 * - doubles print as Redis 7.0's `%.17g` (expected strings from C's printf);
 * - random nested replies decode with @redis/client's own decoder to what the reply says, in RESP3 and in
 *   RESP2, also when many replies share one buffer (fast-check, seed printed).
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeReply,
  formatDouble,
  type Protocol,
  R,
  type Reply,
  ReplyBuffer,
} from "../src/server/resp-writer.js";
import { Decoder, RESP_TYPES } from "./helpers/mem-transport.js";
import { testSeed } from "./helpers/seed.js";

const text = (b: Buffer): string => b.toString("latin1");

describe("exact bytes", () => {
  const cases: [string, Reply, string, string][] = [
    ["simple", R.ok, "+OK\r\n", "+OK\r\n"],
    ["error", R.error("ERR bad\r\nthing"), "-ERR bad  thing\r\n", "-ERR bad  thing\r\n"],
    ["integer", R.integer(-42), ":-42\r\n", ":-42\r\n"],
    ["big integer", R.integer(2n ** 63n - 1n), ":9223372036854775807\r\n", ":9223372036854775807\r\n"],
    ["bulk", R.bulk("héllo"), "$6\r\nh\xc3\xa9llo\r\n", "$6\r\nh\xc3\xa9llo\r\n"],
    [
      "binary bulk",
      R.bulk(Buffer.from([0, 13, 10, 255])),
      "$4\r\n\x00\r\n\xff\r\n",
      "$4\r\n\x00\r\n\xff\r\n",
    ],
    ["null", R.null, "_\r\n", "$-1\r\n"],
    ["null array", R.nullArray, "_\r\n", "*-1\r\n"],
    ["array", R.array([R.integer(1), R.bulk("a")]), "*2\r\n:1\r\n$1\r\na\r\n", "*2\r\n:1\r\n$1\r\na\r\n"],
    ["empty array", R.array([]), "*0\r\n", "*0\r\n"],
    ["map", R.fields([["a", R.integer(1)]]), "%1\r\n$1\r\na\r\n:1\r\n", "*2\r\n$1\r\na\r\n:1\r\n"],
    ["set", R.set([R.simple("x")]), "~1\r\n+x\r\n", "*1\r\n+x\r\n"],
    ["double", R.double(1.5), ",1.5\r\n", "$3\r\n1.5\r\n"],
    ["infinite double", R.double(Number.NEGATIVE_INFINITY), ",-inf\r\n", "$4\r\n-inf\r\n"],
    ["boolean true", R.boolean(true), "#t\r\n", ":1\r\n"],
    ["boolean false", R.boolean(false), "#f\r\n", ":0\r\n"],
    [
      "big number",
      R.bigNumber("-123456789012345678901234567890"),
      "(-123456789012345678901234567890\r\n",
      "$31\r\n-123456789012345678901234567890\r\n",
    ],
    ["verbatim", R.verbatim("a\r\nb"), "=8\r\ntxt:a\r\nb\r\n", "$4\r\na\r\nb\r\n"],
    ["push", R.push([R.bulk("message")]), ">1\r\n$7\r\nmessage\r\n", "*1\r\n$7\r\nmessage\r\n"],
  ];
  it.each(cases)("%s", (_what, reply, v3, v2) => {
    expect(text(encodeReply(reply, 3))).toBe(v3);
    expect(text(encodeReply(reply, 2))).toBe(v2);
  });

  it("a ReplyBuffer concatenates replies and is empty after take", () => {
    const out = new ReplyBuffer(4);
    for (let i = 0; i < 100; i++) out.append(R.integer(i), 2);
    const bytes = out.take();
    expect(text(bytes)).toBe(Array.from({ length: 100 }, (_, i) => `:${i}\r\n`).join(""));
    expect(out.length).toBe(0);
    out.append(R.ok, 2);
    expect(text(out.take())).toBe("+OK\r\n");
  });
});

describe("doubles as Redis 7.0 prints them (%.17g)", () => {
  // Right-hand sides printed by C's printf("%.17g").
  it.each([
    [1.5, "1.5"],
    [0.1, "0.10000000000000001"],
    [1e17, "1e+17"],
    [1e16, "10000000000000000"],
    [123456789012345680, "1.2345678901234568e+17"],
    [1.5e-5, "1.5e-05"],
    [0.0001, "0.0001"],
    [0.00001, "1.0000000000000001e-05"],
    [-2.5, "-2.5"],
    [3, "3"],
    [1 / 3, "0.33333333333333331"],
    [1e300, "1.0000000000000001e+300"],
    [5e-324, "4.9406564584124654e-324"],
    [-0, "-0"],
    [Number.NaN, "nan"],
    [Number.POSITIVE_INFINITY, "inf"],
  ])("%s", (value, printed) => {
    expect(formatDouble(value)).toBe(printed);
  });
});

/** A reply tree without errors (they travel separately) and with text keys in maps. */
const replyArb: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ maxLength: 12 }).map((s) => R.simple(s.replace(/[\r\n]/g, ""))),
    fc.integer().map((n) => R.integer(n)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => R.integer(n)),
    fc.uint8Array({ maxLength: 20 }).map((b) => R.bulk(Buffer.from(b))),
    fc.constant(R.null),
    fc.double({ noNaN: true }).map((d) => R.double(d)),
    fc.boolean().map((b) => R.boolean(b)),
    fc.bigInt().map((n) => R.bigNumber(n.toString())),
    fc.string({ maxLength: 12 }).map((s) => R.verbatim(s)),
    fc.array(tie("reply"), { maxLength: 4 }).map((items) => R.array(items)),
    fc.array(tie("reply"), { maxLength: 4 }).map((items) => R.set(items)),
    fc
      .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), tie("reply")), {
        maxLength: 3,
        selector: ([k]) => k,
      })
      .map((fields) => R.fields(fields)),
  ),
})).reply;

/** What @redis/client's decoder yields for `reply` (maps as Map, blobs as Buffer, integers and doubles as text). */
function expected(reply: Reply, protocol: Protocol): unknown {
  const v3 = protocol === 3;
  switch (reply.kind) {
    case "simple":
      return reply.text;
    case "integer":
      return String(reply.value);
    case "bulk":
      return Buffer.from(reply.bytes);
    case "null":
    case "nullArray":
      return null;
    case "double":
      return v3 ? formatDouble(reply.value) : Buffer.from(formatDouble(reply.value));
    case "boolean":
      return v3 ? reply.value : reply.value ? "1" : "0";
    case "bigNumber":
      return v3 ? reply.digits : Buffer.from(reply.digits);
    case "verbatim":
      return v3 ? reply.text : Buffer.from(reply.text);
    case "array":
    case "set":
    case "push":
      return reply.items.map((i) => expected(i, protocol));
    case "map":
      if (!v3) return reply.entries.flatMap(([k, v]) => [expected(k, protocol), expected(v, protocol)]);
      return new Map(
        reply.entries.map(([k, v]) => [
          Buffer.from((k as { bytes: string }).bytes).toString(),
          expected(v, protocol),
        ]),
      );
    case "error":
      throw new Error("errors are not generated");
  }
}

function decodeAll(bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  const decoder = new Decoder({
    onReply: (r) => out.push(r),
    onErrorReply: (e) => out.push(e),
    onPush: (p) => out.push(p),
    getTypeMapping: () => ({
      [RESP_TYPES.MAP as number]: Map,
      [RESP_TYPES.SET as number]: Array,
      [RESP_TYPES.BLOB_STRING as number]: Buffer,
      [RESP_TYPES.DOUBLE as number]: String,
      [RESP_TYPES.BIG_NUMBER as number]: String,
      [RESP_TYPES.NUMBER as number]: String,
    }),
  });
  decoder.write(bytes);
  return out;
}

describe("round trip through @redis/client's decoder", () => {
  it.each([3, 2] as const)("RESP%s", (protocol) => {
    const seed = testSeed(`resp-writer round trip RESP${protocol}`);
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 5 }), (replies) => {
        const out = new ReplyBuffer(16);
        for (const r of replies) out.append(r, protocol);
        const decoded = decodeAll(out.take());
        expect(decoded).toEqual(replies.map((r) => expected(r, protocol)));
      }),
      { seed, numRuns: 1000 },
    );
  });
});
