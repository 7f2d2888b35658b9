/**
 * The server's one Lua interpreter (fengari, Lua 5.3 in JavaScript) and its sandbox, as Redis 7.0 sets up
 * its scripting engine (eval.c scriptingInit, script_lua.c):
 *
 * - Libraries: base (without `dofile`, `loadfile`, `print`), table, string, math, utf8 and coroutine;
 *   no io, os, package or debug. `unpack` is kept as an alias of `table.unpack` for scripts written for
 *   Redis's Lua 5.1. Redis's bundled cjson and bit are here (src/server/scripting/lua-libs.ts); cmsgpack
 *   and struct are not.
 * - `math.random` / `math.randomseed` are replaced by a 48-bit linear congruential generator (the
 *   lrand48 recurrence Redis uses for scripts), seeded with 0 when the interpreter is made and not reseeded
 *   per script (Redis 7.0: "random numbers are random now" across runs): the sequence is the same for every
 *   server start, and nothing reads the process's randomness.
 * - Globals and library tables (redis, string, table, math, utf8, coroutine, the strings' metatable) are
 *   read-only proxies: assigning to them, setmetatable or rawset on them raises `Attempt to modify a
 *   readonly table`; reading an undefined global raises `Script attempted to access nonexistent global
 *   variable 'name'`. `load` takes text chunks only, and `loadstring` (Lua 5.1's, for Redis scripts)
 *   refuses binary chunks.
 * - Scripts compile to functions `f_<sha1 of the body>` (chunk name `@user_script`), kept until SCRIPT
 *   FLUSH. A leading `#!lua [flags=...]` line (Redis 7.0 shebang) is checked and blanked, its line kept so
 *   line numbers stay true; the flag `no-writes` makes the script read-only.
 * - Errors: the message handler Redis installs (`__redis__err__handler`) turns any error into a table
 *   `{err = "CODE text", source = ..., line = ...}`; see src/server/scripting/script-run.ts for the reply.
 *
 * The redis.* functions that talk to the server (call, pcall) are bound per run by the caller through
 * {@link LuaEngine.bind}; the rest (error_reply, status_reply, sha1hex, log, LOG_*) are defined here.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { lauxlib, lua, lualib, to_luastring } from "fengari";
import { CommandError } from "../reply-errors.js";
import { openLibraries } from "./lua-libs.js";
import { bytesAt, pushBytes, pushFieldTable } from "./lua-values.js";

type LuaState = lua.LuaState;

/** A compiled script: its SHA1 (hex, lowercase), its body and flags. */
export interface CompiledScript {
  readonly sha: string;
  readonly body: Buffer;
  /** Declared `#!lua flags=no-writes`. */
  readonly noWrites: boolean;
}

/** Lua source run once at startup: the error handler (as Redis's) and the globals' protection. */
const PRELUDE = `
local dbg = debug
function __redis__err__handler(err)
  local i = dbg.getinfo(2,'nSl')
  if i and (i.what == 'C' or i.what == 'J') then i = dbg.getinfo(3,'nSl') end
  if type(err) ~= 'table' then err = {err='ERR ' .. tostring(err)} end
  if i then err['source'] = i.source; err['line'] = i.currentline end
  return err
end
debug = nil
unpack = table.unpack
`;

/**
 * Lua source run last, with two JS functions as arguments (raising "Attempt to modify a readonly table",
 * and "Script attempted to access nonexistent global variable"): makes the globals and the library
 * tables read-only proxies (Redis 7.0 marks them read-only inside its Lua) and returns the globals' proxy
 * and the real globals table.
 */
const PROTECT = `
local ro_error, missing, rehook = ...
local base = _G
local protected = setmetatable({}, {__mode = 'k'})
local raw_setmt, raw_rawset, raw_load = setmetatable, rawset, load
local function readonly(t)
  local p, mtproxy = {}, {}
  local mt = {__index = t, __newindex = ro_error, __metatable = mtproxy}
  raw_setmt(mtproxy, {__index = mt, __newindex = ro_error, __metatable = false})
  protected[p] = true
  protected[mtproxy] = true
  return raw_setmt(p, mt)
end
base.setmetatable = function(t, m)
  if protected[t] then ro_error() end
  return raw_setmt(t, m)
end
base.rawset = function(t, k, v)
  if protected[t] then ro_error() end
  return raw_rawset(t, k, v)
end
-- fengari leaves hooks off once a pcall inside a coroutine catches an error (it never records the
-- 'allowhook' flag its recovery restores): switch them back on after each pcall/xpcall, so the time limit
-- and SCRIPT KILL keep working.
local raw_pcall, raw_xpcall, pack, unpack = pcall, xpcall, table.pack, table.unpack
base.pcall = function(...)
  local r = pack(raw_pcall(...))
  rehook()
  return unpack(r, 1, r.n)
end
base.xpcall = function(...)
  local r = pack(raw_xpcall(...))
  rehook()
  return unpack(r, 1, r.n)
end
base.load = function(chunk, name, mode, env) return raw_load(chunk, name, 't', env) end
base.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then return nil, 'binary chunks are not accepted' end
  return raw_load(s, name, 't')
end
for _, name in ipairs({'redis', 'string', 'table', 'math', 'utf8', 'coroutine', 'cjson', 'bit'}) do
  base[name] = readonly(base[name])
end
local smt = getmetatable('')
smt.__metatable = readonly(smt)
local g = readonly(base)
base._G = g
raw_setmt(base, {__index = missing})
return g, base
`;

