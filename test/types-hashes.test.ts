/**
 * Hashes in the engine (src/types/hashes.ts): element-per-entry storage, Redis semantics, durability across
 * reopen and checkpoints, WRONGTYPE against documents, O(1) delete (a new generation), scans of user keys
 * never showing element subkeys; HINCRBY/HINCRBYFLOAT with Redis's rules (errors change nothing);
 * HRANDFIELD's count rules, its determinism (the database's seed sequence) and uniform draws on small
 * hashes, bounded windows on large ones.
 */
import type { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { openMem } from "./helpers/open-mem.js";
import { TestDisk } from "./helpers/sim-disk.js";

const s = (b: Buffer | undefined) => b?.toString("utf8");

describe("hashes", () => {
  it("hset/hget/hlen/hdel/hgetall with element entries, durable across reopen", async () => {
    const fs = new TestDisk();
    let db = await openMem(fs);
    expect(await db.hashes.hset("h", { a: "1", b: "2" })).toBe(2);
    expect(
      await db.hashes.hset("h", [
        ["b", "3"],
        ["c", "4"],
      ]),
    ).toBe(1);
    expect(s(await db.hashes.hget("h", "b"))).toBe("3");
    expect(await db.hashes.hlen("h")).toBe(3);
    expect((await db.hashes.hgetall("h")).map(([f, v]) => `${f}=${v}`)).toEqual(["a=1", "b=3", "c=4"]);
    await db.checkpoint();
    expect(await db.hashes.hdel("h", ["a", "zz"])).toBe(1);
    await db.close();
    db = await openMem(fs);
    expect((await db.hashes.hgetall("h")).map(([f, v]) => `${f}=${v}`)).toEqual(["b=3", "c=4"]);
    expect(await db.hashes.hdel("h", ["b", "c"])).toBe(2);
    expect(await db.hashes.hlen("h")).toBe(0);
    expect(await db.hashes.hgetall("h")).toEqual([]);
    await db.close();
  });

  it("keeps types apart: WRONGTYPE both ways, scans show documents only, delete is O(1)", async () => {
    const db = await openMem(new TestDisk());
    await db.set("doc", { x: 1 });
    await expect(db.hashes.hset("doc", { a: "1" })).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    await db.hashes.hset("h", { a: "1" });
    await expect(db.get("h")).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    await expect(db.patch("h", { a: 1 })).rejects.toMatchObject({ code: "FUSEDB_WRONG_TYPE" });
    await db.set("\x00zero", 1);
    const scanned = await db.scan();
    expect(scanned.map((e) => e.key)).toEqual(["\x00zero", "doc"]);
    const before = db.stats().userBytes;
    await db.delete("h");
    expect(db.stats().userBytes - before).toBeLessThan(10);
    expect(await db.hashes.hlen("h")).toBe(0);
    await db.hashes.hset("h", { b: "2" });
    expect((await db.hashes.hgetall("h")).map(([f]) => s(f))).toEqual(["b"]);
    await db.close();
  });

  it("hscan returns every field once across pages", async () => {
    const db = await openMem(new TestDisk());
    const fields: Record<string, string> = {};
    for (let i = 0; i < 50; i++) fields[`f${i}`] = `${i}`;
    await db.hashes.hset("h", fields);
    const seen: string[] = [];
    let cursor = "0";
    do {
      const page = await db.hashes.hscan("h", cursor, { count: 7 });
      for (const [f] of page.items) seen.push(f.toString());
      cursor = page.cursor;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual(Object.keys(fields).sort());
    await db.close();
  });

  it("hincrby/hincrbyfloat with Redis's rules; an error changes nothing", async () => {
    const db = await openMem(new TestDisk());
    const h = db.hashes;
    expect(await h.hincrby("h", "n", 5)).toBe(5n);
    expect(await h.hincrby("h", "n", -10n)).toBe(-5n);
    expect(await h.hincrbyfloat("h", "f", "10.50")).toBe("10.5");
    expect(await h.hincrbyfloat("h", "f", 0.1)).toBe("10.6");
    await h.hset("h", { s: "abc", max: "9223372036854775807" });
    const before = await db.versionOf("h");
    await expect(h.hincrby("h", "s", 1)).rejects.toMatchObject({ reply: "ERR hash value is not an integer" });
    await expect(h.hincrby("h", "max", 1)).rejects.toMatchObject({ code: "FUSEDB_OVERFLOW" });
    await expect(h.hincrbyfloat("h", "s", 1)).rejects.toMatchObject({
      reply: "ERR hash value is not a float",
    });
    await expect(h.hincrbyfloat("h", "f", "inf")).rejects.toMatchObject({
      reply: "ERR value is NaN or Infinity",
    });
    // Arguments are checked before the call is made (thrown, as a bad key is).
    expect(() => h.hincrby("h", "n", 2 ** 60)).toThrow(
      expect.objectContaining({ code: "FUSEDB_NOT_INTEGER" }),
    );
    expect(await db.versionOf("h")).toBe(before);
    expect(s(await h.hget("h", "n"))).toBe("-5");
    expect(await h.hsetnx("h", "n", "x")).toBe(false);
    expect(await h.hsetnx("h", "new", "x")).toBe(true);
    await db.close();
  });

  it("hrandfield: counts, uniform draws on a small hash, the same draws for the same calls", async () => {
    const draw = async () => {
      const db = await openMem(new TestDisk());
      await db.hashes.hset("h", { a: "1", b: "2", c: "3", d: "4" });
      const out = [
        s(await db.hashes.hrandfield("h")),
        (await db.hashes.hrandfield("h", 2)).map(s),
        (await db.hashes.hrandfield("h", -6)).map(s),
      ];
      const counts = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const f = s(await db.hashes.hrandfield("h")) as string;
        counts.set(f, (counts.get(f) ?? 0) + 1);
      }
      expect(await db.hashes.hrandfield("none")).toBeUndefined();
      expect(await db.hashes.hrandfield("none", 3)).toEqual([]);
      expect(await db.hashes.hrandfield("h", 0)).toEqual([]);
      expect((await db.hashes.hrandfield("h", 10)).map(s).sort()).toEqual(["a", "b", "c", "d"]);
      const pairs = await db.hashes.hrandfieldWithValues("h", -3);
      for (const [f, v] of pairs) expect(s(await db.hashes.hget("h", f))).toBe(s(v));
      await db.close();
      return { out, counts };
    };
    const one = await draw();
    const two = await draw();
    expect(two.out).toEqual(one.out);
    const [single, distinct, repeated] = one.out as [string, string[], string[]];
    expect(["a", "b", "c", "d"]).toContain(single);
    expect(new Set(distinct).size).toBe(2);
    expect(repeated).toHaveLength(6);
    // 200 uniform draws of 4: each field about 50 times; below 20 has odds far under 1e-6.
    for (const f of ["a", "b", "c", "d"]) expect(one.counts.get(f) ?? 0).toBeGreaterThan(20);
  });

  it("hrandfield on a hash above the uniform bound reads a window and answers valid fields", async () => {
    const db = await openMem(new TestDisk());
    const fields: [string, string][] = [];
    for (let i = 0; i < 2500; i++) fields.push([`field:${i}`, `${i}`]);
    await db.hashes.hset("big", fields);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const got = (await db.hashes.hrandfield("big", 5)).map(s) as string[];
      expect(new Set(got).size).toBe(5);
      for (const f of got) {
        expect(f).toMatch(/^field:\d+$/);
        seen.add(f);
      }
    }
    expect(seen.size).toBeGreaterThan(50);
    expect(await db.hashes.hrandfield("big", -1500)).toHaveLength(1500);
    expect(await db.hashes.hrandfield("big", 2000)).toHaveLength(2000);
    await expect(db.hashes.hrandfield("big", -2_000_000)).rejects.toMatchObject({
      code: "FUSEDB_OUT_OF_RANGE",
    });
    await db.close();
  });
});
