/**
 * The request parser of the RESP server: bytes in, commands (arrays of argument Buffers) out. Pure: no I/O,
 * no clock, no knowledge of commands. Incremental: `feed` takes the bytes as they arrive, split anywhere;
 * `next` returns the next complete command, `undefined` while one is incomplete, or a {@link ProtocolError}
 * (after which the parser is dead and the connection must be closed).
 *
 * Two request forms, told apart by their first byte as Redis does (networking.c, processInputBuffer):
 *
 *   multibulk := "*" count CR LF ( "$" length CR LF bytes{length} CR LF ){count}
 *   inline    := line LF             (line: arguments split like a shell, see {@link splitInlineArgs})
 *
 * A multibulk count <= 0 is an empty request and is skipped, as is an inline line with no argument. Counts
 * and lengths follow Redis's integer rules (src/server/integer-text.ts). Header lines end at CR and must be
 * followed by LF. Redis skips the two bytes after a bulk without looking at them; here they must be CR LF,
 * so a client that misframes is stopped at once instead of having its data read as commands.
 *
 * Bounds, each checked before the bytes it guards are kept (see {@link RequestLimits}): an argument's length
 * against `bulkBytesMax` when its header is read (not when its bytes arrive), a request's argument count
 * against `multibulkLengthMax`, a line (inline request or header) against `inlineBytesMax`, and everything
 * held (unparsed input plus the arguments of the request being read) against `queryBufferBytesMax` when a
 * chunk is fed: a chunk that would pass it is not kept. So memory per connection is at most
 * `queryBufferBytesMax` plus one chunk, whatever the client sends.
 *
 * Arguments shorter than {@link ARG_COPY_BYTES_MIN} are copied; longer ones are slices of the fed chunks
 * (zero copy), so the caller must never write into a chunk it has fed.
 */
import { Buffer } from "node:buffer";
import { assert } from "../index.js";
import { parseInteger } from "./integer-text.js";

/** Redis's limits on a request, by their Redis names. Sizes in bytes. */
export interface RequestLimits {
  /** `proto-max-bulk-len`: longest argument. */
  bulkBytesMax: number;
  /** Most arguments in one multibulk request (Redis 6's bound; 7 allows up to INT_MAX). */
  multibulkLengthMax: number;
  /** `PROTO_INLINE_MAX_SIZE`: longest inline request, and longest multibulk or bulk header line. */
  inlineBytesMax: number;
  /** `client-query-buffer-limit`: most bytes held for one client (unparsed input and a partial request). */
  queryBufferBytesMax: number;
}

/** Redis's bounds for clients that must authenticate and have not: `*` count and `$` length. */
export const UNAUTHENTICATED_MULTIBULK_LENGTH_MAX = 10;
export const UNAUTHENTICATED_BULK_BYTES_MAX = 16 * 1024;

/** The defaults; `bulkBytesMax` is bounded by the engine's value limit (README, Server), not Redis's 512 MiB. */
export const REQUEST_LIMITS_DEFAULT: Readonly<RequestLimits> = Object.freeze({
  bulkBytesMax: 8 * 1024 * 1024,
  multibulkLengthMax: 1024 * 1024,
  inlineBytesMax: 64 * 1024,
  queryBufferBytesMax: 64 * 1024 * 1024,
});

/** Arguments at least this long are returned as slices of the input instead of copies. */
export const ARG_COPY_BYTES_MIN = 16 * 1024;

/**
 * Why a request stream was rejected. `reply` is the error line Redis sends (without "-" and CR LF), or
 * undefined when Redis closes the connection without a word (the query buffer limit).
 */
export class ProtocolError extends Error {
  readonly code: "RESP_PROTOCOL" | "RESP_QUERY_BUFFER_LIMIT";
  readonly reply: string | undefined;
  constructor(code: ProtocolError["code"], message: string, reply: string | undefined) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.reply = reply;
  }
}

function protocolError(what: string): ProtocolError {
  return new ProtocolError("RESP_PROTOCOL", `Protocol error: ${what}`, `ERR Protocol error: ${what}`);
}

const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;

/** Marks "more input needed" inside the parser. */
const NEED_MORE = Symbol("need more");
/** Marks "a line was read" (see `RequestParser.readLine`). */
const LINE = Symbol("line");
type Step = Buffer[] | ProtocolError | typeof NEED_MORE | undefined;

