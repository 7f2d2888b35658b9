/**
 * Hashes in the engine (src/types/hashes.ts): element-per-entry storage, Redis semantics, durability across
 * reopen and checkpoints, WRONGTYPE against documents, O(1) delete (a new generation), scans of user keys
 * never showing element subkeys.
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
});
