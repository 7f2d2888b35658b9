/**
 * Payload of a Batch record: the resolved effects of one atomic call (one or more keys).
 *
 *   batch  := count u32 | effect*
 *   effect := kind u8 (1 put, 2 tombstone, 3 put with expiry) | keyLength u16 | key | version u64
 *             | [expiresAtMs u64]              (kind 3 only: absolute Clock ms)
 *             | [valueLength u32 | value]      (kinds 1 and 3)
 *
 * The value is UTF-8 JSON text, present only for puts. The expiry is absolute and logged, so recovery
 * restores exactly what was acknowledged without consulting the clock. Redo-only: replaying an effect sets the key to exactly
 * this version and value, so replay is idempotent.
 */
import { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import { entryFromStored } from "../doc/entry.js";
import type { KeyString } from "../doc/key.js";
import { ByteReader, ByteWriter } from "../util/bytes.js";

const KIND_PUT = 1;
const KIND_TOMBSTONE = 2;
const KIND_PUT_EXPIRING = 3;

/** One key's new state in a batch. */
export interface Effect {
  key: KeyString;
  entry: Entry;
}

/** Encodes the effects of one batch. */
export function encodeBatch(effects: readonly Effect[]): Buffer {
  const w = new ByteWriter(64);
  w.u32(effects.length);
  for (const { key, entry } of effects) {
    const keyBuf = Buffer.from(key, "latin1");
    const expiring = entry.text !== undefined && entry.expiresAtMs !== undefined;
    w.u8(entry.text === undefined ? KIND_TOMBSTONE : expiring ? KIND_PUT_EXPIRING : KIND_PUT);
    w.u16(keyBuf.length);
    w.bytes(keyBuf);
    w.u64(entry.version);
    if (expiring) w.u64(entry.expiresAtMs as number);
    if (entry.text !== undefined) {
      w.u32(entry.text.length);
      w.bytes(entry.text);
    }
  }
  return w.finish();
}

/**
 * Decodes a batch payload; entries get LSN `lsn`.
 * @throws Error on a malformed payload (the caller names the file and offset in a CorruptionError).
 */
export function decodeBatch(payload: Uint8Array, lsn: number): Effect[] {
  const r = new ByteReader(payload);
  const count = r.u32();
  // Bound: every effect takes at least 11 bytes, so a corrupt count cannot make us loop or allocate wildly.
  if (count * 11 > r.remaining)
    throw new Error(`effect count ${count} too large for ${payload.length} bytes`);
  const out: Effect[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8();
    const key = r.bytes(r.u16()).toString("latin1");
    const version = r.u64();
    let text: Uint8Array | undefined;
    let expiresAtMs: number | undefined;
    if (kind === KIND_PUT_EXPIRING) expiresAtMs = r.u64();
    if (kind === KIND_PUT || kind === KIND_PUT_EXPIRING) text = Buffer.from(r.bytes(r.u32()));
    else if (kind !== KIND_TOMBSTONE) throw new Error(`unknown effect kind ${kind}`);
    if (version < 1) throw new Error(`version ${version} < 1`);
    out.push({ key, entry: entryFromStored(version, text, lsn, expiresAtMs) });
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} trailing bytes after ${count} effects`);
  return out;
}