/** See the module comment. One parser per connection. */
export class RequestParser {
  /** Unconsumed input, oldest first; `headOffset` bytes of the first chunk are consumed already. */
  private readonly chunks: Buffer[] = [];
  private headOffset = 0;
  /** Unconsumed bytes over all chunks. */
  private buffered = 0;
  /** Bytes at the front of the unconsumed input already searched for the current line's end, in vain. */
  private scanned = 0;
  /** The multibulk request being read: its arguments so far, how many remain, and their bytes. */
  private args: Buffer[] | undefined;
  private argsLeft = 0;
  private argBytes = 0;
  /** Length of the bulk whose data comes next; -1 while its `$` header is still to be read. */
  private bulkLength = -1;
  private failed: ProtocolError | undefined;
  /** A chunk was refused for the query buffer limit: fail once the input before it is used up. */
  private overLimit = false;
  /** The header line just read ended in CR without LF. */
  private lineEndBad = false;
  /** The line just read: bytes `lineStart` to `lineEnd` of `lineBuf` (a fed chunk, or a copy if it spanned chunks). */
  private lineBuf: Buffer = EMPTY;
  private lineStart = 0;
  private lineEnd = 0;
  /** Apply Redis's small bounds for unauthenticated clients (set and cleared by the connection). */
  requireAuth = false;

  constructor(private readonly limits: RequestLimits = REQUEST_LIMITS_DEFAULT) {
    assert(limits.bulkBytesMax <= limits.queryBufferBytesMax, "an argument fits in the query buffer");
    assert(limits.inlineBytesMax <= limits.queryBufferBytesMax, "a line fits in the query buffer");
  }

  /** Bytes held: unparsed input plus the arguments of the request being read. */
  get heldBytes(): number {
    return this.buffered + this.argBytes;
  }

