/**
 * A recovered collection's content, read back through the library's public reads (HGETALL, SMEMBERS) for
 * the recovery check (sim/engine-under-test.ts `dumpState`), as the model holds it: a hash as an object,
 * a set as its sorted members, with the key's type. The metadata's element count must equal what the reads
 * find: a dead element that came back or a live one that vanished shows here or in the content.
 */
import type { FuseDB } from "../src/db.js";
import type { ModelJson, ModelState } from "./model.js";

/** What `key` holds now: "json", a data type, or undefined if it is not live. */
function typeOf(db: FuseDB, key: string): Promise<string | undefined> {
  const k = db.types.key(key);
  return db.types.read((tx) => tx.typeOf(k));
}

/** The content of `key`'s collection as read, and how many elements it has. @throws Error for a type not modelled. */
async function contentOf(db: FuseDB, key: string, type: string): Promise<{ value: ModelJson; n: number }> {
  if (type === "hash") {
    const pairs = await db.hashes.hgetall(key);
    return {
      value: Object.fromEntries(pairs.map(([f, v]) => [f.toString("latin1"), v.toString("latin1")])),
      n: pairs.length,
    };
  }
  if (type === "set") {
    const members = (await db.sets.smembers(key)).map((m) => m.toString("latin1"));
    return { value: members, n: members.length };
  }
  throw new Error(`dumpState: ${key} holds a ${type}, which the simulator does not model yet`);
}

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
  const meta = state.value as { n?: unknown; g?: unknown };
  if (state.expiresAtMs !== undefined && typeof meta?.n === "number" && typeof meta.g === "number") {
    return { ...state, unread: true };
  }
  const type = await typeOf(db, key);
  if (type === "json") return state;
  if (type === undefined) return { version: await db.versionOf(key), value: undefined };
  const { value, n } = await contentOf(db, key, type);
  if (n === 0 && (await typeOf(db, key)) === undefined) {
    return { version: await db.versionOf(key), value: undefined };
  }
  if (n !== meta.n)
    throw new Error(`${key}: the ${type}'s metadata counts ${meta.n} elements, reads found ${n}`);
  return { ...state, value, type: type as ModelState["type"] };
}

/**
 * Whether `got`, a collection the dump left unread (see {@link withContent}: its value is the metadata),
 * agrees with the model's `expected` state: a collection of as many elements, same version and expiry.
 */
export function unreadMatches(got: ModelState, expected: ModelState): boolean {
  if (expected.type === undefined || expected.value === undefined) return false;
  const content = expected.value as unknown[] | Record<string, unknown>;
  const n = Array.isArray(content) ? content.length : Object.keys(content).length;
  return (
    (got.value as { n: number }).n === n &&
    got.version === expected.version &&
    got.expiresAtMs === expected.expiresAtMs
  );
}
