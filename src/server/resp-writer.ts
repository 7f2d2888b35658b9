/**
 * The reply encoder of the RESP server: a {@link Reply} value in, bytes out, in RESP2 or RESP3 (the
 * connection's protocol, chosen with HELLO). Pure functions over buffers; no knowledge of commands.
 *
 * Types and their forms (RESP3 spec, "RESP3 specification", redis/redis-specifications; Redis's
 * networking.c for the RESP2 fallbacks):
 *
 *   kind        RESP3                          RESP2
 *   simple      +text CRLF                     same
 *   error       -CODE text CRLF                same
 *   integer     :n CRLF                        same
 *   bulk        $len CRLF bytes CRLF           same
 *   null        _ CRLF                         $-1 CRLF        (a missing bulk)
 *   nullArray   _ CRLF                         *-1 CRLF        (a missing array)
 *   array       *n CRLF items                  same
 *   map         %n CRLF key value ...          *2n CRLF key value ...
 *   set         ~n CRLF items                  *n CRLF items
 *   double      ,text CRLF                     $len CRLF text CRLF
 *   boolean     #t / #f CRLF                   :1 / :0 CRLF
 *   bigNumber   (digits CRLF                   $len CRLF digits CRLF
 *   verbatim    =len CRLF fmt:text CRLF        $len CRLF text CRLF
 *   push        >n CRLF items                  *n CRLF items
 *
 * Simple strings and errors cannot hold CR or LF: each becomes a space, as Redis does for error text.
 */
import { Buffer } from "node:buffer";
import { assert } from "../index.js";

/** The protocol a connection speaks: 2 (the default) or 3 (after `HELLO 3`). */
export type Protocol = 2 | 3;

/** A reply to encode. Build them with {@link R}. */
export type Reply =
  | { readonly kind: "simple"; readonly text: string }
  | { readonly kind: "error"; readonly text: string }
  | { readonly kind: "integer"; readonly value: number | bigint }
  | { readonly kind: "bulk"; readonly bytes: Uint8Array | string }
  | { readonly kind: "null" }
  | { readonly kind: "nullArray" }
  | { readonly kind: "array"; readonly items: readonly Reply[] }
  | { readonly kind: "map"; readonly entries: readonly (readonly [Reply, Reply])[] }
  | { readonly kind: "set"; readonly items: readonly Reply[] }
  | { readonly kind: "double"; readonly value: number }
  | { readonly kind: "boolean"; readonly value: boolean }
  | { readonly kind: "bigNumber"; readonly digits: string }
  | { readonly kind: "verbatim"; readonly format: string; readonly text: string }
  | { readonly kind: "push"; readonly items: readonly Reply[] };

/** Builders for every {@link Reply} kind, plus the common constants. */
export const R = {
  simple: (text: string): Reply => ({ kind: "simple", text }),
  /** `text` starts with the error code: `ERR ...`, `WRONGTYPE ...`. */
  error: (text: string): Reply => ({ kind: "error", text }),
  integer: (value: number | bigint): Reply => {
    assert(typeof value === "bigint" || Number.isSafeInteger(value), "an integer reply is a safe integer");
    return { kind: "integer", value };
  },
  bulk: (bytes: Uint8Array | string): Reply => ({ kind: "bulk", bytes }),
  null: { kind: "null" } as Reply,
  nullArray: { kind: "nullArray" } as Reply,
  array: (items: readonly Reply[]): Reply => ({ kind: "array", items }),
  map: (entries: readonly (readonly [Reply, Reply])[]): Reply => ({ kind: "map", entries }),
  /** A map with bulk-string keys, in the given order. */
  fields: (fields: readonly (readonly [string, Reply])[]): Reply => ({
    kind: "map",
    entries: fields.map(([k, v]) => [{ kind: "bulk", bytes: k }, v] as const),
  }),
  set: (items: readonly Reply[]): Reply => ({ kind: "set", items }),
  double: (value: number): Reply => ({ kind: "double", value }),
  boolean: (value: boolean): Reply => ({ kind: "boolean", value }),
  bigNumber: (digits: string): Reply => {
    assert(/^-?[0-9]+$/.test(digits), "a big number is decimal digits");
    return { kind: "bigNumber", digits };
  },
  /** Verbatim text; `format` is three characters (`txt`, `mkd`). */
  verbatim: (text: string, format = "txt"): Reply => {
    assert(format.length === 3, "a verbatim format is three characters");
    return { kind: "verbatim", format, text };
  },
  push: (items: readonly Reply[]): Reply => ({ kind: "push", items }),
  ok: { kind: "simple", text: "OK" } as Reply,
};

