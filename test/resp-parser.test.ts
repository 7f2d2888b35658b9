/**
 * Invariants of the RESP request parser (src/server/resp-parser.ts):
 * - Redis's protocol errors come with Redis's exact strings (the cases of Redis's tests/unit/protocol.tcl
 *   and networking.c), are sticky, and limits are checked on the header, before the bytes they guard;
 * - inline requests split like Redis's sdssplitargs (quotes, escapes, joined parts, NUL, empty lines);
 * - random bytes under random chunk splits never throw, give the same commands and the same final error as
 *   the whole input fed at once, and never hold more than `queryBufferBytesMax` (fast-check, seed printed);
 * - commands encoded by @redis/client parse back to the same arguments under every split point of the
 *   stream and under random multi-way splits (fast-check, seed printed).
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseInteger } from "../src/server/integer-text.js";
import {
  ProtocolError,
  REQUEST_LIMITS_DEFAULT,
  type RequestLimits,
  RequestParser,
  splitInlineArgs,
} from "../src/server/resp-parser.js";
import { testSeed } from "./helpers/seed.js";

type Encoded = ReadonlyArray<string | Buffer>;
const require = createRequire(import.meta.url);
const encoderModule = require("@redis/client/dist/lib/RESP/encoder.js") as {
  default: (args: ReadonlyArray<string | Buffer>) => Encoded;
};
const encodeCommand = encoderModule.default;

/** Bytes of a command as @redis/client sends it. */
function clientBytes(args: ReadonlyArray<string | Buffer>): Buffer {
  return Buffer.concat(encodeCommand(args).map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

interface Outcome {
  commands: string[][];
  error: string | undefined;
  code: string | undefined;
}

/** Feeds `chunks` in order, draining after each, and returns every command and the final error. */
function parseChunks(
  chunks: Buffer[],
  limits: RequestLimits = REQUEST_LIMITS_DEFAULT,
  onFeed?: (p: RequestParser) => void,
): Outcome {
  const p = new RequestParser(limits);
  const out: Outcome = { commands: [], error: undefined, code: undefined };
  for (const chunk of chunks) {
    p.feed(chunk);
    onFeed?.(p);
    for (;;) {
      const r = p.next();
      if (r === undefined) break;
      if (r instanceof ProtocolError) {
        out.error = r.reply;
        out.code = r.code;
        return out;
      }
      // Latin-1 keeps every byte distinct in the comparison.
      out.commands.push(r.map((a) => a.toString("latin1")));
    }
  }
  return out;
}

const parseAll = (text: string | Buffer): Outcome =>
  parseChunks([typeof text === "string" ? Buffer.from(text, "latin1") : text]);

/** `bytes` cut at the given sorted positions. */
function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    out.push(bytes.subarray(from, cut));
    from = cut;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe("protocol errors (Redis's strings)", () => {
  const cases: [string, string, string | undefined][] = [
    ["out of range multibulk length", "*3000000000\r\n", "ERR Protocol error: invalid multibulk length"],
    ["multibulk length past 1024*1024", "*1048577\r\n", "ERR Protocol error: invalid multibulk length"],
    ["non-number multibulk length", "*x\r\n", "ERR Protocol error: invalid multibulk length"],
    ["leading zero multibulk length", "*01\r\n", "ERR Protocol error: invalid multibulk length"],
    ["plus sign multibulk length", "*+1\r\n", "ERR Protocol error: invalid multibulk length"],
    ["CR without LF after the count", "*1\rX", "ERR Protocol error: invalid multibulk length"],
    ["out of range bulk length", "*3\r\n$2000000000\r\n", "ERR Protocol error: invalid bulk length"],
    ["non-number bulk length", "*3\r\n$blabla\r\n", "ERR Protocol error: invalid bulk length"],
    ["negative bulk length", "*3\r\n$-10\r\n", "ERR Protocol error: invalid bulk length"],
    ["bulk length past proto-max-bulk-len", "*1\r\n$8388609\r\n", "ERR Protocol error: invalid bulk length"],
    ["CR without LF after a length", "*1\r\n$4\rX", "ERR Protocol error: invalid bulk length"],
    ["multibulk not followed by bulk", "*1\r\nfoo\r\n", "ERR Protocol error: expected '$', got 'f'"],
    [
      "wrong multibulk payload header",
      "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
      "ERR Protocol error: expected '$', got 'f'",
    ],
    ["CR in place of '$'", "*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"],
    ["bulk data not ended by CRLF", "*1\r\n$4\r\nPINGxx", "ERR Protocol error: invalid bulk data terminator"],
    [
      "bulk data ended by CR alone",
      "*1\r\n$4\r\nPING\rX",
      "ERR Protocol error: invalid bulk data terminator",
    ],
    [
      "unbalanced quotes inline",
      'set """test-key""" test-value\r\n',
      "ERR Protocol error: unbalanced quotes in request",
    ],
    ["unterminated quote inline", 'set "abc\r\n', "ERR Protocol error: unbalanced quotes in request"],
  ];
  it.each(cases)("%s", (_what, input, reply) => {
    const out = parseAll(input);
    expect(out.commands).toEqual([]);
    expect(out.error).toBe(reply);
    expect(out.code).toBe("RESP_PROTOCOL");
  });

  // Redis's "Protocol desync regression test": garbage without a line end, 64 KiB and growing.
  it.each([
    ["\x00", "ERR Protocol error: too big inline request"],
    ["*\x00", "ERR Protocol error: too big mbulk count string"],
    ["$\x00", "ERR Protocol error: too big inline request"],
    ["*1\r\n$", "ERR Protocol error: too big bulk count string"],
  ])("desync %j followed by 70 KiB without a line end", (prefix, reply) => {
    const garbage = Buffer.from(prefix + "payload".repeat(10_000), "latin1");
    const chunks = splitAt(
      garbage,
      Array.from({ length: 69 }, (_, i) => (i + 1) * 1000),
    );
    expect(parseChunks(chunks).error).toBe(reply);
  });

  it("an inline line longer than 64 KiB is refused even when its LF arrived with it", () => {
    expect(parseAll(`${"a".repeat(64 * 1024 + 1)}\r\n`).error).toBe(
      "ERR Protocol error: too big inline request",
    );
    expect(parseAll(`ECHO ${"a".repeat(64 * 1024 - 7)}\r\n`).commands[0]?.[1]?.length).toBe(64 * 1024 - 7);
  });

  it("a bulk length is checked when its header arrives, before any of its bytes", () => {
    const p = new RequestParser();
    p.feed(Buffer.from("*2\r\n$4\r\nECHO\r\n$999999999\r\n"));
    const r = p.next();
    expect(r).toBeInstanceOf(ProtocolError);
    expect((r as ProtocolError).reply).toBe("ERR Protocol error: invalid bulk length");
    expect(p.heldBytes).toBe(0);
  });

  it("unauthenticated clients get Redis's small bounds; authenticated ones do not", () => {
    const p = new RequestParser();
    p.requireAuth = true;
    p.feed(Buffer.from("*11\r\n"));
    expect((p.next() as ProtocolError).reply).toBe("ERR Protocol error: unauthenticated multibulk length");
    const q = new RequestParser();
    q.requireAuth = true;
    q.feed(Buffer.from("*1\r\n$16385\r\n"));
    expect((q.next() as ProtocolError).reply).toBe("ERR Protocol error: unauthenticated bulk length");
    const ok = new RequestParser();
    ok.requireAuth = true;
    ok.feed(Buffer.from(`*10\r\n${"$1\r\nx\r\n".repeat(10)}*1\r\n$16384\r\n`));
    expect((ok.next() as Buffer[]).length).toBe(10);
    ok.requireAuth = false;
    ok.feed(Buffer.alloc(16384 + 2, 0x0d).fill(0x0a, 16385));
    expect((ok.next() as Buffer[])[0]?.length).toBe(16384);
  });

  it("errors are sticky and drop the input held", () => {
    const p = new RequestParser();
    p.feed(Buffer.from("*1\r\nfoo\r\n*1\r\n$4\r\nPING\r\n"));
    const first = p.next();
    expect(first).toBeInstanceOf(ProtocolError);
    expect(p.next()).toBe(first);
    p.feed(Buffer.from("*1\r\n$4\r\nPING\r\n"));
    expect(p.next()).toBe(first);
    expect(p.heldBytes).toBe(0);
  });

  it("the query buffer limit: commands before it are returned, then the connection is closed silently", () => {
    const limits = { bulkBytesMax: 64, multibulkLengthMax: 16, inlineBytesMax: 64, queryBufferBytesMax: 128 };
    const ping = "*1\r\n$4\r\nPING\r\n";
    const big = Buffer.from(`${ping}*2\r\n$4\r\nECHO\r\n$64\r\n${"x".repeat(40)}`);
    const out = parseChunks([big, Buffer.alloc(100, 0x78)], limits);
    expect(out.commands).toEqual([["PING"]]);
    expect(out.code).toBe("RESP_QUERY_BUFFER_LIMIT");
    expect(out.error).toBeUndefined();
  });
});

describe("requests that parse", () => {
  it("multibulk, inline, empty requests and binary arguments", () => {
    const input =
      "*-10\r\n*0\r\nPING\r\n\r\n  \r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" +
      "*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\nset a b\n";
    expect(parseAll(input)).toEqual({
      commands: [["PING"], ["PING"], ["ECHO", ""], ["ECHO", "\r\n\r\n"], ["set", "a", "b"]],
      error: undefined,
      code: undefined,
    });
  });

  it("arguments at least ARG_COPY_BYTES_MIN long are slices of the input, shorter ones copies", () => {
    const long = "y".repeat(20_000);
    const input = Buffer.from(`*2\r\n$1\r\nx\r\n$${long.length}\r\n${long}\r\n`);
    const p = new RequestParser();
    p.feed(input);
    const [short, big] = p.next() as Buffer[];
    expect(big?.buffer).toBe(input.buffer);
    expect(short?.buffer).not.toBe(input.buffer);
  });

  const inline: [string, string[] | undefined][] = [
    ['set "a b" c', ["set", "a b", "c"]],
    ['"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\"\\q"', ['AJ\n\r\t\b\x07\\"q']],
    ['"\\x4"', ["x4"]],
    ["'it\\'s' 'a\\nb'", ["it's", "a\\nb"]],
    ['a"b c"d', undefined],
    ['a"b c" d', ["ab c", "d"]],
    ["''", [""]],
    ["x 'y'z", undefined],
    ["PI\x00NG x", ["PI"]],
    ["\t\x0b PING\x0c", ["PING\x0c"]],
    ["", []],
  ];
  it.each(inline)("inline %j", (line, args) => {
    const out = splitInlineArgs(Buffer.from(line, "latin1"));
    expect(out?.map((b) => b.toString("latin1"))).toEqual(args);
  });
});

describe("integers as Redis reads them (string2ll)", () => {
  it.each([
    ["0", 0],
    ["-1", -1],
    ["1234", 1234],
    ["9007199254740991", 9007199254740991],
    ["-9007199254740991", -9007199254740991],
    ["9007199254740992", undefined],
    ["01", undefined],
    ["-0", undefined],
    ["+1", undefined],
    [" 1", undefined],
    ["1 ", undefined],
    ["", undefined],
    ["-", undefined],
    ["1e3", undefined],
  ])("%j", (text, value) => {
    expect(parseInteger(Buffer.from(text))).toBe(value);
  });
});

/** Byte strings biased toward protocol structure, so random input reaches every parser state. */
const protocolish = fc
  .array(
    fc.oneof(
      fc.constantFrom("*", "$", "\r", "\n", "\r\n", '"', "'", "\\", " ", "\x00", "-"),
      fc.constantFrom("*1\r\n", "*2\r\n", "$4\r\nPING\r\n", "$0\r\n\r\n", "*-1\r\n", "$3\r\n", "PING\r\n"),
      fc.integer({ min: 0, max: 40 }).map(String),
      fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString("latin1")),
    ),
    { maxLength: 60 },
  )
  .map((parts) => Buffer.from(parts.join(""), "latin1"));

const cutsOf = (length: number): fc.Arbitrary<number[]> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 12 })
    .map((c) => c.filter((x) => x < length).sort((a, b) => a - b));