  /**
   * Appends `chunk` (kept by reference, never copied here). A chunk that would take the held bytes past
   * `queryBufferBytesMax` is dropped, and `next` reports the limit once the input before it is parsed.
   */
  feed(chunk: Buffer): void {
    if (this.failed !== undefined || this.overLimit || chunk.length === 0) return;
    if (this.heldBytes + chunk.length > this.limits.queryBufferBytesMax) {
      this.overLimit = true;
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete command (at least one argument), `undefined` if the input so far holds none, or the
   * {@link ProtocolError} that ends the stream (returned again on every later call).
   */
  next(): Buffer[] | ProtocolError | undefined {
    // Bounded: each pass consumes input or returns; skipped empty requests consume at least "*0\r\n".
    for (;;) {
      if (this.failed !== undefined) return this.failed;
      const step = this.args === undefined ? this.readRequestStart() : this.readArgument();
      if (step === NEED_MORE) {
        if (!this.overLimit) return undefined;
        return this.fail(
          new ProtocolError(
            "RESP_QUERY_BUFFER_LIMIT",
            `query buffer limit of ${this.limits.queryBufferBytesMax} bytes reached`,
            undefined,
          ),
        );
      }
      if (step instanceof ProtocolError) return this.fail(step);
      if (step !== undefined) return step;
    }
  }

  private fail(err: ProtocolError): ProtocolError {
    this.failed = err;
    this.lineBuf = EMPTY;
    this.chunks.length = 0;
    this.buffered = 0;
    this.args = undefined;
    this.argBytes = 0;
    return err;
  }

  /** At a request boundary: an inline request, or a multibulk header. */
  private readRequestStart(): Step {
    if (this.buffered === 0) return NEED_MORE;
    if (this.peek() !== STAR) return this.readInline();
    const line = this.readLine(CR, "too big mbulk count string");
    if (line !== LINE) return line;
    const count = this.lineEndBad ? undefined : parseInteger(this.lineBuf, this.lineStart + 1, this.lineEnd);
    this.lineBuf = EMPTY; // holds no consumed chunk
    if (count === undefined || count > this.limits.multibulkLengthMax) {
      return protocolError("invalid multibulk length");
    }
    if (count > UNAUTHENTICATED_MULTIBULK_LENGTH_MAX && this.requireAuth) {
      return protocolError("unauthenticated multibulk length");
    }
    if (count <= 0) return undefined; // an empty request: skipped
    this.args = [];
    this.argsLeft = count;
    this.bulkLength = -1;
    return undefined;
  }

  /** Inside a multibulk request: a `$` header, or a bulk's data; returns the request once complete. */
  private readArgument(): Step {
    if (this.bulkLength < 0) {
      const line = this.readLine(CR, "too big bulk count string");
      if (line !== LINE) return line;
      // An empty line: the byte found was the CR itself.
      const first = this.lineEnd > this.lineStart ? (this.lineBuf[this.lineStart] as number) : CR;
      if (first !== DOLLAR) return protocolError(`expected '$', got '${printable(first)}'`);
      const length = this.lineEndBad
        ? undefined
        : parseInteger(this.lineBuf, this.lineStart + 1, this.lineEnd);
      this.lineBuf = EMPTY;
      if (length === undefined || length < 0 || length > this.limits.bulkBytesMax) {
        return protocolError("invalid bulk length");
      }
      if (length > UNAUTHENTICATED_BULK_BYTES_MAX && this.requireAuth) {
        return protocolError("unauthenticated bulk length");
      }
      this.bulkLength = length;
      return undefined;
    }
    if (this.buffered < this.bulkLength + 2) return NEED_MORE;
    const arg = this.take(this.bulkLength, this.bulkLength < ARG_COPY_BYTES_MIN);
    if (this.peek() !== CR || this.peekAt(1) !== LF) return protocolError("invalid bulk data terminator");
    this.skip(2);
    const args = this.args as Buffer[];
    args.push(arg);
    this.argBytes += arg.length;
    this.bulkLength = -1;
    if (--this.argsLeft > 0) return undefined;
    this.args = undefined;
    this.argBytes = 0;
    return args;
  }

  private readInline(): Step {
    const read = this.readLine(LF, "too big inline request");
    if (read !== LINE) return read;
    const line = this.lineBuf.subarray(this.lineStart, this.lineEnd);
    this.lineBuf = EMPTY;
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    const args = splitInlineArgs(line.subarray(0, end));
    if (args === undefined) return protocolError("unbalanced quotes in request");
    return args.length === 0 ? undefined : args;
  }

  /**
   * Consumes one line ending at `end` (CR and the byte after it, or LF) and returns LINE, the line being
   * `lineBuf[lineStart, lineEnd)` without its terminator (no copy unless it spans chunks); for CR lines the
   * first byte (`*` or `$`) is kept and `lineEndBad` says whether the byte after the CR was not LF.
   * NEED_MORE while the terminator has not arrived; the error named `tooBig` once the line passes
   * `inlineBytesMax`.
   */
  private readLine(end: number, tooBig: string): typeof LINE | ProtocolError | typeof NEED_MORE {
    const at = this.indexOf(end);
    if (at < 0) {
      this.scanned = this.buffered;
      return this.buffered > this.limits.inlineBytesMax ? protocolError(tooBig) : NEED_MORE;
    }
    if (at > this.limits.inlineBytesMax) return protocolError(tooBig);
    if (end === CR) {
      if (at + 1 >= this.buffered) {
        this.scanned = at; // find the same CR again once its LF arrives
        return NEED_MORE;
      }
    }
    // A CR not followed by LF makes the header's number invalid (the callers check this flag).
    this.lineEndBad = end === CR && this.peekAt(at + 1) !== LF;
    const head = this.chunks[0] as Buffer;
    if (head.length - this.headOffset >= at) {
      this.lineBuf = head;
      this.lineStart = this.headOffset;
      this.lineEnd = this.headOffset + at;
      this.skip(at);
    } else {
      this.lineBuf = this.take(at, true);
      this.lineStart = 0;
      this.lineEnd = at;
    }
    this.skip(end === CR ? 2 : 1);
    return LINE;
  }

  /** Position of the first `byte` in the unconsumed input at or after `scanned`, or -1. */
  private indexOf(byte: number): number {
    let base = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as Buffer;
      const from = i === 0 ? this.headOffset : 0;
      const size = chunk.length - from;
      if (base + size > this.scanned) {
        const found = chunk.indexOf(byte, from + Math.max(0, this.scanned - base));
        if (found >= 0) return base + found - from;
      }
      base += size;
    }
    return -1;
  }

  private peek(): number | undefined {
    return this.peekAt(0);
  }

  private peekAt(offset: number): number | undefined {
    let rest = offset;
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as Buffer;
      const from = i === 0 ? this.headOffset : 0;
      if (rest < chunk.length - from) return chunk[from + rest];
      rest -= chunk.length - from;
    }
    return undefined;
  }

