/**
 * OBJECT over the in-memory network (Redis 7.0's replies, as unit keyspace's COPY tests read them):
 * - REFCOUNT answers nil for a missing key and 1 for a live key of every type, a COPY's source and
 *   destination included (values are never shared between keys);
 * - HELP lists the subcommands; ENCODING (no internal encodings here) gets the unknown-subcommand error.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

describe("OBJECT", () => {
  it("REFCOUNT: nil for a missing key, 1 for every live key, after COPY too", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "OBJECT", "REFCOUNT", "nokey")).toBe(null);
    await call(c, "SET", "s", "1");
    await call(c, "RPUSH", "l", "a", "b");
    await call(c, "SADD", "set", "1", "2");
    await call(c, "ZADD", "z", "1", "m");
    await call(c, "HSET", "h", "f", "v");
    for (const k of ["s", "l", "set", "z", "h"]) {
      expect(await call(c, "COPY", k, `${k}-copy`)).toBe(1);
      expect(await call(c, "OBJECT", "REFCOUNT", k)).toBe(1);
      expect(await call(c, "OBJECT", "REFCOUNT", `${k}-copy`)).toBe(1);
    }
    await call(c, "DEL", "l");
    expect(await call(c, "OBJECT", "REFCOUNT", "l")).toBe(null);
    expect(errorOf(await call(c, "OBJECT", "REFCOUNT"))).toBe(
      "ERR wrong number of arguments for 'object|refcount' command",
    );
  });

  it("HELP lists the subcommands; ENCODING is not one", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const help = (await call(c, "OBJECT", "HELP")) as string[];
    expect(help[0]).toMatch(/^OBJECT <subcommand>/);
    expect(help).toContain("REFCOUNT");
    await call(c, "SET", "s", "1");
    expect(errorOf(await call(c, "OBJECT", "ENCODING", "s"))).toBe(
      "ERR unknown subcommand 'ENCODING'. Try OBJECT HELP.",
    );
  });
});