describe("fuzz", () => {
  it("random bytes under random splits: no throw, same result as one chunk, memory within the limits", () => {
    const seed = testSeed("resp-parser random bytes");
    const small: RequestLimits = {
      bulkBytesMax: 32,
      multibulkLengthMax: 8,
      inlineBytesMax: 24,
      queryBufferBytesMax: 96,
    };
    fc.assert(
      fc.property(
        protocolish.chain((bytes) => fc.tuple(fc.constant(bytes), cutsOf(bytes.length))),
        fc.boolean(),
        ([bytes, cuts], auth) => {
          const withAuth = (p: RequestParser): void => {
            p.requireAuth = auth;
          };
          // Default limits: never reached by inputs this small, so the split must not matter.
          const whole = parseChunks([bytes], REQUEST_LIMITS_DEFAULT, withAuth);
          expect(parseChunks(splitAt(bytes, cuts), REQUEST_LIMITS_DEFAULT, withAuth)).toEqual(whole);
          // Small limits: the bytes held never pass the query buffer limit, whatever arrives.
          parseChunks(splitAt(bytes, cuts), small, (p) => {
            withAuth(p);
            expect(p.heldBytes).toBeLessThanOrEqual(small.queryBufferBytesMax);
          });
        },
      ),
      { seed, numRuns: 3000 },
    );
  });

  it("uniformly random bytes never throw and end in commands, need-more or a protocol error", () => {
    const seed = testSeed("resp-parser uniform bytes");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
        const bytes = Buffer.from(raw);
        const out = parseChunks([bytes]);
        expect(out.error === undefined || out.error.startsWith("ERR Protocol error: ")).toBe(true);
      }),
      { seed, numRuns: 3000 },
    );
  });

  const argArb = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 10 }),
    fc.constantFrom("", "\r\n", "*1\r\n", "$3\r\n", " "),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  );
  const commandArb = fc.array(argArb, { minLength: 1, maxLength: 6 });

  it("@redis/client's encoding parses back under every split point", () => {
    const seed = testSeed("resp-parser client round trip");
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 4 }), (commands) => {
        const bytes = Buffer.concat(commands.map(clientBytes));
        const expected = commands.map((c) => c.map((a) => Buffer.from(a).toString("latin1")));
        for (let cut = 0; cut <= bytes.length; cut++) {
          const out = parseChunks(splitAt(bytes, cut === 0 ? [] : [cut]));
          expect(out.error).toBeUndefined();
          expect(out.commands).toEqual(expected);
        }
      }),
      { seed, numRuns: 150 },
    );
  });

  it("@redis/client's encoding parses back under random multi-way splits, one byte at a time included", () => {
    const seed = testSeed("resp-parser client multi-split");
    fc.assert(
      fc.property(
        fc.array(commandArb, { minLength: 1, maxLength: 8 }).chain((commands) => {
          const bytes = Buffer.concat(commands.map(clientBytes));
          return fc.tuple(fc.constant(commands), fc.constant(bytes), cutsOf(bytes.length));
        }),
        ([commands, bytes, cuts]) => {
          const expected = commands.map((c) => c.map((a) => Buffer.from(a).toString("latin1")));
          expect(parseChunks(splitAt(bytes, cuts)).commands).toEqual(expected);
          const single = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
          expect(parseChunks(single).commands).toEqual(expected);
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it("a large argument arriving in many chunks is assembled once and held within the limits", () => {
    const value = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const bytes = clientBytes(["ECHO", value]);
    const chunks = splitAt(
      bytes,
      Array.from({ length: Math.floor(bytes.length / 65536) }, (_, i) => (i + 1) * 65536),
    );
    let held = 0;
    const out = parseChunks(chunks, REQUEST_LIMITS_DEFAULT, (p) => {
      held = Math.max(held, p.heldBytes);
    });
    expect(out.commands[0]?.[1]?.length).toBe(value.length);
    expect(held).toBeLessThanOrEqual(bytes.length);
  });
});
