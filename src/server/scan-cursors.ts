import type { Buffer } from "node:buffer";
/**
 * Integer cursors on the wire for the library's opaque scan cursors (src/types/scan-cursor.ts: the last key
 * or element returned, so a scan resumes after it whatever changes). Redis clients expect SCAN's cursor to
 * be an unsigned integer, so the server hands out 1, 2, 3, ... and remembers which library cursor each
 * stands for, in one table per server shared by every client and every scan command (SCAN, HSCAN, ...).
 *
 * Bounded: the table keeps the newest {@link SCAN_CURSORS_MAX} cursors and forgets the oldest first. A
 * cursor it no longer knows (or never handed out) is refused with "ERR invalid cursor", so a scan that
 * pauses while that many other pages are served must start again; a scan that keeps going never does.
 * Cursor 0 starts a scan and ends one, as in Redis.
 *
 * Also the server's seeded pseudo-random numbers (RANDOMKEY): xorshift32 from a seed the server passes in.
 */
import { parseInteger } from "./integer-text.js";
import { CommandError } from "./reply-errors.js";

/** Library cursors remembered at once. */
export const SCAN_CURSORS_MAX = 65_536;

/** See the module comment. */
export class ScanCursors {
  private readonly byWire = new Map<number, string>();
  private next = 1;
  private state: number;

  /** @param seed any number (the server's start time): the random sequence follows from it. */
  constructor(seed = 1) {
    this.state = (Math.abs(Math.floor(seed)) % 0xffff_fffe) + 1;
  }

  /** The wire cursor for a library cursor ("0" for "0"). */
  toWire(cursor: string): string {
    if (cursor === "0") return "0";
    const id = this.next;
    this.next = this.next >= Number.MAX_SAFE_INTEGER ? 1 : this.next + 1;
    this.byWire.set(id, cursor);
    if (this.byWire.size > SCAN_CURSORS_MAX) {
      const oldest = this.byWire.keys().next().value as number;
      this.byWire.delete(oldest);
    }
    return String(id);
  }

  /**
   * The library cursor a wire cursor stands for.
   * @throws CommandError "ERR invalid cursor" for anything but 0 or a cursor the table still holds.
   */
  fromWire(arg: Uint8Array): string {
    const n = parseInteger(arg);
    if (n === 0) return "0";
    const cursor = n === undefined || n < 0 ? undefined : this.byWire.get(n);
    if (cursor === undefined) throw new CommandError("ERR invalid cursor");
    return cursor;
  }

  /** A pseudo-random integer in [0, 2^32). */
  random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

/** MATCH and COUNT of a SCAN-family command, from argument `from` on. */
export interface ScanArgs {
  match?: Buffer;
  count?: number;
  type?: string;
}

/**
 * Parses `[MATCH pattern] [COUNT count]` (and `[TYPE type]` when `allowType`), as Redis 7.0 does.
 * @throws CommandError "ERR syntax error" (an unknown option, a COUNT below 1), "ERR value is not an
 *   integer or out of range" (a COUNT that is not an integer).
 */
export function scanArgs(args: readonly Buffer[], from: number, allowType = false): ScanArgs {
  const out: ScanArgs = {};
  for (let i = from; i < args.length; i += 2) {
    const opt = (args[i] as Buffer).toString("latin1").toUpperCase();
    const value = args[i + 1];
    if (value === undefined) throw new CommandError("ERR syntax error");
    if (opt === "MATCH") out.match = value;
    else if (opt === "COUNT") {
      const text = value.toString("latin1");
      if (!/^-?[0-9]+$/.test(text)) throw new CommandError("ERR value is not an integer or out of range");
      const n = Number(text);
      if (n < 1) throw new CommandError("ERR syntax error");
      out.count = Math.min(n, 100_000);
    } else if (opt === "TYPE" && allowType) {
      const name = value.toString("latin1").toLowerCase();
      out.type = name === "rejson-rl" ? "json" : name;
    } else throw new CommandError("ERR syntax error");
  }
  return out;
}
