/**
 * Conversions between Lua values and RESP replies for scripts, as Redis 7.0 documents them ("Conversion
 * between Lua and Redis data types", EVAL's documentation; script_lua.c redisProtocolToLuaType and
 * luaReplyToRedisReply), for scripts speaking RESP2 (the default; `redis.setresp` is not offered):
 *
 *   Redis reply → Lua                     Lua → Redis reply
 *   integer     → number (integer)        number         → integer (the fraction truncated)
 *   bulk        → string                  string         → bulk
 *   null bulk/array → false               true           → integer 1
 *   array       → table (array)           false, nil     → null bulk
 *   status      → table {ok = text}       table {ok=s}   → status;  {err=s} → error (s as given)
 *   error       → table {err = text}      table (array)  → array of its items 1..n up to the first nil
 *   map → flat array; set → array; double, big number, verbatim → string; boolean → 1 or false
 *                                          anything else  → null bulk
 *
 * Lua strings are bytes (fengari holds them as Uint8Array); bulk replies go in and out as such, unchanged.
 */
import { Buffer } from "node:buffer";
import { lua, to_luastring } from "fengari";
import { formatDouble, R, type Reply } from "../resp-writer.js";

type LuaState = lua.LuaState;

/** Nesting past this in a script's reply is cut (Redis: "reached lua stack limit"); the reply writer takes 64. */
const DEPTH_MAX = 60;

/** Pushes a Lua string holding `text` (UTF-8) or `bytes`. */
export function pushBytes(L: LuaState, bytes: Uint8Array | string): void {
  lua.lua_pushstring(L, typeof bytes === "string" ? to_luastring(bytes) : new Uint8Array(bytes));
}

/** Pushes the table `{field = text}` (`{err = ...}`, `{ok = ...}`). */
export function pushFieldTable(L: LuaState, field: string, text: string): void {
  lua.lua_createtable(L, 0, 1);
  pushBytes(L, text);
  lua.lua_setfield(L, -2, to_luastring(field));
}

/** Pushes `reply` as the Lua value a script receives from redis.call / redis.pcall (see the module comment). */
export function pushReply(L: LuaState, reply: Reply): void {
  lua.lua_checkstack(L, 4);
  switch (reply.kind) {
    case "integer":
      if (typeof reply.value === "bigint") lua.lua_pushinteger(L, Number(reply.value));
      else lua.lua_pushinteger(L, reply.value);
      return;
    case "bulk":
      pushBytes(L, reply.bytes);
      return;
    case "null":
    case "nullArray":
      lua.lua_pushboolean(L, false);
      return;
    case "simple":
      pushFieldTable(L, "ok", reply.text);
      return;
    case "error":
      pushFieldTable(L, "err", reply.text);
      return;
    case "double":
      pushBytes(L, formatDouble(reply.value));
      return;
    case "bigNumber":
      pushBytes(L, reply.digits);
      return;
    case "verbatim":
      pushBytes(L, reply.text);
      return;
    case "boolean":
      if (reply.value) lua.lua_pushinteger(L, 1);
      else lua.lua_pushboolean(L, false);
      return;
    case "map":
      pushArray(L, reply.entries.flat());
      return;
    case "array":
    case "set":
    case "push":
      pushArray(L, reply.items);
      return;
  }
}

function pushArray(L: LuaState, items: readonly Reply[]): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((item, i) => {
    pushReply(L, item);
    lua.lua_rawseti(L, -2, i + 1);
  });
}

/** The bytes of the string (or number, as Lua formats it) at `idx`; undefined for other types. */
export function bytesAt(L: LuaState, idx: number): Buffer | undefined {
  const t = lua.lua_type(L, idx);
  if (t !== lua.LUA_TSTRING && t !== lua.LUA_TNUMBER) return undefined;
  if (t === lua.LUA_TNUMBER) {
    // Redis formats numbers with %.17g (lua_Number) — integers print without a fraction.
    if (lua.lua_isinteger(L, idx)) return Buffer.from(String(lua.lua_tointeger(L, idx)));
    return Buffer.from(formatDouble(lua.lua_tonumber(L, idx)));
  }
  return Buffer.from(lua.lua_tolstring(L, idx) as Uint8Array);
}

/** The string field `name` of the table at `idx`, as text, or undefined if absent or not a string. */
export function stringField(L: LuaState, idx: number, name: string): string | undefined {
  lua.lua_getfield(L, idx, to_luastring(name));
  const out =
    lua.lua_type(L, -1) === lua.LUA_TSTRING ? Buffer.from(lua.lua_tolstring(L, -1)).toString() : undefined;
  lua.lua_pop(L, 1);
  return out;
}

/**
 * The reply for the Lua value at the top of the stack (see the module comment), leaving the stack as it
 * was. Errors (`{err=...}`) come back as error replies with their text as given.
 */
export function replyOf(L: LuaState, depth = 0): Reply {
  const top = lua.lua_gettop(L);
  lua.lua_checkstack(L, 4);
  switch (lua.lua_type(L, top)) {
    case lua.LUA_TSTRING:
      return R.bulk(Buffer.from(lua.lua_tolstring(L, top) as Uint8Array));
    case lua.LUA_TNUMBER: {
      const n = lua.lua_isinteger(L, top) ? lua.lua_tointeger(L, top) : Math.trunc(lua.lua_tonumber(L, top));
      return Number.isSafeInteger(n)
        ? R.integer(n)
        : R.integer(BigInt.asIntN(64, BigInt(Math.trunc(n) || 0)));
    }
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, top) ? R.integer(1) : R.null;
    case lua.LUA_TTABLE:
      return tableReply(L, top, depth);
    default:
      return R.null;
  }
}

function tableReply(L: LuaState, idx: number, depth: number): Reply {
  if (depth >= DEPTH_MAX) return R.error("ERR reached lua stack limit");
  const err = fieldOfType(L, idx, "err");
  if (err !== undefined) return R.error(err);
  const ok = fieldOfType(L, idx, "ok");
  if (ok !== undefined) return R.simple(ok.replace(/[\r\n]/g, " "));
  const items: Reply[] = [];
  for (let i = 1; ; i++) {
    lua.lua_rawgeti(L, idx, i);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    items.push(replyOf(L, depth + 1));
    lua.lua_pop(L, 1);
  }
  return R.array(items);
}

/** A string field read raw (no metamethods), as Redis reads `err` and `ok`. */
function fieldOfType(L: LuaState, idx: number, name: string): string | undefined {
  pushBytes(L, name);
  lua.lua_rawget(L, idx);
  const out =
    lua.lua_type(L, -1) === lua.LUA_TSTRING ? Buffer.from(lua.lua_tolstring(L, -1)).toString() : undefined;
  lua.lua_pop(L, 1);
  return out;
}
