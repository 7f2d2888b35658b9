/**
 * Hashes (Redis 7.0 semantics, redis.io/commands/?group=hash): one metadata entry per key (generation,
 * field count) and one internal entry per field, its value the field's bytes (src/types/encoding.ts).
 * HSET of one field on a hash of a million writes two entries; HGETALL reads the fields in field order.
 */
import type { Buffer } from "node:buffer";
import type { KeyInput, KeyString } from "../doc/key.js";
import { DataTypeError } from "../errors.js";
import { bytesOf, TAG } from "./encoding.js";
import type { BytesInput, TypesRunner } from "./runner.js";
import { ELEMENTS_PER_READ, type ScanPage, scanCursor } from "./scan-cursor.js";
import type { Collection, Txn } from "./txn.js";

/** The field prefix of a live hash. */
function fieldsOf(tx: Txn, k: KeyString, h: Collection): KeyString {
  return tx.prefix(k, h.meta, TAG.hash);
}

/** Every field and value of a hash, in field (bytewise) order. @throws NeedRead. */
export function allFields(tx: Txn, k: KeyString, h: Collection): [string, string][] {
  return tx.elements(fieldsOf(tx, k, h), h.meta.n) as [string, string][];
}

/**
 * HSET: sets each pair (later pairs of the same field win) as one change; the number of fields added.
 * @throws WrongTypeError.
 */
export function hset(
  tx: Txn,
  k: KeyString,
  pairs: readonly (readonly [string, string])[],
  op = "hset",
): number {
  let h = tx.collection(k, "hash");
  const meta = h?.meta ?? { g: tx.newGeneration(), n: 0 };
  const prefix = tx.prefix(k, meta, TAG.hash);
  let added = 0;
  for (const [f, v] of pairs) {
    if (tx.element(prefix, f) === undefined) added++;
    tx.putElement(prefix, f, v);
  }
  const entry = tx.putTyped(k, "hash", { g: meta.g, n: meta.n + added }, op);
  h = { entry, meta: entry.value as unknown as Collection["meta"] };
  return added;
}

/** HDEL: removes fields; how many existed. The hash stops existing when its last field goes. */
export function hdel(tx: Txn, k: KeyString, fields: readonly string[]): number {
  const h = tx.collection(k, "hash");
  if (h === undefined) return 0;
  const prefix = fieldsOf(tx, k, h);
  let removed = 0;
  for (const f of fields) {
    if (tx.element(prefix, f) === undefined) continue;
    tx.putElement(prefix, f, undefined);
    removed++;
  }
  if (removed === 0) return 0;
  const n = h.meta.n - removed;
  if (n === 0) tx.deleteKey(k, "hdel");
  else tx.putTyped(k, "hash", { g: h.meta.g, n }, "hdel");
  return removed;
}

/** HGET of one field, or undefined. */
export function hget(tx: Txn, k: KeyString, field: string): string | undefined {
  const h = tx.collection(k, "hash");
  return h === undefined ? undefined : (tx.element(fieldsOf(tx, k, h), field) as string | undefined);
}

/**
 * The library's hash operations: `db.hashes`. Keys as strings (UTF-8) or bytes; fields and values as
 * strings (UTF-8) or bytes; answers as Buffers. Every write is one WAL record, acknowledged once durable.
 * Errors: WrongTypeError (FUSEDB_WRONG_TYPE) on a key of another type; InvalidArgumentError for bad
 * arguments; DataTypeError (FUSEDB_NOT_INTEGER, ...) with Redis's reply text; and what every write throws.
 * Idea: ioredis's command methods, named after Redis's commands.
 */
export class Hashes {
  /** @internal built by the database. */
  constructor(private readonly run: TypesRunner) {}

  /** HSET: sets fields (an object or [field, value] pairs); resolves with how many were new. */
  async hset(
    key: KeyInput,
    fields: Record<string, BytesInput> | readonly (readonly [BytesInput, BytesInput])[],
  ): Promise<number> {
    const k = this.run.key(key);
    const pairs = this.pairs(fields);
    return this.run.write((tx) => hset(tx, k, pairs));
  }

