/**
 * Two of the C libraries Redis bundles into its Lua, written here in JavaScript for fengari:
 *
 * - `cjson` (lua-cjson 2.1's behaviour as Redis ships it): `cjson.encode(value)` — tables whose keys are
 *   all positive integers become arrays (holes as null; an array with more holes than values and longer
 *   than 10 is refused as "excessively sparse"), other tables objects with string or number keys, an
 *   empty table `{}`; strings escaped as lua-cjson does (`/` as `\/`), floats with 14 significant digits,
 *   nesting deeper than `encode_max_depth` (1000) refused, NaN and infinities refused unless
 *   `encode_invalid_numbers(true)` — and `cjson.decode(text)`: objects and arrays to tables, `null` to the
 *   sentinel `cjson.null`, integral numbers to Lua integers, nesting past `decode_max_depth` (1000) refused.
 *   The other configuration functions (`encode_keep_buffer`, ...) are accepted and change nothing.
 * - `bit` (LuaBitOp 1.0): tobit, tohex, bnot, band, bor, bxor, lshift, rshift, arshift, rol, ror, bswap on
 *   32-bit two's complement integers.
 *
 * Not here: cmsgpack and struct.
 */
import { Buffer } from "node:buffer";
import { lua, to_luastring } from "fengari";
import { pushBytes } from "./lua-values.js";

type LuaState = lua.LuaState;

/** The light userdata `cjson.null` stands for. */
const JSON_NULL = { jsonNull: true };
/** lua-cjson's settings (one interpreter per server, so module state is the interpreter's). */
const settings = { encodeMaxDepth: 1000, decodeMaxDepth: 1000, encodeInvalidNumbers: false };

function fail(T: LuaState, msg: string): never {
  pushBytes(T, msg);
  lua.lua_error(T);
  throw new Error("unreachable: lua_error returned");
}

/** Sets a table of JS functions as the global `name`. */
function defineLibrary(L: LuaState, name: string, fns: Record<string, lua.JsFunction>): void {
  lua.lua_newtable(L);
  for (const [k, f] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, f);
    lua.lua_setfield(L, -2, to_luastring(k));
  }
  if (name === "cjson") {
    lua.lua_pushlightuserdata(L, JSON_NULL);
    lua.lua_setfield(L, -2, to_luastring("null"));
  }
  lua.lua_setglobal(L, to_luastring(name));
}

/** Adds `cjson` and `bit` to the globals of `L`. */
export function openLibraries(L: LuaState): void {
  const noop: lua.JsFunction = () => 0;
  defineLibrary(L, "cjson", {
    encode: (T) => {
      if (lua.lua_gettop(T) !== 1) fail(T, "bad argument #1 to 'encode' (expected 1 argument)");
      pushBytes(T, Buffer.from(encode(T, 1, 0), "latin1"));
      return 1;
    },
    decode: (T) => {
      if (lua.lua_type(T, 1) !== lua.LUA_TSTRING) fail(T, "bad argument #1 to 'decode' (string expected)");
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(lua.lua_tolstring(T, 1)).toString("utf8"));
      } catch (err) {
        fail(T, `Expected value but found invalid token: ${(err as Error).message}`);
      }
      pushJson(T, value, 1);
      return 1;
    },
    encode_keep_buffer: noop,
    encode_max_depth: (T) => {
      if (lua.lua_type(T, 1) === lua.LUA_TNUMBER) settings.encodeMaxDepth = lua.lua_tointeger(T, 1);
      return 0;
    },
    decode_max_depth: (T) => {
      if (lua.lua_type(T, 1) === lua.LUA_TNUMBER) settings.decodeMaxDepth = lua.lua_tointeger(T, 1);
      return 0;
    },
    encode_invalid_numbers: (T) => {
      settings.encodeInvalidNumbers = lua.lua_toboolean(T, 1);
      return 0;
    },
    encode_number_precision: noop,
    encode_sparse_array: noop,
    decode_invalid_numbers: noop,
  });
  const int = (T: LuaState, i: number): number => {
    if (lua.lua_type(T, i) !== lua.LUA_TNUMBER) fail(T, `bad argument #${i} (number expected)`);
    const n = lua.lua_tonumber(T, i);
    return Number.isFinite(n) ? Number(BigInt.asIntN(32, BigInt(Math.trunc(n)))) : 0;
  };
  const ret = (T: LuaState, v: number): number => {
    lua.lua_pushinteger(T, v | 0);
    return 1;
  };
  const fold =
    (f: (a: number, b: number) => number): lua.JsFunction =>
    (T) => {
      let acc = int(T, 1);
      for (let i = 2; i <= lua.lua_gettop(T); i++) acc = f(acc, int(T, i));
      return ret(T, acc);
    };
  defineLibrary(L, "bit", {
    tobit: (T) => ret(T, int(T, 1)),
    bnot: (T) => ret(T, ~int(T, 1)),
    band: fold((a, b) => a & b),
    bor: fold((a, b) => a | b),
    bxor: fold((a, b) => a ^ b),
    lshift: (T) => ret(T, int(T, 1) << (int(T, 2) & 31)),
    rshift: (T) => ret(T, int(T, 1) >>> (int(T, 2) & 31)),
    arshift: (T) => ret(T, int(T, 1) >> (int(T, 2) & 31)),
    rol: (T) => {
      const [x, n] = [int(T, 1), int(T, 2) & 31];
      return ret(T, (x << n) | (x >>> ((32 - n) & 31)));
    },
    ror: (T) => {
      const [x, n] = [int(T, 1), int(T, 2) & 31];
      return ret(T, (x >>> n) | (x << ((32 - n) & 31)));
    },
    bswap: (T) => {
      const x = int(T, 1);
      return ret(T, ((x >>> 24) & 0xff) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24));
    },
    tohex: (T) => {
      const x = int(T, 1) >>> 0;
      let n = lua.lua_gettop(T) >= 2 ? int(T, 2) : 8;
      let upper = false;
      if (n < 0) {
        upper = true;
        n = -n;
      }
      if (n > 8 || n < 0) n = 8; // -(-2^31) stays negative in 32 bits: LuaBitOp's fix takes 8 digits
      const hex = x
        .toString(16)
        .padStart(8, "0")
        .slice(8 - n);
      pushBytes(T, upper ? hex.toUpperCase() : hex);
      return 1;
    },
  });
}