  /** Consumes `n` bytes and returns them: a copy if `copy` or if they span chunks, else a slice. */
  private take(n: number, copy: boolean): Buffer {
    assert(n <= this.buffered, "take within the buffered input");
    const head = this.chunks[0];
    if (head !== undefined && head.length - this.headOffset >= n) {
      let out: Buffer;
      if (copy) {
        out = Buffer.allocUnsafe(n);
        head.copy(out, 0, this.headOffset, this.headOffset + n);
      } else out = head.subarray(this.headOffset, this.headOffset + n);
      this.skip(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Buffer;
      const count = Math.min(n - filled, chunk.length - this.headOffset);
      chunk.copy(out, filled, this.headOffset, this.headOffset + count);
      filled += count;
      this.skip(count);
    }
    return out;
  }

  /** Consumes `n` buffered bytes, dropping chunks used up. Resets the line search. */
  private skip(n: number): void {
    assert(n <= this.buffered, "skip within the buffered input");
    this.buffered -= n;
    this.scanned = 0;
    let rest = n;
    while (rest > 0) {
      const chunk = this.chunks[0] as Buffer;
      const left = chunk.length - this.headOffset;
      if (rest < left) {
        this.headOffset += rest;
        return;
      }
      rest -= left;
      this.chunks.shift();
      this.headOffset = 0;
    }
    if (this.chunks[0]?.length === this.headOffset) {
      this.chunks.shift();
      this.headOffset = 0;
    }
  }
}

/** A byte as it appears in Redis's "expected '$', got 'x'" (CR and LF become spaces, as Redis does). */
function printable(byte: number): string {
  return byte === CR || byte === LF ? " " : String.fromCharCode(byte);
}

const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;

/** Whitespace between inline arguments (C isspace). */
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
}

/** Bytes that end an unquoted inline argument (Redis: space, LF, CR, tab, NUL). */
function endsBareArg(c: number): boolean {
  return c === 0x20 || c === LF || c === CR || c === 0x09 || c === 0;
}

const ESCAPES: Record<number, number> = { 110: LF, 114: CR, 116: 0x09, 98: 0x08, 97: 0x07 };

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Splits an inline request line into arguments the way redis-cli and Redis read them (sds.c's
 * `sdssplitargs`, reimplemented): whitespace separates arguments; "double quotes" take the escapes \n \r \t
 * \b \a \xHH and \<any byte>; 'single quotes' take \' only; quoted parts may join bare ones (`a"b"` is
 * `ab`); a closing quote must be followed by whitespace or the end. A NUL byte ends the line, as in C.
 * @returns the arguments, or undefined for unbalanced quotes (or a closing quote followed by a letter).
 */
export function splitInlineArgs(line: Uint8Array): Buffer[] | undefined {
  const args: Buffer[] = [];
  const end = line.indexOf(0) < 0 ? line.length : line.indexOf(0);
  let i = 0;
  // Bounded by the line: every pass consumes at least one byte.
  for (;;) {
    while (i < end && isSpace(line[i])) i++;
    if (i >= end) return args;
    const bytes: number[] = [];
    let mode: "bare" | "double" | "single" = "bare";
    for (;;) {
      if (i >= end) {
        if (mode !== "bare") return undefined;
        break;
      }
      const c = line[i] as number;
      if (mode === "bare") {
        if (endsBareArg(c)) break;
        if (c === QUOTE) mode = "double";
        else if (c === APOSTROPHE) mode = "single";
        else bytes.push(c);
        i++;
        continue;
      }
      const closing = mode === "double" ? QUOTE : APOSTROPHE;
      if (c === closing) {
        if (i + 1 < end && !isSpace(line[i + 1])) return undefined;
        i++;
        break;
      }
      if (c === BACKSLASH && i + 1 < end) {
        const next = line[i + 1] as number;
        if (mode === "single") {
          if (next === APOSTROPHE) {
            bytes.push(APOSTROPHE);
            i += 2;
            continue;
          }
        } else {
          const hi = next === 0x78 ? hexValue(line[i + 2]) : -1;
          const lo = next === 0x78 ? hexValue(line[i + 3]) : -1;
          if (hi >= 0 && lo >= 0 && i + 3 < end) {
            bytes.push(hi * 16 + lo);
            i += 4;
          } else {
            bytes.push(ESCAPES[next] ?? next);
            i += 2;
          }
          continue;
        }
      }
      bytes.push(c);
      i++;
    }
    args.push(Buffer.from(bytes));
  }
}
