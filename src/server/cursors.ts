/**
 * Integer cursors on the wire for the engine's opaque scan cursors (SCAN, HSCAN, SSCAN, ZSCAN): the engine
 * resumes a scan after the last key or element returned (src/types/scan-cursor.ts), a byte string of any
 * length, while Redis clients expect an unsigned 64-bit integer and "0" for start and end. Each server keeps
 * a bounded table from integers to engine cursors, integers counting up from 1. A cursor evicted from the
 * table (more than CURSORS_MAX scans in flight since it was issued) starts its scan again from the
 * beginning: elements may then be returned twice, never missed (Redis promises at least once).
 */
import type { Buffer } from "node:buffer";
import { CommandError } from "./reply-errors.js";

/** Engine cursors remembered per server. */
export const CURSORS_MAX = 65_536;

/** One server's cursor table. */
class CursorTable {
  private next = 1;
  private readonly byId = new Map<string, string>();

  issue(engineCursor: string): string {
    if (engineCursor === "0") return "0";
    const id = String(this.next++);
    this.byId.set(id, engineCursor);
    if (this.byId.size > CURSORS_MAX) {
      const oldest = this.byId.keys().next().value as string;
      this.byId.delete(oldest);
    }
    return id;
  }

  resolve(id: string): string {
    return this.byId.get(id) ?? "0";
  }
}

const tables = new WeakMap<object, CursorTable>();

function tableOf(server: object): CursorTable {
  let t = tables.get(server);
  if (t === undefined) {
    t = new CursorTable();
    tables.set(server, t);
  }
  return t;
}

/**
 * The engine cursor a client's cursor argument stands for.
 * @throws CommandError "ERR invalid cursor" unless the argument is an unsigned decimal integer.
 */
export function engineCursor(server: object, arg: Buffer): string {
  const text = arg.toString("latin1");
  if (!/^[0-9]+$/.test(text)) throw new CommandError("ERR invalid cursor");
  if (/^0+$/.test(text)) return "0";
  return tableOf(server).resolve(text.replace(/^0+/, ""));
}

/** The integer cursor to reply for an engine cursor ("0" when the scan is complete). */
export function wireCursor(server: object, cursor: string): string {
  return tableOf(server).issue(cursor);
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
    } else if (opt === "TYPE" && allowType) out.type = value.toString("latin1").toLowerCase();
    else throw new CommandError("ERR syntax error");
  }
  return out;
}