/** Lua's %.14g of a float, as lua-cjson prints numbers. */
function formatNumber(n: number): string {
  return String(Number(n.toPrecision(14)));
}

function encodeString(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += "\\\\";
    else if (b === 0x2f) out += "\\/";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b === 0x08) out += "\\b";
    else if (b === 0x0c) out += "\\f";
    else if (b < 0x20 || b === 0x7f) out += `\\u${b.toString(16).padStart(4, "0")}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

/** The JSON text (latin1: one char per byte) of the value at `idx`. */
function encode(T: LuaState, idx: number, depth: number): string {
  const t = lua.lua_type(T, idx);
  switch (t) {
    case lua.LUA_TNIL:
      return "null";
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(T, idx) ? "true" : "false";
    case lua.LUA_TNUMBER: {
      if (lua.lua_isinteger(T, idx)) return String(lua.lua_tointeger(T, idx));
      const n = lua.lua_tonumber(T, idx);
      if (!Number.isFinite(n)) {
        if (!settings.encodeInvalidNumbers) fail(T, "Cannot serialise number: must not be NaN or Inf");
        return Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
      }
      return formatNumber(n);
    }
    case lua.LUA_TSTRING:
      return encodeString(lua.lua_tolstring(T, idx));
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(T, idx) === JSON_NULL) return "null";
      break;
    case lua.LUA_TTABLE:
      return encodeTable(T, idx, depth + 1);
  }
  return fail(T, "Cannot serialise: type not supported");
}

function encodeTable(T: LuaState, idx: number, depth: number): string {
  if (depth > settings.encodeMaxDepth) fail(T, `Cannot serialise, excessive nesting (${depth})`);
  const abs = idx < 0 ? lua.lua_gettop(T) + idx + 1 : idx;
  lua.lua_checkstack(T, 4);
  let count = 0;
  let max = 0;
  let array = true;
  lua.lua_pushnil(T);
  while (lua.lua_next(T, abs) !== 0) {
    count++;
    const k = lua.lua_isinteger(T, -2) ? lua.lua_tointeger(T, -2) : 0;
    if (k >= 1) max = Math.max(max, k);
    else array = false;
    lua.lua_pop(T, 1);
  }
  if (count === 0) return "{}";
  if (array) {
    if (max > count * 2 && max > 10) fail(T, "Cannot serialise table: excessively sparse array");
    const items: string[] = [];
    for (let i = 1; i <= max; i++) {
      lua.lua_rawgeti(T, abs, i);
      items.push(encode(T, -1, depth));
      lua.lua_pop(T, 1);
    }
    return `[${items.join(",")}]`;
  }
  const fields: string[] = [];
  lua.lua_pushnil(T);
  while (lua.lua_next(T, abs) !== 0) {
    const kt = lua.lua_type(T, -2);
    if (kt !== lua.LUA_TSTRING && kt !== lua.LUA_TNUMBER) {
      fail(T, "Cannot serialise table: table key must be a number or string");
    }
    const key =
      kt === lua.LUA_TSTRING
        ? encodeString(lua.lua_tolstring(T, -2))
        : `"${lua.lua_isinteger(T, -2) ? lua.lua_tointeger(T, -2) : formatNumber(lua.lua_tonumber(T, -2))}"`;
    fields.push(`${key}:${encode(T, -1, depth)}`);
    lua.lua_pop(T, 1);
  }
  return `{${fields.join(",")}}`;
}

/** Pushes a parsed JSON value as Lua values (see the module comment). */
function pushJson(T: LuaState, v: unknown, depth: number): void {
  lua.lua_checkstack(T, 4);
  if (typeof v === "object" && v !== null && depth > settings.decodeMaxDepth) {
    fail(T, `Found too many nested data structures (${depth})`);
  }
  if (v === null) lua.lua_pushlightuserdata(T, JSON_NULL);
  else if (typeof v === "boolean") lua.lua_pushboolean(T, v);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) lua.lua_pushinteger(T, v);
    else lua.lua_pushnumber(T, v);
  } else if (typeof v === "string") pushBytes(T, v);
  else if (Array.isArray(v)) {
    lua.lua_createtable(T, v.length, 0);
    v.forEach((item, i) => {
      pushJson(T, item, depth + 1);
      lua.lua_rawseti(T, -2, i + 1);
    });
  } else {
    const entries = Object.entries(v as Record<string, unknown>);
    lua.lua_createtable(T, 0, entries.length);
    for (const [k, item] of entries) {
      pushBytes(T, k);
      pushJson(T, item, depth + 1);
      lua.lua_rawset(T, -3);
    }
  }
}