/** The SHA1 of `bytes`, 40 lowercase hex characters. */
export function sha1hex(bytes: Uint8Array | string): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/** The registry name of a script's function. */
function functionName(sha: string): Uint8Array {
  return to_luastring(`f_${sha}`);
}

/** See the module comment. */
export class LuaEngine {
  readonly L: LuaState;
  private readonly compiled = new Map<string, CompiledScript>();
  /** lrand48's state after srand48(0): 0x330e in its low 16 bits. */
  private seed = 0x330en;
  /** Registry reference of the real globals table (the scripts see a read-only proxy of it). */
  private readonly baseRef: number;
  /** redis.call / redis.pcall of the script running now. */
  private call: (L: LuaState, raise: boolean) => number = (T) =>
    raise(T, "redis.call/pcall can only be called inside a script invocation");

  constructor(log: (level: number, line: string) => void) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    const open: [string, lua.JsFunction][] = [
      ["_G", lualib.luaopen_base],
      ["table", lualib.luaopen_table],
      ["string", lualib.luaopen_string],
      ["math", lualib.luaopen_math],
      ["utf8", lualib.luaopen_utf8],
      ["coroutine", lualib.luaopen_coroutine],
    ];
    for (const [name, fn] of open) {
      lauxlib.luaL_requiref(L, to_luastring(name), fn, 1);
      lua.lua_pop(L, 1);
    }
    // The debug library only for the error handler, which captures it before `debug` is removed.
    lauxlib.luaL_requiref(L, to_luastring("debug"), lualib.luaopen_debug, 1);
    lua.lua_pop(L, 1);
    for (const name of ["dofile", "loadfile", "print"]) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, to_luastring(name));
    }
    openLibraries(L);
    this.defineMath();
    this.defineRedis(log);
    this.runChunk(PRELUDE, "@prelude");
    this.baseRef = this.protectGlobals();
  }

  /** A compiled script by SHA, or undefined. */
  get(sha: string): CompiledScript | undefined {
    return this.compiled.get(sha.toLowerCase());
  }

  /** Number of compiled scripts (INFO memory `number_of_cached_scripts`). */
  get size(): number {
    return this.compiled.size;
  }

  /**
   * Compiles `body` (if not yet) and returns it.
   * @throws CommandError with Redis's texts: a bad shebang, `ERR Error compiling script (new function): ...`.
   */
  compile(body: Buffer): CompiledScript {
    const sha = sha1hex(body);
    const known = this.compiled.get(sha);
    if (known !== undefined) return known;
    const { code, noWrites } = shebang(body);
    const L = this.L;
    if (lauxlib.luaL_loadbuffer(L, code, code.length, to_luastring("@user_script")) !== lua.LUA_OK) {
      const msg = Buffer.from(lua.lua_tolstring(L, -1)).toString();
      lua.lua_pop(L, 1);
      throw new CommandError(`ERR Error compiling script (new function): ${msg}`);
    }
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, functionName(sha));
    const script = { sha, body, noWrites };
    this.compiled.set(sha, script);
    return script;
  }

  /** Forgets every compiled script (SCRIPT FLUSH). */
  flush(): void {
    for (const sha of this.compiled.keys()) {
      lua.lua_pushnil(this.L);
      lua.lua_setfield(this.L, lua.LUA_REGISTRYINDEX, functionName(sha));
    }
    this.compiled.clear();
  }

  /** Pushes the script's function onto `T` (a thread of this state). */
  pushFunction(T: LuaState, sha: string): void {
    lua.lua_getfield(T, lua.LUA_REGISTRYINDEX, functionName(sha));
  }

  /** Sets the globals KEYS and ARGV (past the protection: raw sets on the globals table). */
  setArrays(keys: readonly Buffer[], argv: readonly Buffer[]): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.baseRef);
    for (const [name, items] of [
      ["KEYS", keys],
      ["ARGV", argv],
    ] as const) {
      pushBytes(L, name);
      lua.lua_createtable(L, items.length, 0);
      items.forEach((b, i) => {
        pushBytes(L, b);
        lua.lua_rawseti(L, -2, i + 1);
      });
      lua.lua_rawset(L, -3);
    }
    lua.lua_pop(L, 1);
  }

  /** Makes `redis.call` and `redis.pcall` run `call(L, raise)`; undefined: outside a script (an error). */
  bind(call: ((L: LuaState, raise: boolean) => number) | undefined): void {
    this.call = call ?? ((T) => raise(T, "redis.call/pcall can only be called inside a script invocation"));
  }

  /**
   * Runs {@link PROTECT}: the globals become a read-only proxy (set as the registry's globals, so every
   * chunk loaded later sees it). Its JS error functions make the message handler point at the script's line.
   * Returns the registry reference of the real globals table.
   */
  private protectGlobals(): number {
    const L = this.L;
    const code = to_luastring(PROTECT);
    if (lauxlib.luaL_loadbuffer(L, code, code.length, to_luastring("@protect")) !== lua.LUA_OK) {
      throw new Error(`lua protect: ${Buffer.from(lua.lua_tolstring(L, -1)).toString()}`);
    }
    lua.lua_pushjsfunction(L, (T) => raiseText(T, "Attempt to modify a readonly table"));
    lua.lua_pushjsfunction(L, (T) => {
      const name = bytesAt(T, 2)?.toString() ?? "?";
      return raiseText(T, `Script attempted to access nonexistent global variable '${name}'`);
    });
    lua.lua_pushjsfunction(L, (T) => {
      (T as unknown as { allowhook: number }).allowhook = 1;
      return 0;
    });
    lua.lua_call(L, 3, 2);
    const base = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX); // pops the real globals
    lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, 2); // LUA_RIDX_GLOBALS := the proxy
    return base;
  }

  private runChunk(source: string, name: string): void {
    const L = this.L;
    const code = to_luastring(source);
    if (lauxlib.luaL_loadbuffer(L, code, code.length, to_luastring(name)) !== lua.LUA_OK) {
      throw new Error(`lua prelude: ${Buffer.from(lua.lua_tolstring(L, -1)).toString()}`);
    }
    lua.lua_call(L, 0, 0);
  }

  private defineMath(): void {
    const L = this.L;
    lua.lua_getglobal(L, to_luastring("math"));
    lua.lua_pushjsfunction(L, (T) => {
      // lrand48: x = (a*x + c) mod 2^48, the high 31 bits; scaled as Redis's redis_math_random.
      this.seed = (this.seed * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
      const r = Number(this.seed >> 17n) / 2147483648;
      const n = lua.lua_gettop(T);
      if (n === 0) {
        lua.lua_pushnumber(T, r);
        return 1;
      }
      const lo = n === 1 ? 1 : lua.lua_tointeger(T, 1);
      const hi = lua.lua_tointeger(T, n === 1 ? 1 : 2);
      if (lo > hi) return raise(T, "bad argument to 'random' (interval is empty)");
      lua.lua_pushinteger(T, lo + Math.floor(r * (hi - lo + 1)));
      return 1;
    });
    lua.lua_setfield(L, -2, to_luastring("random"));
    lua.lua_pushjsfunction(L, (T) => {
      const s = BigInt(Math.trunc(lua.lua_tonumber(T, 1)));
      this.seed = ((BigInt.asUintN(32, s) << 16n) | 0x330en) & 0xffffffffffffn;
      return 0;
    });
    lua.lua_setfield(L, -2, to_luastring("randomseed"));
    lua.lua_pop(L, 1);
  }

  private defineRedis(log: (level: number, line: string) => void): void {
    const L = this.L;
    lua.lua_newtable(L);
    const fn = (name: string, f: lua.JsFunction): void => {
      lua.lua_pushjsfunction(L, f);
      lua.lua_setfield(L, -2, to_luastring(name));
    };
    fn("call", (T) => this.call(T, true));
    fn("pcall", (T) => this.call(T, false));
    fn("sha1hex", (T) => {
      if (lua.lua_gettop(T) !== 1) return raise(T, "wrong number of arguments");
      pushBytes(T, sha1hex(bytesAt(T, 1) ?? Buffer.alloc(0)));
      return 1;
    });
    fn("error_reply", (T) => {
      const msg = lua.lua_gettop(T) === 1 ? bytesAt(T, 1) : undefined;
      if (msg === undefined || lua.lua_type(T, 1) !== lua.LUA_TSTRING) {
        return raise(T, "wrong number or type of arguments");
      }
      pushFieldTable(T, "err", errorText(msg.toString()));
      return 1;
    });
    fn("status_reply", (T) => {
      const msg = lua.lua_gettop(T) === 1 ? bytesAt(T, 1) : undefined;
      if (msg === undefined || lua.lua_type(T, 1) !== lua.LUA_TSTRING) {
        return raise(T, "wrong number or type of arguments");
      }
      pushFieldTable(T, "ok", msg.toString());
      return 1;
    });
    fn("log", (T) => {
      const n = lua.lua_gettop(T);
      if (n < 2) return raise(T, "redis.log() requires two arguments or more.");
      if (lua.lua_type(T, 1) !== lua.LUA_TNUMBER)
        return raise(T, "First argument must be a number (log level).");
      const level = lua.lua_tointeger(T, 1);
      if (level < 0 || level > 3) return raise(T, "Invalid debug level.");
      const parts: string[] = [];
      for (let i = 2; i <= n; i++) parts.push(bytesAt(T, i)?.toString() ?? "");
      log(level, parts.join(" "));
      return 0;
    });
    fn("setresp", (T) => raise(T, "redis.setresp is not supported by fusedb (scripts speak RESP2)"));
    fn("set_repl", () => 0);
    fn("replicate_commands", (T) => {
      lua.lua_pushboolean(T, true);
      return 1;
    });
    for (const [name, v] of [
      ["LOG_DEBUG", 0],
      ["LOG_VERBOSE", 1],
      ["LOG_NOTICE", 2],
      ["LOG_WARNING", 3],
      ["REPL_NONE", 0],
      ["REPL_AOF", 1],
      ["REPL_SLAVE", 2],
      ["REPL_REPLICA", 2],
      ["REPL_ALL", 3],
    ] as const) {
      lua.lua_pushinteger(L, v);
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    lua.lua_setglobal(L, to_luastring("redis"));
  }
}

/**
 * redis.error_reply's text (Redis 7.0 luaRedisErrorReplyCommand, luaPushErrorBuff): without a leading dash;
 * its first word is the code, and a text with no space gets the code `ERR`; trailing CR/LF are trimmed.
 */
function errorText(msg: string): string {
  const text = (msg.startsWith("-") ? msg.slice(1) : msg).replace(/[\r\n]+$/, "");
  return text.includes(" ") ? text : `ERR ${text}`.trimEnd();
}

/** Raises the Lua error string `msg` (the message handler makes it `{err = "ERR <msg>"}`). */
function raiseText(T: LuaState, msg: string): number {
  pushBytes(T, msg);
  return lua.lua_error(T);
}

/** Raises a Lua error `{err = "ERR <msg>"}` (Redis's luaPushError + luaError). */
export function raise(T: LuaState, msg: string): number {
  pushFieldTable(T, "err", msg.startsWith("-") ? msg.slice(1) : `ERR ${msg}`);
  return lua.lua_error(T);
}

/** Parses a Redis 7.0 shebang line; returns the code to load (the line blanked) and its flags. */
function shebang(body: Buffer): { code: Uint8Array; noWrites: boolean } {
  if (!(body[0] === 0x23 && body[1] === 0x21)) return { code: new Uint8Array(body), noWrites: false };
  const eol = body.indexOf(0x0a);
  const line = body.subarray(0, eol === -1 ? body.length : eol).toString();
  const parts = line
    .slice(2)
    .split(" ")
    .filter((p) => p !== "");
  if (parts[0] !== "lua")
    throw new CommandError(`ERR Unexpected engine in script shebang: ${parts[0] ?? ""}`);
  let noWrites = false;
  for (const p of parts.slice(1)) {
    if (!p.startsWith("flags=")) throw new CommandError(`ERR Unknown lua shebang option: ${p}`);
    for (const flag of p.slice("flags=".length).split(",")) {
      if (flag === "no-writes") noWrites = true;
      else if (!["", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"].includes(flag)) {
        throw new CommandError(`ERR Unexpected flag in script shebang: ${flag}`);
      }
    }
  }
  const rest = eol === -1 ? Buffer.alloc(0) : body.subarray(eol);
  return { code: new Uint8Array(rest), noWrites };
}
