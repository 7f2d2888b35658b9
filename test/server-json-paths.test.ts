/**
 * The RedisJSON commands at paths over RESP, reply by reply:
 * - every example of RedisJSON 2.8's command reference (docs/commands/json.*.md: SET, GET, DEL, MGET,
 *   MERGE, NUMINCRBY, NUMMULTBY, ARRAPPEND, ARRLEN, OBJKEYS, OBJLEN, STRLEN, TYPE, TOGGLE) answers exactly
 *   as printed there (JSON.GET with several paths: same members; RedisJSON's member order is a HashMap's);
 * - legacy paths answer one value, and RedisJSON 2.8's errors where no match has the right type;
 * - missing keys: RedisJSON 2.8's error or nil per command; JSON.MERGE below the root (add, nil, errors);
 * - JSON.SET at a path: NX/XX, adding a member, nil where nothing can be added, the array index and
 *   static-path errors; a new key only at the root;
 * - MemFlux's `key.path` form for SET (creating members), GET (nil when missing) and DEL; a key holding a
 *   dot is reached with an explicit path;
 * - WRONGTYPE on keys of other data types (JSON.MGET answers nil for them);
 * - each path write is one WAL record, keeps the TTL, and an error changes nothing (version unchanged);
 * - concurrent path increments from two clients all apply (the read-decide-write retries on conflict);
 * - RESP3 shapes of JSON.TYPE and JSON.NUMINCRBY.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./helpers/mem-call.js";
import { ManualClock, memServer } from "./helpers/resp-server.js";

describe("RedisJSON command reference examples", () => {
  it("JSON.SET, JSON.GET, JSON.DEL, JSON.MGET", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "JSON.SET", "doc", "$", '{"a":2}')).toBe("OK");
    expect(await call(c, "JSON.SET", "doc", "$.a", "3")).toBe("OK");
    expect(await call(c, "JSON.GET", "doc", "$")).toBe('[{"a":3}]');
    expect(await call(c, "JSON.SET", "doc", "$", '{"a":2}')).toBe("OK");
    expect(await call(c, "JSON.SET", "doc", "$.b", "8")).toBe("OK");
    expect(await call(c, "JSON.GET", "doc", "$")).toBe('[{"a":2,"b":8}]');
    expect(await call(c, "JSON.SET", "doc", "$", '{"f1": {"a":1}, "f2":{"a":2}}')).toBe("OK");
    expect(await call(c, "JSON.SET", "doc", "$..a", "3")).toBe("OK");
    expect(await call(c, "JSON.GET", "doc")).toBe('{"f1":{"a":3},"f2":{"a":3}}');

    expect(await call(c, "JSON.SET", "doc", "$", '{"a":2, "b": 3, "nested": {"a": 4, "b": null}}')).toBe(
      "OK",
    );
    expect(await call(c, "JSON.GET", "doc", "$..b")).toBe("[3,null]");
    const both = (await call(c, "JSON.GET", "doc", "..a", "$..b")) as string;
    expect(JSON.parse(both)).toEqual(JSON.parse('{"$..b":[3,null],"..a":[2,4]}'));

    expect(await call(c, "JSON.SET", "doc", "$", '{"a": 1, "nested": {"a": 2, "b": 3}}')).toBe("OK");
    expect(await call(c, "JSON.DEL", "doc", "$..a")).toBe(2);
    expect(await call(c, "JSON.GET", "doc", "$")).toBe('[{"nested":{"b":3}}]');

    await call(c, "JSON.SET", "doc1", "$", '{"a":1, "b": 2, "nested": {"a": 3}, "c": null}');
    await call(c, "JSON.SET", "doc2", "$", '{"a":4, "b": 5, "nested": {"a": 6}, "c": null}');
    expect(await call(c, "JSON.MGET", "doc1", "doc2", "$..a")).toEqual(["[1,3]", "[4,6]"]);
  });

  it("JSON.MERGE: create, update, delete, replace an array", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const steps: [string, string, string][] = [
      ['{"a":2}', "$.b", "8"],
      ['{"a":2}', "$.a", "3"],
      ['{"a":2}', "$", '{"a":null}'],
      ['{"a":[2,4,6,8]}', "$.a", "[10,12]"],
    ];
    const after = ['[{"a":2,"b":8}]', '[{"a":3}]', "[{}]", '[{"a":[10,12]}]'];
    for (const [i, [doc, path, patch]] of steps.entries()) {
      expect(await call(c, "JSON.SET", "doc", "$", doc)).toBe("OK");
      expect(await call(c, "JSON.MERGE", "doc", path, patch)).toBe("OK");
      expect(await call(c, "JSON.GET", "doc", "$")).toBe(after[i]);
    }
    expect(await call(c, "JSON.SET", "doc", "$", '{"f1": {"a":1}, "f2":{"a":2}}')).toBe("OK");
    expect(await call(c, "JSON.GET", "doc")).toBe('{"f1":{"a":1},"f2":{"a":2}}');
    expect(await call(c, "JSON.MERGE", "doc", "$", '{"f1": null, "f2":{"a":3, "b":4}, "f3":[2,4,6]}')).toBe(
      "OK",
    );
    expect(await call(c, "JSON.GET", "doc")).toBe('{"f2":{"a":3,"b":4},"f3":[2,4,6]}');
  });

  it("JSON.NUMINCRBY, JSON.NUMMULTBY, JSON.TOGGLE", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const doc = '{"a":"b","b":[{"a":2}, {"a":5}, {"a":"c"}]}';
    expect(await call(c, "JSON.SET", "doc", ".", doc)).toBe("OK");
    expect(await call(c, "JSON.NUMINCRBY", "doc", "$.a", "2")).toBe("[null]");
    expect(await call(c, "JSON.NUMINCRBY", "doc", "$..a", "2")).toBe("[null,4,7,null]");
    expect(await call(c, "JSON.SET", "doc", ".", doc)).toBe("OK");
    expect(await call(c, "JSON.NUMMULTBY", "doc", "$.a", "2")).toBe("[null]");
    expect(await call(c, "JSON.NUMMULTBY", "doc", "$..a", "2")).toBe("[null,4,10,null]");
    expect(await call(c, "JSON.SET", "doc", "$", '{"bool": true}')).toBe("OK");
    expect(await call(c, "JSON.TOGGLE", "doc", "$.bool")).toEqual([0]);
    expect(await call(c, "JSON.GET", "doc", "$")).toBe('[{"bool":false}]');
    expect(await call(c, "JSON.TOGGLE", "doc", "$.bool")).toEqual([1]);
    expect(await call(c, "JSON.GET", "doc", "$")).toBe('[{"bool":true}]');
  });

  it("JSON.ARRAPPEND, JSON.ARRLEN", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const item1 =
      '{"name":"Noise-cancelling Bluetooth headphones","description":"Wireless Bluetooth headphones with noise-cancelling technology","connection":{"wireless":true,"type":"Bluetooth"},"price":99.98,"stock":25,"colors":["black","silver"]}';
    expect(await call(c, "JSON.SET", "item:1", "$", item1)).toBe("OK");
    expect(await call(c, "JSON.ARRAPPEND", "item:1", "$.colors", '"blue"')).toEqual([3]);
    expect(await call(c, "JSON.GET", "item:1")).toBe(item1.replace('"silver"]', '"silver","blue"]'));
    const item2 =
      '{"name":"Wireless earbuds","description":"Wireless Bluetooth in-ear headphones","connection":{"wireless":true,"type":"Bluetooth"},"price":64.99,"stock":17,"colors":["black","white"], "max_level":[80, 100, 120]}';
    expect(await call(c, "JSON.SET", "item:2", "$", item2)).toBe("OK");
    expect(await call(c, "JSON.ARRLEN", "item:2", "$.[*]")).toEqual([null, null, null, null, null, 2, 3]);
    expect(await call(c, "JSON.ARRLEN", "item:2", "$..max_level")).toEqual([3]);
    expect(await call(c, "JSON.GET", "item:2", "$..max_level")).toBe("[[80,100,120]]");
  });

  it("JSON.OBJKEYS, JSON.OBJLEN, JSON.STRLEN, JSON.TYPE", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "JSON.SET", "doc", "$", '{"a":[3], "nested": {"a": {"b":2, "c": 1}}}')).toBe("OK");
    expect(await call(c, "JSON.OBJKEYS", "doc", "$..a")).toEqual([null, ["b", "c"]]);
    expect(await call(c, "JSON.OBJLEN", "doc", "$..a")).toEqual([null, 2]);
    await call(c, "JSON.SET", "doc", "$", '{"a":"foo", "nested": {"a": "hello"}, "nested2": {"a": 31}}');
    expect(await call(c, "JSON.STRLEN", "doc", "$..a")).toEqual([3, 5, null]);
    expect(await call(c, "JSON.SET", "doc", "$", '{"a":2, "nested": {"a": true}, "foo": "bar"}')).toBe("OK");
    expect(await call(c, "JSON.TYPE", "doc", "$..foo")).toEqual(["string"]);
    expect(await call(c, "JSON.TYPE", "doc", "$..a")).toEqual(["integer", "boolean"]);
    expect(await call(c, "JSON.TYPE", "doc", "$..dummy")).toEqual([]);
  });
});

describe("legacy paths", () => {
  it("answer one value, and RedisJSON 2.8's errors", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "JSON.SET", "d", ".", '{"a":{"b":[1,2],"s":"héllo","t":true},"n":1.5}');
    expect(await call(c, "JSON.GET", "d", ".a.b")).toBe("[1,2]");
    expect(await call(c, "JSON.GET", "d", "a.b[-1]")).toBe("2");
    expect(await call(c, "JSON.GET", "d", ".a.b", "n")).toBe('{".a.b":[1,2],"n":1.5}');
    expect(errorOf(await call(c, "JSON.GET", "d", ".nope"))).toBe("ERR Path does not exist");
    expect(errorOf(await call(c, "JSON.GET", "d", ".a", ".nope"))).toBe("ERR Path does not exist");
    expect(await call(c, "JSON.MGET", "d", "nokey", ".a.t")).toEqual(["true", null]);
    expect(await call(c, "JSON.MGET", "d", ".nope")).toEqual([null]);
    expect(await call(c, "JSON.TYPE", "d", ".a.b")).toBe("array");
    expect(await call(c, "JSON.TYPE", "d", ".nope")).toBe(null);
    expect(await call(c, "JSON.ARRLEN", "d", ".a.b")).toBe(2);
    expect(await call(c, "JSON.ARRLEN", "nokey", ".a.b")).toBe(null);
    expect(errorOf(await call(c, "JSON.ARRLEN", "d", ".nope"))).toBe("ERR Path does not exist");
    expect(errorOf(await call(c, "JSON.ARRLEN", "d", ".n"))).toBe("ERR Path does not exist or not an array");
    expect(errorOf(await call(c, "JSON.ARRLEN", "nokey", "$"))).toBe(
      "ERR could not perform this operation on a key that doesn't exist",
    );
    expect(await call(c, "JSON.OBJKEYS", "d")).toEqual(["a", "n"]);
    expect(await call(c, "JSON.OBJKEYS", "d", ".nope")).toBe(null);
    expect(errorOf(await call(c, "JSON.OBJKEYS", "d", ".n"))).toBe(
      "ERR Path does not exist or not an object",
    );
    expect(await call(c, "JSON.OBJLEN", "d", ".a")).toBe(3);
    expect(errorOf(await call(c, "JSON.OBJLEN", "d", ".n"))).toBe(
      "WRONGTYPE wrong type of path value - expected object",
    );
    expect(errorOf(await call(c, "JSON.OBJLEN", "nokey", "$"))).toBe(
      "ERR Path does not exist or not an object",
    );
    expect(await call(c, "JSON.STRLEN", "d", ".a.s")).toBe(6); // UTF-8 bytes
    expect(errorOf(await call(c, "JSON.STRLEN", "d", ".n"))).toBe(
      "WRONGTYPE wrong type of path value - expected string",
    );
    expect(await call(c, "JSON.NUMINCRBY", "d", ".n", "1")).toBe("2.5");
    expect(await call(c, "JSON.NUMMULTBY", "d", "n", "4")).toBe("10");
    expect(errorOf(await call(c, "JSON.NUMINCRBY", "d", ".a", "1"))).toBe(
      "ERR Path does not exist or does not contains a number",
    );
    expect(await call(c, "JSON.TOGGLE", "d", ".a.t")).toBe("false");
    expect(errorOf(await call(c, "JSON.TOGGLE", "d", ".n"))).toBe("ERR Path does not exist or not a bool");
    expect(await call(c, "JSON.ARRAPPEND", "d", ".a.b", "3", '{"x":1}')).toBe(4);
    expect(errorOf(await call(c, "JSON.ARRAPPEND", "d", ".a", "3"))).toBe(
      "ERR Path does not exist or not an array",
    );
    expect(await call(c, "JSON.DEL", "d", ".a.b[0]")).toBe(1);
    expect(await call(c, "JSON.DEL", "d", ".nope")).toBe(0);
    expect(await call(c, "JSON.GET", "d")).toBe('{"a":{"b":[2,3,{"x":1}],"s":"héllo","t":false},"n":10}');
  });

  it("a legacy wildcard path writes only the matches of the right type", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "JSON.SET", "d", "$", '{"x":{"a":1,"b":"s","c":2}}');
    expect(await call(c, "JSON.NUMINCRBY", "d", ".x.*", "10")).toBe("12"); // the last one written
    expect(await call(c, "JSON.GET", "d")).toBe('{"x":{"a":11,"b":"s","c":12}}');
    expect(await call(c, "JSON.NUMINCRBY", "d", "$.x.*", "1")).toBe("[12,null,13]");
  });
});

describe("JSON.SET at a path", () => {
  it("NX/XX, adding a member, nil or errors where nothing can be written", async () => {
    const { net, db } = await memServer();
    const c = net.connect();
    expect(errorOf(await call(c, "JSON.SET", "new", "$.a", "1"))).toBe(
      "ERR new objects must be created at the root",
    );
    expect(await call(c, "JSON.SET", "new", "$.a", "1", "XX")).toBe(null);
    await call(c, "JSON.SET", "d", "$", '{"a":1,"arr":[1,2],"o":{}}');
    expect(await call(c, "JSON.SET", "d", "$.a", "2", "NX")).toBe(null);
    expect(await call(c, "JSON.SET", "d", "$.b", "2", "XX")).toBe(null);
    expect(await call(c, "JSON.SET", "d", "$.b", "2", "NX")).toBe("OK");
    expect(await call(c, "JSON.SET", "d", "$.a", "5", "XX")).toBe("OK");
    expect(await call(c, "JSON.SET", "d", "$.o.p", '"q"')).toBe("OK");
    expect(await call(c, "JSON.SET", "d", "$.x.y", "1")).toBe(null); // no parent to add to
    expect(await call(c, "JSON.SET", "d", "$.arr[1]", "9")).toBe("OK");
    expect(errorOf(await call(c, "JSON.SET", "d", "$.arr[5]", "9"))).toBe("ERR array index out of range");
    expect(await call(c, "JSON.SET", "d", "$.arr[0]", "9", "NX")).toBe(null);
    expect(errorOf(await call(c, "JSON.SET", "d", "$.*.zz", "1"))).toBe("Err wrong static path");
    expect(errorOf(await call(c, "JSON.SET", "d", "$.a", "1", "NX", "XX"))).toBe("ERR syntax error");
    expect(errorOf(await call(c, "JSON.SET", "d", "$.[", "1"))).toMatch(/^ERR invalid JSONPath/);
    const version = (await db.get(Buffer.from("\0d")))?.version;
    expect(errorOf(await call(c, "JSON.SET", "d", "$.a", "{bad"))).toMatch(/^ERR invalid JSON: /);
    expect((await db.get(Buffer.from("\0d")))?.version).toBe(version); // errors change nothing
    expect(await call(c, "JSON.GET", "d")).toBe('{"a":5,"arr":[1,9],"o":{"p":"q"},"b":2}');
  });
});

describe("missing keys and JSON.MERGE below the root", () => {
  it("answer RedisJSON 2.8's errors and nils", async () => {
    const { net } = await memServer();
    const c = net.connect();
    const noKey = "ERR could not perform this operation on a key that doesn't exist";
    for (const args of [
      ["JSON.NUMINCRBY", "none", "$.a", "1"],
      ["JSON.NUMMULTBY", "none", ".a", "1"],
      ["JSON.TOGGLE", "none", "$.a"],
      ["JSON.ARRAPPEND", "none", "$.a", "1"],
      ["JSON.STRLEN", "none", "$"],
      ["JSON.OBJKEYS", "none", "$"],
    ]) {
      expect(errorOf(await call(c, ...args))).toBe(noKey);
    }
    for (const args of [
      ["JSON.GET", "none", "$.a"],
      ["JSON.TYPE", "none", "$"],
      ["JSON.STRLEN", "none"],
      ["JSON.OBJKEYS", "none"],
      ["JSON.OBJLEN", "none"],
    ]) {
      expect(await call(c, ...args)).toBe(null);
    }
    expect(await call(c, "JSON.DEL", "none", "$.a")).toBe(0);
    expect(errorOf(await call(c, "JSON.MERGE", "none", "$.a", "1"))).toBe(
      "ERR new objects must be created at the root",
    );
    await call(c, "JSON.SET", "m", "$", '{"o":{"x":1},"arr":[{"y":1}]}');
    expect(await call(c, "JSON.MERGE", "m", "$.o", '{"x":null,"z":2}')).toBe("OK");
    expect(await call(c, "JSON.MERGE", "m", "$.arr[0]", '{"w":3}')).toBe("OK");
    expect(await call(c, "JSON.MERGE", "m", "$.new", '{"k":1}')).toBe("OK");
    expect(await call(c, "JSON.MERGE", "m", "$.q.r", "1")).toBe(null);
    expect(errorOf(await call(c, "JSON.MERGE", "m", "$.arr[3]", "1"))).toBe("ERR array index out of range");
    expect(errorOf(await call(c, "JSON.MERGE", "m", "$..nope", "1"))).toBe("Err wrong static path");
    expect(await call(c, "JSON.GET", "m")).toBe('{"o":{"z":2},"arr":[{"y":1,"w":3}],"new":{"k":1}}');
  });
});

describe("MemFlux's key.path form", () => {
  it("SET creates members along the path, GET answers nil for a missing path, DEL counts", async () => {
    const { net } = await memServer();
    const c = net.connect();
    expect(await call(c, "JSON.SET", "user:1.profile.age", "31")).toBe("OK");
    expect(await call(c, "JSON.GET", "user:1")).toBe('{"profile":{"age":31}}');
    expect(await call(c, "JSON.SET", "user:1.profile.name", '"ada"')).toBe("OK");
    expect(await call(c, "JSON.SET", "user:1.tags", '["a","b"]')).toBe("OK");
    expect(await call(c, "JSON.SET", "user:1.tags.1", '"c"')).toBe("OK"); // an index on an array
    expect(await call(c, "JSON.GET", "user:1.profile")).toBe('{"age":31,"name":"ada"}');
    expect(await call(c, "JSON.GET", "user:1.tags.1")).toBe('"c"');
    expect(await call(c, "JSON.GET", "user:1.nope")).toBe(null);
    expect(await call(c, "JSON.GET", "user:2.profile")).toBe(null);
    expect(errorOf(await call(c, "JSON.SET", "user:1.tags.7", "1"))).toBe("ERR Path does not exist");
    expect(errorOf(await call(c, "JSON.SET", "user:1.profile.age.x", "1"))).toBe("ERR Path does not exist");
    expect(await call(c, "JSON.DEL", "user:1.profile.age")).toBe(1);
    expect(await call(c, "JSON.DEL", "user:1.profile.age")).toBe(0);
    expect(await call(c, "JSON.GET", "user:1")).toBe('{"profile":{"name":"ada"},"tags":["a","c"]}');
    // A key holding a dot: give the path argument.
    expect(await call(c, "JSON.SET", "a.b", "$", "1")).toBe("OK");
    expect(await call(c, "JSON.GET", "a.b", "$")).toBe("[1]");
    expect(await call(c, "JSON.GET", "a.b")).toBe(null); // read as key "a", path "b"
    expect(await call(c, "JSON.DEL", "a.b", ".")).toBe(1);
    expect(await call(c, "JSON.SET", "v1.tar.gz*", "$", "2")).toBe("OK");
    expect(await call(c, "JSON.GET", "v1.tar.gz*")).toBe("2"); // not a path after the dot: the whole key
    expect(errorOf(await call(c, "JSON.SET", "nodot", "1"))).toBe(
      "ERR wrong number of arguments for 'json.set' command",
    );
  });
});

describe("keys, types and durability", () => {
  it("WRONGTYPE on keys of other data types; JSON.MGET answers nil for them", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "HSET", "h", "f", "v");
    await call(c, "JSON.SET", "j", "$", '{"a":1}');
    const wrong = "WRONGTYPE Operation against a key holding the wrong kind of value";
    expect(errorOf(await call(c, "JSON.GET", "h"))).toBe(wrong);
    expect(errorOf(await call(c, "JSON.GET", "h", "$.a"))).toBe(wrong);
    expect(errorOf(await call(c, "JSON.SET", "h", "$", "1"))).toBe(wrong);
    expect(errorOf(await call(c, "JSON.SET", "h", "$.a", "1"))).toBe(wrong);
    // At the root with NX or XX too (RedisJSON checks the key's type first), and on a string key.
    await call(c, "SET", "s", "v");
    for (const key of ["h", "s"]) {
      for (const path of ["$", "."]) {
        expect(errorOf(await call(c, "JSON.SET", key, path, "1", "NX")), `${key} ${path}`).toBe(wrong);
        expect(errorOf(await call(c, "JSON.SET", key, path, "1", "XX")), `${key} ${path}`).toBe(wrong);
      }
    }
    expect(await call(c, "JSON.SET", "j", "$", "2", "NX")).toBe(null); // a document: NX answers nil
    expect(await call(c, "JSON.SET", "j2", "$", "2", "NX")).toBe("OK");
    expect(await call(c, "JSON.SET", "j2", "$", "3", "NX")).toBe(null);
    expect(await call(c, "JSON.GET", "j2")).toBe("2");
    expect(errorOf(await call(c, "JSON.NUMINCRBY", "h", "$.a", "1"))).toBe(wrong);
    expect(errorOf(await call(c, "JSON.ARRLEN", "h", "$"))).toBe(wrong);
    expect(errorOf(await call(c, "JSON.DEL", "h", "$.a"))).toBe(wrong);
    expect(errorOf(await call(c, "JSON.MERGE", "h", "$.a", "1"))).toBe(wrong);
    expect(await call(c, "JSON.MGET", "j", "h", "$.a")).toEqual(["[1]", null]);
    expect(await call(c, "HGET", "h", "f")).toBe("v");
  });

  it("a path write is one WAL record and keeps the TTL; JSON.SET at the root keeps it too", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const { net, db } = await memServer({ clock });
    const c = net.connect();
    await call(c, "JSON.SET", "k", "$", '{"n":1,"a":[],"b":true}');
    await call(c, "EXPIRE", "k", "100");
    const lsn = db.stats().durableLsn;
    await call(c, "JSON.NUMINCRBY", "k", "$.n", "1");
    await call(c, "JSON.ARRAPPEND", "k", "$.a", "1", "2");
    await call(c, "JSON.TOGGLE", "k", "$.b");
    await call(c, "JSON.SET", "k", "$.c", "3");
    await call(c, "JSON.MERGE", "k", "$.n", "7");
    await call(c, "JSON.DEL", "k", "$.c");
    expect(db.stats().durableLsn).toBe(lsn + 6);
    expect(await call(c, "JSON.NUMINCRBY", "k", "$.zz", "1")).toBe("[]"); // nothing selected: no write
    expect(db.stats().durableLsn).toBe(lsn + 6);
    expect(await call(c, "TTL", "k")).toBe(100);
    expect(await call(c, "JSON.SET", "k", "$", '{"n":0}')).toBe("OK");
    expect(await call(c, "TTL", "k")).toBe(100);
  });

  it("concurrent path increments from two clients all apply", async () => {
    const { net } = await memServer();
    const a = net.connect();
    const b = net.connect();
    await call(a, "JSON.SET", "k", "$", '{"x":0,"y":[]}');
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      a.command("JSON.NUMINCRBY", "k", "$.x", "1");
      b.command("JSON.ARRAPPEND", "k", "$.y", String(i));
    }
    await a.waitReplies(1 + rounds);
    await b.waitReplies(rounds);
    const doc = JSON.parse((await call(a, "JSON.GET", "k")) as string) as { x: number; y: number[] };
    expect(doc.x).toBe(rounds);
    expect(doc.y).toHaveLength(rounds);
  });

  it("RESP3: JSON.TYPE wraps its reply in an array; JSON.NUMINCRBY answers numbers", async () => {
    const { net } = await memServer();
    const c = net.connect();
    await call(c, "HELLO", "3");
    await call(c, "JSON.SET", "d", "$", '{"a":1,"b":"x","c":1.5}');
    expect(await call(c, "JSON.TYPE", "d", ".a")).toEqual(["integer"]);
    expect(await call(c, "JSON.TYPE", "d", "$.*")).toEqual([["integer", "string", "number"]]);
    expect(await call(c, "JSON.NUMINCRBY", "d", "$.*", "2")).toEqual([3, null, 3.5]);
    expect(await call(c, "JSON.NUMINCRBY", "d", ".a", "2")).toEqual([5]);
  });
});