/**
 * Formats a double as Redis 7.0 does in replies (`%.17g`; `inf`, `-inf`, `nan`): 17 significant digits,
 * trailing zeros dropped, an exponent (`1e+17`, `1.5e-05`) outside 1e-4 .. 1e17.
 */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa = "", exp = "0"] = value.toExponential(16).split("e");
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 17) {
    const digits = trimZeros(mantissa);
    const sign = exponent < 0 ? "-" : "+";
    return `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return trimZeros(value.toFixed(Math.max(0, 16 - exponent)));
}

function trimZeros(text: string): string {
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

const CRLF_RE = /[\r\n]/g;

/** A growable output buffer that replies are appended to; `take` hands out the bytes written so far. */
export class ReplyBuffer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.pos;
  }

  /** Appends `reply` encoded for `protocol`. */
  append(reply: Reply, protocol: Protocol): void {
    this.encode(reply, protocol, 0);
  }

  /** Appends bytes already encoded (a reply encoded earlier with {@link encodeReply}). */
  appendRaw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** The bytes written since the last take (a copy the caller owns); the buffer is then empty. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 64);
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private ascii(text: string): void {
    this.reserve(text.length);
    this.pos += this.buf.write(text, this.pos, "latin1");
  }

  private utf8(text: string): void {
    this.reserve(Buffer.byteLength(text, "utf8"));
    this.pos += this.buf.write(text, this.pos, "utf8");
  }

  private line(prefix: string, text: string): void {
    this.ascii(prefix);
    // The common case (OK, QUEUED, most errors) without a regular expression.
    const clean = text.indexOf("\r") < 0 && text.indexOf("\n") < 0;
    this.utf8(clean ? text : text.replace(CRLF_RE, " "));
    this.ascii("\r\n");
  }

  private blob(prefix: string, bytes: Uint8Array | string): void {
    if (typeof bytes === "string") {
      this.ascii(`${prefix}${Buffer.byteLength(bytes, "utf8")}\r\n`);
      this.utf8(bytes);
    } else {
      this.ascii(`${prefix}${bytes.length}\r\n`);
      this.reserve(bytes.length);
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
    }
    this.ascii("\r\n");
  }

  private aggregate(prefix: string, items: readonly Reply[], protocol: Protocol, depth: number): void {
    this.ascii(`${prefix}${items.length}\r\n`);
    for (const item of items) this.encode(item, protocol, depth + 1);
  }

  private encode(reply: Reply, protocol: Protocol, depth: number): void {
    assert(depth < 64, "replies nest less than 64 deep");
    const v3 = protocol === 3;
    switch (reply.kind) {
      case "simple":
        this.line("+", reply.text);
        break;
      case "error":
        this.line("-", reply.text);
        break;
      case "integer":
        this.ascii(`:${reply.value}\r\n`);
        break;
      case "bulk":
        this.blob("$", reply.bytes);
        break;
      case "null":
        this.ascii(v3 ? "_\r\n" : "$-1\r\n");
        break;
      case "nullArray":
        this.ascii(v3 ? "_\r\n" : "*-1\r\n");
        break;
      case "array":
        this.aggregate("*", reply.items, protocol, depth);
        break;
      case "set":
        this.aggregate(v3 ? "~" : "*", reply.items, protocol, depth);
        break;
      case "push":
        this.aggregate(v3 ? ">" : "*", reply.items, protocol, depth);
        break;
      case "map":
        this.ascii(v3 ? `%${reply.entries.length}\r\n` : `*${reply.entries.length * 2}\r\n`);
        for (const [key, value] of reply.entries) {
          this.encode(key, protocol, depth + 1);
          this.encode(value, protocol, depth + 1);
        }
        break;
      case "double":
        if (v3) this.ascii(`,${formatDouble(reply.value)}\r\n`);
        else this.blob("$", formatDouble(reply.value));
        break;
      case "boolean":
        this.ascii(v3 ? (reply.value ? "#t\r\n" : "#f\r\n") : reply.value ? ":1\r\n" : ":0\r\n");
        break;
      case "bigNumber":
        if (v3) this.ascii(`(${reply.digits}\r\n`);
        else this.blob("$", reply.digits);
        break;
      case "verbatim":
        this.blob(v3 ? "=" : "$", v3 ? `${reply.format}:${reply.text}` : reply.text);
        break;
    }
  }
}

/** Encodes one reply for `protocol`. */
export function encodeReply(reply: Reply, protocol: Protocol): Buffer {
  const out = new ReplyBuffer(64);
  out.append(reply, protocol);
  return out.take();
}
