/**
 * Hash commands over RESP (src/server/commands/hash-commands.ts): Redis's replies, WRONGTYPE against a JSON
 * document, an emptied hash no longer existing.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

describe("hash commands", () => {
  it("HSET/HGET/HLEN/HGETALL/HDEL with Redis's replies", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "HSET", "h", "a", "1", "b", "2")).toBe(2);
    expect(await call(c, "HSET", "h", "b", "3")).toBe(0);
    expect(await call(c, "HGET", "h", "b")).toBe("3");
    expect(await call(c, "HGET", "h", "zz")).toBe(null);
    expect(await call(c, "HLEN", "h")).toBe(2);
    expect(await call(c, "HGETALL", "h")).toEqual(["a", "1", "b", "3"]);
    expect(errorOf(await call(c, "HSET", "h", "a"))).toBe("ERR wrong number of arguments for 'hset' command");
    await call(c, "JSON.SET", "doc", "$", "1");
    expect(errorOf(await call(c, "HSET", "doc", "a", "1"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(await call(c, "HDEL", "h", "a", "b", "c")).toBe(2);
    expect(await call(c, "HLEN", "h")).toBe(0);
    expect(await call(c, "HGETALL", "h")).toEqual([]);
  });
});
