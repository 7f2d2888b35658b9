/**
 * Integer cursors for the RESP server's scans (HSCAN; SSCAN, ZSCAN and SCAN may share it). The engine's
 * cursors are opaque strings (src/types/scan-cursor.ts: the last element returned), but Redis clients send
 * back the unsigned integer a scan replied. Each server keeps a bounded table from the integers it handed
 * out to the engine cursors they stand for: ids count up from 1 (0 is Redis's start and end), and the
 * oldest entry is dropped once {@link SCAN_CURSORS_MAX} are held. A cursor the table no longer holds (or
 * never gave) answers "ERR invalid cursor": a scan left idle while 100,000 others started must restart.
 * Kept beside the server in a WeakMap, so it needs no field of its own and goes with the server.
 */
import type { Buffer } from "node:buffer";
import { CommandError } from "./reply-errors.js";

/** Engine cursors one server remembers. */
export const SCAN_CURSORS_MAX = 100_000;

const INVALID = "ERR invalid cursor";

/** One server's table (see the module comment). */
export class ScanCursorTable {
  private readonly byId = new Map<number, string>();
  private nextId = 1;

  /** The engine cursor of a client's cursor argument ("0" for 0). @throws CommandError "ERR invalid cursor". */
  resolve(arg: Buffer): string {
    const text = arg.toString("latin1");
    if (!/^\d+$/.test(text)) throw new CommandError(INVALID);
    const id = Number(text);
    if (id === 0) return "0";
    const cursor = this.byId.get(id);
    if (cursor === undefined) throw new CommandError(INVALID);
    return cursor;
  }

  /** The integer cursor to reply for an engine cursor ("0" stays 0). */
  issue(cursor: string): string {
    if (cursor === "0") return "0";
    const id = this.nextId++;
    this.byId.set(id, cursor);
    if (this.byId.size > SCAN_CURSORS_MAX) {
      const oldest = this.byId.keys().next().value as number;
      this.byId.delete(oldest);
    }
    return String(id);
  }
}

const tables = new WeakMap<object, ScanCursorTable>();

/** The cursor table of `server`. */
export function scanCursorsOf(server: object): ScanCursorTable {
  let t = tables.get(server);
  if (t === undefined) {
    t = new ScanCursorTable();
    tables.set(server, t);
  }
  return t;
}
