/**
 * Payload of a batch record: the resolved effects of one atomic call (one or more keys, or none).
 *
 *   timed-batch := callMs u64 | batch               (record type TimedBatch, the only one written)
 *   batch       := count u32 | effect*              (record type Batch: read, no longer written)
 *   effect := an entry without its LSN (src/doc/entry-codec.ts): kind u8 (1 put, 2 tombstone, 3 put with
 *             expiry) | keyLength u16 | key | version u64
 *             | [expiresAtMs u64]              (kind 3 only: absolute Clock ms)
 *             | [valueLength u32 | value]      (kinds 1 and 3)
 *
 * Every effect takes the LSN of the record holding the batch. The value is UTF-8 JSON text, present only
 * for puts. The expiry is absolute and logged, so recovery restores exactly what was acknowledged without
 * consulting the clock. Redo-only: replaying an effect sets the key to exactly this version and value, so
 * replay is idempotent. `callMs` is the engine clock's time when the call was made (src/engine-clock.ts):
 * recovery starts the clock no lower than the newest one replayed, so time never goes back across a restart.
 * fusedb never writes a timed batch without effects (a read makes its time durable in a WAL header slot,
 * docs/wal-format.md "The clock floor"); a decoder accepts one.
 */
import type { Buffer } from "node:buffer";
import type { Entry } from "../doc/entry.js";
import { decodeEntry, ENTRY_BYTES_MIN, encodeEntry } from "../doc/entry-codec.js";
import type { KeyString } from "../doc/key.js";
import { ByteReader, ByteWriter } from "../util/bytes.js";
import { RecordType } from "./format.js";

/** One key's new state in a batch. */
export interface Effect {
  key: KeyString;
  entry: Entry;
  /** The data-type operation that made it (for subscribers; not logged). */
  op?: string;
  /** For a tombstone of a data-type key: the type it held (for subscribers; not logged). */
  was?: string;
  /** A put of a key that was not live before the call (for subscribers; not logged). */
  created?: boolean;
}

/**
 * Bytes the encoded `effects` take at most (count, then per entry its fixed fields, LSN-free, an expiry and a
 * text length, the key as latin1 and the text): the writer's initial size, so it never regrows (a 1 KB
 * document from a 64-byte start was five reallocations and copies per write).
 */
function batchBytesMax(effects: readonly Effect[]): number {
  let bytes = 4;
  for (const { key, entry } of effects)
    bytes += ENTRY_BYTES_MIN + 8 + 4 + key.length + (entry.text?.length ?? 0);
  return bytes;
}

/** Encodes the effects of one batch. */
export function encodeBatch(effects: readonly Effect[]): Buffer {
  const w = new ByteWriter(batchBytesMax(effects));
  w.u32(effects.length);
  for (const { key, entry } of effects) encodeEntry(w, key, entry, false);
  return w.finish();
}

/** Encodes a timed batch: the call's time (engine clock ms, a safe integer) and its effects. */
export function encodeTimedBatch(callMs: number, effects: readonly Effect[]): Buffer {
  const w = new ByteWriter(8 + batchBytesMax(effects));
  w.u64(callMs);
  w.u32(effects.length);
  for (const { key, entry } of effects) encodeEntry(w, key, entry, false);
  // A view, not a copy: the payload lives only until its group is written (src/wal/wal-writer.ts copies it
  // into the group's buffer), and the writer was sized for it, so little of its buffer is unused.
  return w.view();
}

/** A decoded timed batch. */
export interface TimedBatch {
  /** Engine clock ms of the call. */
  callMs: number;
  effects: Effect[];
}

/**
 * Decodes a timed-batch payload; entries get LSN `lsn`.
 * @throws Error on a malformed payload (shorter than its time, or a malformed batch after it).
 */
export function decodeTimedBatch(payload: Uint8Array, lsn: number, replay = false): TimedBatch {
  // One reader for the time and the batch after it (replay decodes every record: no view per part).
  const r = new ByteReader(payload);
  const callMs = r.u64();
  return { callMs, effects: decodeEffects(r, lsn, replay) };
}

/**
 * Decodes the payload of a record of type `type` (Batch or TimedBatch); an untimed Batch gets `callMs` 0.
 * `replay` as for {@link decodeBatch}.
 * @throws Error on a malformed payload.
 */
export function decodeBatchRecord(
  type: RecordType,
  payload: Uint8Array,
  lsn: number,
  replay = false,
): TimedBatch {
  if (type === RecordType.TimedBatch) return decodeTimedBatch(payload, lsn, replay);
  return { callMs: 0, effects: decodeBatch(payload, lsn, replay) };
}

/**
 * Decodes a batch payload; entries get LSN `lsn`. Each value's bytes are copied out of `payload`, unless
 * `replay`: recovery's replay keeps each value as a view of the payload (no copy, no allocation of its own)
 * and parses its JSON on its first read instead of now (src/doc/entry.ts `entryFromStored`), so a value
 * overwritten before anyone reads it is never parsed. The views keep the read windows they point into alive
 * until their entries are flushed or overwritten: at most the WAL above the checkpoint, about
 * `checkpointWalBytes` (docs/wal-format.md, Recovery).
 * @throws Error on a malformed payload (the caller names the file and offset in a CorruptionError); without
 *   `replay`, also on value text that is not JSON.
 */
export function decodeBatch(payload: Uint8Array, lsn: number, replay = false): Effect[] {
  return decodeEffects(new ByteReader(payload), lsn, replay);
}

/** {@link decodeBatch} from `r`'s position to its end. @throws as decodeBatch. */
function decodeEffects(r: ByteReader, lsn: number, replay: boolean): Effect[] {
  const batchBytes = r.remaining;
  const count = r.u32();
  // Bound: every effect takes at least ENTRY_BYTES_MIN bytes, so a corrupt count cannot make us loop or
  // allocate wildly.
  if (count * ENTRY_BYTES_MIN > r.remaining)
    throw new Error(`effect count ${count} too large for ${batchBytes} bytes`);
  const out: Effect[] = [];
  for (let i = 0; i < count; i++) {
    const [key, entry] = decodeEntry(r, lsn, replay, !replay);
    if (entry.version < 1) throw new Error(`version ${entry.version} < 1`);
    out.push({ key, entry });
  }
  if (r.remaining !== 0) throw new Error(`${r.remaining} trailing bytes after ${count} effects`);
  return out;
}
