/**
 * Invariants (issue 12 item 2, values captured late): a call's value and options are fixed when the call is
 * made, even when the call waits in the prepare queue (behind a write that must read its key from a
 * segment first):
 * - changing the caller's document, patch, options or batch array after the call changes nothing stored;
 * - a cycle or a BigInt added after the call does not matter (no untyped TypeError);
 * - a `ttlMs` or `ifVersion` changed after the call does not matter;
 * - what is stored is what was checked: a document is read exactly once (a getter that would answer with a
 *   document past the depth limit on a second read is never read again), so the limits hold for it.
 * Deterministic: the simulated disk without latency, and a clock that does not move.
 */
import { describe, expect, it } from "vitest";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import type { FuseDB } from "../src/db.js";
import { FuseDB as FuseDBClass } from "../src/db.js";
import type { Mutation } from "../src/doc/entry.js";
import type { Json } from "../src/doc/json.js";
import { JSON_DEPTH_MAX } from "../src/doc/json.js";

/**
 * A database whose key "cold" lives only in a segment (written, checkpointed, reopened with a cold cache):
 * a write to it reads the segment first, so calls made right after it wait in the prepare queue.
 */
async function openWithColdKey(): Promise<FuseDB> {
  const fs = new SimFileSystem({ latency: false });
  const clock = new SimClock();
  const first = await FuseDBClass.open({ dir: "/db", fs, clock });
  await first.set("cold", 0);
  await first.checkpoint();
  await first.close();
  return FuseDBClass.open({ dir: "/db", fs, clock });
}

/** A document nested `depth` arrays deep around `inner`. */
function nested(depth: number, inner: Json = 0): Json {
  let v: Json = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("a call's value and options are fixed when the call is made", () => {
  it("set: changing the document after the call changes nothing stored", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const doc = { v: 1, list: [1, 2] as Json[] };
    const call = db.set("k", doc);
    doc.v = 2;
    doc.list.push(3);
    await Promise.all([queued, call]);
    expect(await db.get("k")).toEqual({ value: { v: 1, list: [1, 2] }, version: 1 });
    await db.close();
  });

  it("set: a cycle or a BigInt added after the call does not matter", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const cyclic: Record<string, unknown> = { v: 1 };
    const big: Record<string, unknown> = { v: 2 };
    const calls = [db.set("a", cyclic as Json), db.set("b", big as Json)];
    cyclic.self = cyclic;
    big.n = 10n;
    await Promise.all([queued, ...calls]);
    expect(await db.get("a")).toEqual({ value: { v: 1 }, version: 1 });
    expect(await db.get("b")).toEqual({ value: { v: 2 }, version: 1 });
    await db.close();
  });

  it("set: a document nested past the limit after the call is stored as it was at the call", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const doc: { deep: Json } = { deep: 0 };
    const call = db.set("k", doc);
    doc.deep = nested(JSON_DEPTH_MAX + 10);
    await Promise.all([queued, call]);
    expect(await db.get("k")).toEqual({ value: { deep: 0 }, version: 1 });
    await db.close();
  });

  it("set: a document's getters are read exactly once, and what that read returned is stored", async () => {
    const db = await openWithColdKey();
    let reads = 0;
    const doc = {};
    Object.defineProperty(doc, "deep", {
      enumerable: true,
      // A second read would return a document past the depth limit: it must never happen.
      get: () => (++reads === 1 ? 0 : nested(JSON_DEPTH_MAX + 10)),
    });
    await db.set("k", doc as Json);
    expect(reads).toBe(1);
    expect(await db.get("k")).toEqual({ value: { deep: 0 }, version: 1 });
    await db.close();
  });

  it("set: ttlMs and ifVersion changed in the options object after the call do not matter", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const options = { ttlMs: 60_000, ifVersion: 0 };
    const call = db.set("k", "v", options);
    options.ttlMs = -60_000;
    options.ifVersion = 7;
    await Promise.all([queued, call]);
    const got = await db.get("k");
    expect(got?.value).toBe("v");
    expect(got?.expiresAtMs).toBe(new SimClock().now() + 60_000);
    await db.close();
  });

  it("patch: changing the patch after the call changes nothing stored", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const patch = { a: { b: 1 } };
    const call = db.patch("k", patch);
    patch.a.b = 2;
    (patch as Record<string, unknown>).c = 10n;
    await Promise.all([queued, call]);
    expect(await db.get("k")).toEqual({ value: { a: { b: 1 } }, version: 1 });
    await db.close();
  });

  it("batch: changing the mutations or the array after the call changes nothing", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const set = { op: "set" as const, key: "s", value: { n: 1 } as Json };
    const incr = { op: "incr" as const, key: "c", delta: 5 };
    const mutations: Mutation[] = [set, incr];
    const call = db.batch(mutations);
    set.value = { n: 2 };
    incr.delta = 1000;
    (incr as { key: string }).key = "other";
    mutations.push({ op: "delete", key: "cold" });
    await Promise.all([queued, call]);
    expect((await call).results).toHaveLength(2);
    expect(await db.get("s")).toEqual({ value: { n: 1 }, version: 1 });
    expect(await db.get("c")).toEqual({ value: 5, version: 1 });
    expect(await db.get("other")).toBeUndefined();
    expect(await db.get("cold")).toEqual({ value: 1, version: 2 });
    await db.close();
  });

  it("batch: a ttlMs changed after the call does not store an already-expired document", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const set = { op: "set" as const, key: "s", value: "v", ttlMs: 60_000 };
    const call = db.batch([set]);
    set.ttlMs = -60_000;
    await Promise.all([queued, call]);
    expect(await db.get("s")).toEqual({ value: "v", version: 1, expiresAtMs: new SimClock().now() + 60_000 });
    await db.close();
  });

  it("batch: an ifVersion changed after the call does not matter", async () => {
    const db = await openWithColdKey();
    const queued = db.set("cold", 1);
    const set = { op: "set" as const, key: "s", value: "v", ifVersion: 0 };
    const call = db.batch([set]);
    set.ifVersion = 9;
    await Promise.all([queued, call]);
    expect(await db.get("s")).toEqual({ value: "v", version: 1 });
    await db.close();
  });
});
