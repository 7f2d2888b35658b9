/**
 * A recovered collection's content, read back through the library's public reads (GET, HGETALL, LRANGE,
 * SMEMBERS, ZRANGE) for the recovery check (sim/engine-under-test.ts `dumpState`), as the model holds it
 * (sim/typed-spec.ts `contentOf`): a string as its text, a hash as an object, a list in order, a set as its
 * sorted members, a sorted set as [member, score] entries in order, with the key's type. The metadata's element count must equal what the reads
 * find: a dead element that came back or a live one that vanished shows here or in the content.
 */
import { Buffer } from "node:buffer";
import type { FuseDB } from "../src/db.js";
import { canonical, type ModelJson, type ModelState } from "./model.js";
import { scoreOut } from "./typed-spec.js";

/** What `key` holds now: "json", a data type, or undefined if it is not live. */
function typeOf(db: FuseDB, key: string): Promise<string | undefined> {
  const k = db.types.key(key);
  return db.types.read((tx) => tx.typeOf(k));
}

/**
 * The content of `key`'s collection or string as read, and how many elements it has (a string: its length).
 * @throws Error for a type not modelled.
 */
async function contentOf(db: FuseDB, key: string, type: string): Promise<{ value: ModelJson; n: number }> {
  switch (type) {
    case "string": {
      const v = await db.strings.get(key);
      return { value: v === undefined ? null : latin1(v), n: v?.length ?? 0 };
    }
    case "hash": {
      const pairs = await db.hashes.hgetall(key);
      return { value: Object.fromEntries(pairs.map(([f, v]) => [latin1(f), latin1(v)])), n: pairs.length };
    }
    case "list": {
      const items = (await db.lists.lrange(key, 0, -1)).map(latin1);
      return { value: items, n: items.length };
    }
    case "set": {
      const members = (await db.sets.smembers(key)).map(latin1);
      return { value: members, n: members.length };
    }
    case "zset": {
      const entries = await db.zsets.zrange(key, 0, -1);
      return { value: entries.map(([m, score]) => [latin1(m), scoreOut(score)]), n: entries.length };
    }
  }
  throw new Error(`dumpState: ${key} holds a ${type}, which the simulator does not model`);
}

const latin1 = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/**
 * `state` (a live key as `inspect` read it: a collection's value is its metadata) with a collection's
 * content and type; a document's state as it is. A collection that expired since `inspect` read it is
 * dead: its version is read again.
 * @throws Error when the metadata's element count disagrees with the elements read.
 */
export async function withContent(db: FuseDB, key: string, state: ModelState): Promise<ModelState> {
  // A key with an expiry is not read through the data-type API: a read of a key that expired after the
  // durable clock floor makes the engine write a floor first (src/types/runner.ts), and the two recoveries
  // of one image (read at different times) would then leave different files. Its metadata is checked.
  // A string's metadata is its value: one with an expiry (or a document's string: `inspect` cannot tell
  // them apart) is left unread too, and compared as a string of either kind.
  const meta = state.value as { n?: unknown; g?: unknown };
  const collection = typeof meta?.n === "number" && typeof meta.g === "number";
  if (state.expiresAtMs !== undefined && (collection || typeof state.value === "string")) {
    return { ...state, unread: true };
  }
  const type = await typeOf(db, key);
  if (type === "json") return state;
  if (type === undefined) return { version: await db.versionOf(key), value: undefined };
  const { value, n } = await contentOf(db, key, type);
  if (type === "string") {
    if (value !== state.value)
      throw new Error(`${key}: inspect says ${canonical(state.value)}, GET ${canonical(value)}`);
    return { ...state, type: "string" };
  }
  if (n === 0 && (await typeOf(db, key)) === undefined) {
    return { version: await db.versionOf(key), value: undefined };
  }
  if (n !== meta.n)
    throw new Error(`${key}: the ${type}'s metadata counts ${meta.n} elements, reads found ${n}`);
  return { ...state, value, type: type as ModelState["type"] };
}

/**
 * Whether `got`, a key the dump left unread (see {@link withContent}: its value is the metadata, or a
 * string), agrees with the model's `expected` state: same version and expiry, and a collection of as many
 * elements, or a string (of either kind) of the same text.
 */
export function unreadMatches(got: ModelState, expected: ModelState): boolean {
  if (expected.value === undefined || got.version !== expected.version) return false;
  if (got.expiresAtMs !== expected.expiresAtMs) return false;
  // A string left unread: a document's string or a Redis string, with the same text.
  if (typeof got.value === "string") {
    return (expected.type === undefined || expected.type === "string") && expected.value === got.value;
  }
  if (expected.type === undefined || expected.type === "string") return false;
  const content = expected.value as unknown[] | Record<string, unknown>;
  const n = Array.isArray(content) ? content.length : Object.keys(content).length;
  return (got.value as { n: number }).n === n;
}
