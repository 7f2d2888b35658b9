/**
 * Types for the subset of fengari (a Lua 5.3 VM in JavaScript; it ships none) that the server's scripting
 * uses. Lua strings are Uint8Array; a JS function called from Lua returns how many results it pushed.
 */
declare module "fengari" {
  export namespace lua {
    /** A Lua thread (fengari's lua_State). */
    type LuaState = { readonly __luaState: unique symbol };
    type JsFunction = (L: LuaState) => number;
    type Continuation = (L: LuaState, status: number, ctx: number) => number;
    type Hook = (L: LuaState, ar: unknown) => void;
  }
  export const lua: {
    readonly LUA_OK: number;
    readonly LUA_YIELD: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TLIGHTUSERDATA: number;
    readonly LUA_TFUNCTION: number;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_MASKLINE: number;
    readonly LUA_REGISTRYINDEX: number;
    lua_checkstack(L: lua.LuaState, n: number): boolean;
    lua_gettop(L: lua.LuaState): number;
    lua_settop(L: lua.LuaState, n: number): void;
    lua_pop(L: lua.LuaState, n: number): void;
    lua_type(L: lua.LuaState, idx: number): number;
    lua_pushnil(L: lua.LuaState): void;
    lua_pushboolean(L: lua.LuaState, b: boolean): void;
    lua_pushinteger(L: lua.LuaState, n: number): void;
    lua_pushnumber(L: lua.LuaState, n: number): void;
    lua_pushstring(L: lua.LuaState, s: Uint8Array): void;
    lua_pushvalue(L: lua.LuaState, idx: number): void;
    lua_pushjsfunction(L: lua.LuaState, f: lua.JsFunction): void;
    lua_isinteger(L: lua.LuaState, idx: number): boolean;
    lua_tointeger(L: lua.LuaState, idx: number): number;
    lua_tonumber(L: lua.LuaState, idx: number): number;
    lua_toboolean(L: lua.LuaState, idx: number): boolean;
    lua_tolstring(L: lua.LuaState, idx: number): Uint8Array;
    lua_createtable(L: lua.LuaState, narr: number, nrec: number): void;
    lua_newtable(L: lua.LuaState): void;
    lua_setfield(L: lua.LuaState, idx: number, k: Uint8Array): void;
    lua_getfield(L: lua.LuaState, idx: number, k: Uint8Array): number;
    lua_rawseti(L: lua.LuaState, idx: number, n: number): void;
    lua_rawgeti(L: lua.LuaState, idx: number, n: number): number;
    lua_rawget(L: lua.LuaState, idx: number): number;
    lua_rawset(L: lua.LuaState, idx: number): void;
    lua_setglobal(L: lua.LuaState, name: Uint8Array): void;
    lua_getglobal(L: lua.LuaState, name: Uint8Array): number;
    lua_setmetatable(L: lua.LuaState, idx: number): void;
    lua_rawgetp?: never;
    lua_newthread(L: lua.LuaState): lua.LuaState;
    lua_xmove(from: lua.LuaState, to: lua.LuaState, n: number): void;
    lua_resume(L: lua.LuaState, from: lua.LuaState | null, nargs: number): number;
    lua_yield(L: lua.LuaState, n: number): number;
    lua_yieldk(L: lua.LuaState, n: number, ctx: number, k: lua.Continuation): number;
    lua_isyieldable(L: lua.LuaState): boolean;
    lua_sethook(L: lua.LuaState, f: lua.Hook | null, mask: number, count: number): void;
    lua_error(L: lua.LuaState): number;
    lua_next(L: lua.LuaState, idx: number): number;
    lua_pushlightuserdata(L: lua.LuaState, p: object): void;
    lua_touserdata(L: lua.LuaState, idx: number): unknown;
    lua_getinfo(L: lua.LuaState, what: Uint8Array, ar: unknown): number;
    lua_pcall(L: lua.LuaState, nargs: number, nresults: number, errfunc: number): number;
    lua_call(L: lua.LuaState, nargs: number, nresults: number): void;
  };
  export const lauxlib: {
    luaL_newstate(): lua.LuaState;
    luaL_loadbuffer(L: lua.LuaState, buf: Uint8Array, sz: number | null, name: Uint8Array): number;
    luaL_requiref(L: lua.LuaState, name: Uint8Array, open: lua.JsFunction, glb: number): void;
    luaL_ref(L: lua.LuaState, t: number): number;
    luaL_unref(L: lua.LuaState, t: number, ref: number): void;
  };
  export const lualib: {
    luaopen_base: lua.JsFunction;
    luaopen_table: lua.JsFunction;
    luaopen_string: lua.JsFunction;
    luaopen_math: lua.JsFunction;
    luaopen_coroutine: lua.JsFunction;
    luaopen_utf8: lua.JsFunction;
    luaopen_debug: lua.JsFunction;
  };
  export function to_luastring(s: string): Uint8Array;
  export function to_jsstring(s: Uint8Array): string;
}
