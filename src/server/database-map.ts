/**
 * SWAPDB's indirection: which stored database (the key prefix byte of src/server/keyspace.ts) each
 * database number a client SELECTs names. Identity until the first SWAPDB; SWAPDB a b exchanges two entries
 * in O(1), whatever the databases hold, as Redis swaps its two dict pointers.
 *
 * The map is durable: it is one JSON document (an array, entry i the stored database of number i) under an
 * engine key outside every database, written by SWAPDB and read when the server starts, before any command
 * runs. So a restart sees the databases where the last acknowledged SWAPDB left them.
 *
 *   map key := 0xFF | "fusedb:databases"     (so at most 255 databases: 0xFF is never a database byte)
 */
import { Buffer } from "node:buffer";
import { assert, type FuseDB } from "../index.js";

/** The engine key of the map. */
export const DATABASE_MAP_KEY = Buffer.concat([Buffer.from([0xff]), Buffer.from("fusedb:databases")]);

/** Most databases a server may have: the byte 0xFF is the map's own prefix. */
export const DATABASES_MAX = 255;

/** See the module comment. */
export class DatabaseMap {
  /** stored[i]: the stored database of number i; logical[s]: the number of stored database s. */
  private stored: number[];
  private logical: number[];

  constructor(private readonly databases: number) {
    assert(databases >= 1 && databases <= DATABASES_MAX, "databases within 1..255");
    this.stored = Array.from({ length: databases }, (_, i) => i);
    this.logical = [...this.stored];
  }

  /** The stored database of database number `db`. */
  storedOf(db: number): number {
    return this.stored[db] ?? db;
  }

  /** The database number of stored database `s` (notifications name databases by number). */
  numberOf(s: number): number {
    return this.logical[s] ?? s;
  }

  /**
   * Reads the map the last SWAPDB wrote, if any. A map written for fewer or more databases than now keeps
   * its entries that are a permutation of 0..databases-1; anything else is refused.
   * @throws Error naming the key if the stored map is not such a permutation.
   */
  async load(engine: FuseDB): Promise<void> {
    const found = await engine.get(DATABASE_MAP_KEY);
    if (found === undefined) return;
    const map = found.value;
    const ok =
      Array.isArray(map) &&
      map.length === this.databases &&
      new Set(map).size === map.length &&
      map.every((s) => typeof s === "number" && Number.isInteger(s) && s >= 0 && s < this.databases);
    if (!ok) {
      throw new Error(
        `the database map (key 0xFF "fusedb:databases") is not a permutation of 0..${this.databases - 1}`,
      );
    }
    this.set(map as number[]);
  }

  /** SWAPDB a b: writes the new map durably, then uses it. Resolves once durable. */
  async swap(engine: FuseDB, a: number, b: number): Promise<void> {
    const next = [...this.stored];
    [next[a], next[b]] = [next[b] as number, next[a] as number];
    await engine.set(DATABASE_MAP_KEY, next);
    this.set(next);
  }

  private set(map: number[]): void {
    this.stored = map;
    this.logical = [];
    map.forEach((s, i) => {
      this.logical[s] = i;
    });
  }
}
