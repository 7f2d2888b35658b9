/**
 * Invariants of the server's settings, users and glob patterns (src/server/config.ts, users.ts, glob.ts):
 * - glob patterns match as Redis's stringmatchlen (*, ?, classes with ^ and ranges, escapes, nocase);
 * - sizes read as Redis's memtoll (k = 1000, kb = 1024, ...);
 * - a redis.conf file: comments, quotes, several addresses for bind; an unknown option, a bad value or
 *   unbalanced quotes is an error naming the line; rules between options are checked after all sources;
 * - Redis's encoding thresholds and `save` are accepted and shown with no effect, under their old ziplist
 *   names too; `maxmemory` and `maxmemory-policy` accept only 0 and noeviction (src/server/compat-options.ts);
 * - users: requirepass replaces the default user's passwords, `off` disables, `nopass` opens, `<pass`
 *   removes; only a password that matches opens a user; password comparison is exact on bytes.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { ConfigError, parseBytes, parseConfigFile, ServerConfig } from "../src/server/config.js";
import { sameBytes, Users } from "../src/server/users.js";
import { globMatch } from "../src/util/glob.js";

describe("glob", () => {
  it.each([
    ["*", "", true],
    ["*", "anything", true],
    ["h?llo", "hello", true],
    ["h?llo", "hllo", false],
    ["h*llo", "hllo", true],
    ["h*llo", "heeeello", true],
    ["h*llo", "hellox", false],
    ["h[ae]llo", "hallo", true],
    ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true],
    ["h[^e]llo", "hello", false],
    ["h[a-c]llo", "hbllo", true],
    ["h[c-a]llo", "hbllo", true],
    ["h[a-c]llo", "hdllo", false],
    ["h\\*llo", "h*llo", true],
    ["h\\*llo", "hello", false],
    ["*a*b*c*", "xxaxxbxxcxx", true],
    ["*a*b*c*", "xxaxxcxxbxx", false],
    ["a*", "b", false],
  ])("%j ~ %j is %s", (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it("nocase", () => {
    expect(globMatch("MAX*", "maxclients", true)).toBe(true);
    expect(globMatch("MAX*", "maxclients")).toBe(false);
    expect(globMatch("[A-C]x", "bx", true)).toBe(true);
  });
});

describe("config", () => {
  it("sizes as Redis's memtoll", () => {
    expect(parseBytes("10")).toBe(10);
    expect(parseBytes("1k")).toBe(1000);
    expect(parseBytes("1KB")).toBe(1024);
    expect(parseBytes("2mb")).toBe(2 * 1024 * 1024);
    expect(parseBytes("1g")).toBe(1e9);
    expect(parseBytes("1gb")).toBe(1024 ** 3);
    expect(parseBytes("1x")).toBeUndefined();
    expect(parseBytes("")).toBeUndefined();
  });

  it("reads redis.conf text: comments, quotes, lists; errors name the line", () => {
    const config = new ServerConfig();
    parseConfigFile(
      '# a comment\n\nport 7000\nbind 127.0.0.1 -::1\nrequirepass "two words"\n  timeout   5  \nPROTECTED-MODE no\nuser alice on >x ~* +@all\n',
      config,
    );
    expect(config.int("port")).toBe(7000);
    expect(config.list("bind")).toEqual(["127.0.0.1", "-::1"]);
    expect(config.text("requirepass")).toBe("two words");
    expect(config.int("timeout")).toBe(5);
    expect(config.bool("protected-mode")).toBe(false);
    expect(config.userRules).toEqual([["alice", "on", ">x", "~*", "+@all"]]);
    expect(() => parseConfigFile("port 1\nactivedefrag yes\n", new ServerConfig())).toThrow(
      /line 2 .*unknown option 'activedefrag'/,
    );
    // `save` exists (redis-benchmark reads it; the Redis suite sets it), accepted with no effect: fusedb
    // takes no RDB snapshots. Its default is "".
    const saving = new ServerConfig();
    expect(saving.show((n) => n === "save")).toEqual([["save", ""]]);
    parseConfigFile('save "900 1"\n', saving);
    expect(saving.show((n) => n === "save")).toEqual([["save", "900 1"]]);
    expect(() => parseConfigFile("maxclients lots\n", new ServerConfig())).toThrow(/line 1 .*integer/);
    expect(() => parseConfigFile("port 70000\n", new ServerConfig())).toThrow(/between 0 and 65535/);
    expect(() => parseConfigFile('requirepass "open\n', new ServerConfig())).toThrow(
      /line 1: unbalanced quotes/,
    );
    expect(() => parseConfigFile("appendfsync sometimes\n", new ServerConfig())).toThrow(
      /always, everysec, no/,
    );
  });

  it("rules between options are checked once every source is applied", () => {
    const config = new ServerConfig();
    config.apply("client-query-buffer-limit", ["2mb"]);
    config.apply("proto-max-bulk-len", ["1mb"]);
    config.validate();
    config.apply("proto-max-bulk-len", ["4mb"]);
    expect(() => config.validate()).toThrow(ConfigError);
    expect(() => config.set([["proto-max-bulk-len", "3mb"]])).toThrow(/must not exceed/);
  });

  it("Redis's encoding thresholds and save are accepted with no effect; old ziplist names are aliases", () => {
    const config = new ServerConfig();
    parseConfigFile('save ""\nlist-max-ziplist-size 4\nset-max-intset-entries 100\n', config);
    expect(config.text("save")).toBe("");
    expect(config.int("list-max-listpack-size")).toBe(4);
    config.set([
      ["save", "900 1"],
      ["hash-max-ziplist-value", "10"],
      ["zset-max-listpack-entries", "0"],
      ["list-compress-depth", "2"],
    ]);
    const shown = (n: string) => config.show((m) => m === n);
    expect(shown("save")).toEqual([["save", "900 1"]]);
    expect(shown("hash-max-listpack-value")).toEqual([["hash-max-listpack-value", "10"]]);
    expect(shown("hash-max-ziplist-value")).toEqual([["hash-max-ziplist-value", "10"]]);
    expect(shown("zset-max-ziplist-entries")).toEqual([["zset-max-ziplist-entries", "0"]]);
    expect(shown("zset-max-ziplist-value")).toEqual([["zset-max-ziplist-value", "64"]]);
    expect(shown("list-max-ziplist-size")).toEqual([["list-max-ziplist-size", "4"]]);
    expect(shown("set-max-intset-entries")).toEqual([["set-max-intset-entries", "100"]]);
    expect(() => config.set([["set-max-intset-entries", "-1"]])).toThrow(
      /possibly related to argument 'set-max-intset-entries'\) - argument must be between 0 and/,
    );
    expect(() => config.set([["list-max-ziplist-size", "x"]])).toThrow(/integer/);
    expect(config.int("list-max-listpack-size")).toBe(4);
    // No memory limit, no eviction: only the values that say so.
    expect(config.show((n) => n.startsWith("maxmemory"))).toEqual([
      ["maxmemory", "0"],
      ["maxmemory-policy", "noeviction"],
    ]);
    config.set([["maxmemory", "0"]]);
    expect(() => config.set([["maxmemory", "bla"]])).toThrow(
      "CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
    );
    expect(() => config.set([["maxmemory", "1gb"]])).toThrow(/between 0 and 0/);
    expect(() => config.set([["maxmemory-policy", "allkeys-lru"]])).toThrow(
      /one of the following: noeviction/,
    );
  });

  it("show lists options in definition order with Redis's text forms", () => {
    const config = new ServerConfig();
    expect(config.show((n) => n === "protected-mode" || n === "proto-max-bulk-len" || n === "bind")).toEqual([
      ["bind", "127.0.0.1"],
      ["protected-mode", "yes"],
      ["proto-max-bulk-len", "8388608"],
    ]);
  });
});

describe("users", () => {
  const b = (s: string): Buffer => Buffer.from(s);

  it("requirepass, named users, off, nopass and removed passwords", () => {
    const open = new Users([], "");
    expect(open.authRequired).toBe(false);
    expect(open.defaultHasNoPassword).toBe(true);
    const users = new Users(
      [
        ["alice", "on", ">one", ">two", "<one", "~*", "+@all"],
        ["bob", "off", ">pw", "allkeys", "allcommands"],
        ["guest", "on", "nopass", "~*", "&*", "+@all"],
      ],
      "secret",
    );
    expect(users.authRequired).toBe(true);
    expect(users.check("default", b("secret"))).toBe(true);
    expect(users.check("default", b("Secret"))).toBe(false);
    expect(users.check("alice", b("two"))).toBe(true);
    expect(users.check("alice", b("one"))).toBe(false);
    expect(users.check("bob", b("pw"))).toBe(false);
    expect(users.check("guest", b("anything"))).toBe(true);
    expect(users.check("nobody", b("x"))).toBe(false);
    const disabled = new Users([["default", "off"]], "");
    expect(disabled.authRequired).toBe(true);
    expect(disabled.check("default", b(""))).toBe(false);
  });

  it("sameBytes is exact", () => {
    expect(sameBytes(b("abc"), b("abc"))).toBe(true);
    expect(sameBytes(b("abc"), b("abd"))).toBe(false);
    expect(sameBytes(b("abc"), b("abcd"))).toBe(false);
    expect(sameBytes(b(""), b(""))).toBe(true);
    expect(sameBytes(b(""), b("\0"))).toBe(false);
  });
});