  /** HSETNX: sets the field only if it is absent; whether it was set. */
  async hsetnx(key: KeyInput, field: BytesInput, value: BytesInput): Promise<boolean> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    const v = this.run.bytes(value, "value");
    return this.run.write((tx) => {
      if (hget(tx, k, f) !== undefined) return false;
      hset(tx, k, [[f, v]], "hsetnx");
      return true;
    });
  }

  /** HGET: the field's value, or undefined. */
  async hget(key: KeyInput, field: BytesInput): Promise<Buffer | undefined> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    return this.run.read((tx) => optionalBytes(hget(tx, k, f)));
  }

  /** HMGET: each field's value or undefined. */
  async hmget(key: KeyInput, fields: readonly BytesInput[]): Promise<(Buffer | undefined)[]> {
    const k = this.run.key(key);
    const fs = this.list(fields, "field");
    return this.run.read((tx) => fs.map((f) => optionalBytes(hget(tx, k, f))));
  }

  /** HDEL: removes fields; how many existed. */
  async hdel(key: KeyInput, fields: readonly BytesInput[]): Promise<number> {
    const k = this.run.key(key);
    const fs = this.list(fields, "field");
    return this.run.write((tx) => hdel(tx, k, fs));
  }

  /** HEXISTS. */
  async hexists(key: KeyInput, field: BytesInput): Promise<boolean> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    return this.run.read((tx) => hget(tx, k, f) !== undefined);
  }

  /** HLEN: the number of fields (0 for a missing key). */
  async hlen(key: KeyInput): Promise<number> {
    const k = this.run.key(key);
    return this.run.read((tx) => tx.collection(k, "hash")?.meta.n ?? 0);
  }

  /** HSTRLEN: the byte length of the field's value (0 if absent). */
  async hstrlen(key: KeyInput, field: BytesInput): Promise<number> {
    const k = this.run.key(key);
    const f = this.run.bytes(field, "field");
    return this.run.read((tx) => hget(tx, k, f)?.length ?? 0);
  }

  /** HGETALL: every [field, value], in bytewise field order. */
  async hgetall(key: KeyInput): Promise<[Buffer, Buffer][]> {
    const k = this.run.key(key);
    return this.run.read((tx) => {
      const h = tx.collection(k, "hash");
      if (h === undefined) return [];
      return allFields(tx, k, h).map(([f, v]) => [bytesOf(f), bytesOf(v)] as [Buffer, Buffer]);
    });
  }

  /** HKEYS: every field, in bytewise order. */
  async hkeys(key: KeyInput): Promise<Buffer[]> {
    return (await this.hgetall(key)).map(([f]) => f);
  }

  /** HVALS: every value, in field order. */
  async hvals(key: KeyInput): Promise<Buffer[]> {
    return (await this.hgetall(key)).map(([, v]) => v);
  }

  /**
   * HSCAN: a page of [field, value] pairs after `cursor` ("0" to start; the answer's cursor "0" when done),
   * fields matching the glob `match` if given, about `count` (default 10) examined. Every field present for
   * the whole scan is returned exactly once (the cursor is the last field returned).
   */
  hscan(
    key: KeyInput,
    cursor: string,
    options: { match?: BytesInput; count?: number } = {},
  ): Promise<ScanPage<[Buffer, Buffer]>> {
    const k = this.run.key(key);
    return this.run.read((tx) => {
      const h = tx.collection(k, "hash");
      return scanCursor(tx, h === undefined ? undefined : fieldsOf(tx, k, h), cursor, options, (sub, v) => [
        bytesOf(sub),
        bytesOf(v as string),
      ]);
    });
  }

  private pairs(fields: unknown): [string, string][] {
    const raw: unknown[] = Array.isArray(fields)
      ? fields
      : typeof fields === "object" && fields !== null && !(fields instanceof Uint8Array)
        ? Object.entries(fields)
        : [];
    if (raw.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", "ERR wrong number of arguments for 'hset' command");
    }
    return raw.map((p) => {
      if (!Array.isArray(p) || p.length !== 2) {
        throw new DataTypeError("FUSEDB_SYNTAX", "ERR syntax error");
      }
      return [this.run.bytes(p[0], "field"), this.run.bytes(p[1], "value")];
    });
  }

  private list(items: unknown, what: string): string[] {
    if (!Array.isArray(items) || items.length === 0) {
      throw new DataTypeError("FUSEDB_SYNTAX", `ERR wrong number of arguments (no ${what})`);
    }
    return items.map((i) => this.run.bytes(i, what));
  }
}

/** A binary string as a Buffer, undefined as undefined. */
export function optionalBytes(s: string | undefined): Buffer | undefined {
  return s === undefined ? undefined : bytesOf(s);
}

export { ELEMENTS_PER_READ };
