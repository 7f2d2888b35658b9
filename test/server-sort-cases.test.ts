/**
 * SORT and SORT_RO over RESP (src/server/commands/sort-command.ts, src/types/sort.ts). Invariants, as
 * Redis 7.0 answers them:
 * - numeric order by default (ties broken bytewise), ALPHA bytewise, DESC reverses, LIMIT cuts;
 * - BY a pattern reads weights from strings or hash fields (missing: 0); BY without `*` keeps the source's
 *   own order (DESC reversing a list's); GET # and GET patterns replace elements (null when absent);
 * - STORE replaces the destination with a list and replies its length (an empty result deletes it);
 * - errors: a non-number in a numeric sort, a source of another type, unknown options, STORE in SORT_RO.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { memServer } from "./helpers/resp-server.js";

describe("SORT", () => {
  it("orders numerically or bytewise, with DESC and LIMIT", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "RPUSH", "l", "10", "2", "-1.5", "2.0", "1e1");
    expect(await call(c, "SORT", "l")).toEqual(["-1.5", "2", "2.0", "10", "1e1"]);
    expect(await call(c, "SORT", "l", "DESC", "LIMIT", "1", "2")).toEqual(["10", "2.0"]);
    expect(await call(c, "SORT", "l", "ALPHA")).toEqual(["-1.5", "10", "1e1", "2", "2.0"]);
    expect(await call(c, "SORT", "l", "LIMIT", "-5", "-1")).toHaveLength(5);
    await call(c, "SADD", "s", "b", "a", "c");
    expect(await call(c, "SORT", "s", "ALPHA", "DESC")).toEqual(["c", "b", "a"]);
    await call(c, "ZADD", "z", "3", "x", "1", "y", "2", "w");
    expect(await call(c, "SORT", "z", "BY", "nosort", "DESC")).toEqual(["x", "w", "y"]);
    expect(await call(c, "SORT", "missing")).toEqual([]);
    expect(errorOf(await call(c, "SORT", "s"))).toBe("ERR One or more scores can't be converted into double");
  });

  it("BY and GET patterns over strings and hash fields; BY nosort keeps the list's order", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "RPUSH", "ids", "1", "2", "3");
    await call(c, "MSET", "w_1", "30", "w_2", "10", "name_1", "one", "name_3", "three");
    await call(c, "HSET", "h_1", "age", "5");
    await call(c, "HSET", "h_2", "age", "50");
    await call(c, "HSET", "h_3", "age", "7");
    expect(await call(c, "SORT", "ids", "BY", "w_*")).toEqual(["3", "2", "1"]);
    expect(await call(c, "SORT", "ids", "BY", "h_*->age", "GET", "#", "GET", "name_*")).toEqual([
      "1",
      "one",
      "3",
      "three",
      "2",
      null,
    ]);
    expect(await call(c, "SORT", "ids", "BY", "nosort", "DESC")).toEqual(["3", "2", "1"]);
    expect(await call(c, "SORT", "ids", "BY", "nosort", "GET", "fixed")).toEqual([null, null, null]);
  });

  it("STORE replaces the destination with a list; an empty result deletes it", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "RPUSH", "src", "hello", "hola", "aguacate");
    await call(c, "SET", "dst", "old");
    expect(await call(c, "SORT", "src", "ALPHA", "STORE", "dst")).toBe(3);
    expect(await call(c, "LRANGE", "dst", "0", "-1")).toEqual(["aguacate", "hello", "hola"]);
    expect(await call(c, "SORT", "src", "GET", "nothing_*", "ALPHA", "STORE", "dst")).toBe(3);
    expect(await call(c, "LRANGE", "dst", "0", "-1")).toEqual(["", "", ""]);
    expect(await call(c, "SORT", "missing", "STORE", "dst")).toBe(0);
    expect(await call(c, "EXISTS", "dst")).toBe(0);
  });

  it("errors: wrong type, syntax, STORE in SORT_RO", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "SET", "str", "x");
    expect(errorOf(await call(c, "SORT", "str"))).toBe(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    expect(errorOf(await call(c, "SORT", "l", "LIMIT", "1"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "SORT", "l", "FOO"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "SORT_RO", "l", "STORE", "d"))).toBe("ERR syntax error");
    await call(c, "RPUSH", "l", "b", "a");
    expect(await call(c, "SORT_RO", "l", "ALPHA")).toEqual(["a", "b"]);
  });
});
