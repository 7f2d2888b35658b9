/**
 * Data-type calls in the reference model (issue 14): a call of sim/typed-ops.ts runs on a Redis reference
 * keyspace (sim/redis-model/) loaded with the states of the keys it names at the model's last position, and
 * the keys it wrote become new states of sim/model.ts, versioned by the engine's rule restated (each write
 * of a key is a new version: a live key's + 1, a dead one's past its bucket's floor; a store onto a live key
 * is a delete and a creation, two versions). A JSON document is opaque to the Redis model: a value of type
 * "json" that every data-type command answers with WRONGTYPE, and that a store may replace.
 */
import { Buffer } from "node:buffer";
import type { CallOutcome, ModelJson, ModelState } from "./model.js";
import { liveAt, type ReferenceModel } from "./model.js";
import { RedisModelError, type RedisValue } from "./redis-model/index.js";
import { RedisKeyspace, type TypedCall, typedSpec } from "./typed-ops.js";
import { contentOf, type OpaqueDocument, refusalOf, scoreIn } from "./typed-spec.js";

/** The Redis model's value for a live state (a document as an opaque value carrying it: sim/typed-spec.ts). */
function redisValueOf(s: ModelState): RedisValue {
  switch (s.type) {
    case "string":
      return { type: "string", bytes: Buffer.from(s.value as string, "latin1") };
    case "hash":
      return { type: "hash", fields: new Map(Object.entries(s.value as Record<string, string>)) };
    case "list":
      return { type: "list", items: [...(s.value as string[])] };
    case "set":
      return { type: "set", members: new Set(s.value as string[]) };
    case "zset":
      return {
        type: "zset",
        scores: new Map((s.value as [string, ModelJson][]).map(([m, v]) => [m, scoreIn(v)])),
      };
    case undefined: {
      // Opaque: not one of the Redis types, so every data-type command on it is WRONGTYPE.
      const doc: OpaqueDocument = { type: "json", doc: s.value as ModelJson };
      return doc as unknown as RedisValue;
    }
  }
}

/** The Redis keyspace of `keys` as the model holds them after its last position, at `nowMs`. */
export function keyspaceOf(
  model: ReferenceModel,
  keys: readonly string[],
  pos: number,
  nowMs: number,
): RedisKeyspace {
  const ks = new RedisKeyspace();
  for (const key of new Set(keys)) {
    const s = model.stateAt(key, pos);
    if (!liveAt(s, nowMs)) continue;
    ks.putEntry(
      key,
      s.expiresAtMs === undefined
        ? { value: redisValueOf(s) }
        : { value: redisValueOf(s), expiresAtMs: s.expiresAtMs },
    );
  }
  return ks;
}

/**
 * Resolves `call` made at virtual time `nowMs` as the model's next call: rejected whole (the Redis model's
 * error code), answered without a change (`noop`), or committed as the next position. `replay`: the
 * engine's answer to a random choice (SPOP), which the model takes after checking it could be one.
 */
export function resolveTyped(
  model: ReferenceModel,
  call: TypedCall,
  nowMs: number,
  replay?: ModelJson,
): CallOutcome {
  const spec = typedSpec(call.cmd);
  const ks = keyspaceOf(model, call.keys, model.lastPos, nowMs);
  let effect: ReturnType<typeof spec.model>;
  try {
    effect = spec.model(ks, call, nowMs, replay);
  } catch (err) {
    if (!(err instanceof RedisModelError)) throw err;
    return { ok: false, code: refusalOf(err) ?? "FUSEDB_WRONG_TYPE" };
  }
  if (effect.writes.length === 0) {
    return { ok: true, pos: model.lastPos, results: [], changes: [], answer: effect.answer, noop: true };
  }
  const states = new Map<string, ModelState>();
  for (const w of effect.writes) {
    const cur = states.get(w.key) ?? model.stateAt(w.key, model.lastPos);
    const version = model.nextVersion(cur, w.key, nowMs);
    const e = w.del ? undefined : ks.entry(w.key, nowMs);
    if (e === undefined) {
      states.set(w.key, { version, value: undefined });
      continue;
    }
    const next: ModelState = { version, ...contentOf(e.value as RedisValue | OpaqueDocument) };
    if (e.expiresAtMs !== undefined) next.expiresAtMs = e.expiresAtMs;
    states.set(w.key, next);
  }
  const pos = model.commitStates(states);
  return { ok: true, pos, results: [], changes: [...model.changesAt(pos)], answer: effect.answer };
}

/**
 * What a read `call` answers at position `pos` and time `nowMs`: its answer, or its error code. Never
 * changes the model.
 */
export function readAt(
  model: ReferenceModel,
  call: TypedCall,
  pos: number,
  nowMs: number,
): { answer: ModelJson } | { code: string } {
  const ks = keyspaceOf(model, call.keys, pos, nowMs);
  try {
    return { answer: typedSpec(call.cmd).model(ks, call, nowMs).answer };
  } catch (err) {
    if (!(err instanceof RedisModelError)) throw err;
    return { code: refusalOf(err) ?? err.code };
  }
}
