/**
 * Secondary indexes over the wire (issue 16; the engine's API: docs/indexes.md). MemFlux names its index
 * commands IDX.CREATE, CREATEINDEX, IDX.DROP and IDX.LIST; the arguments here are fusedb's own (documented in
 * docs/server.md), and the query is in fusedb's namespace. An index belongs to the database it is created
 * in: its prefix is stored with the database byte (src/server/keyspace.ts), and IDX.LIST lists that
 * database's indexes.
 *
 *   IDX.CREATE name prefix path [UNIQUE]       -> OK once the definition is durable (the build runs on)
 *   CREATEINDEX name prefix path [UNIQUE]      -> the same
 *   IDX.DROP name                              -> OK; ERR ... (FUSEDB_INDEX_NOT_FOUND) if none
 *   IDX.LIST                                   -> per index: [name, prefix, path, unique 0|1, state, indexed]
 *   FUSEDB.QUERY name [EQ v | PREFIX s | [GT|GTE v] [LT|LTE v]] [LIMIT n] [REV]
 *                                              -> per document: [key, JSON text, version], in index order
 *
 * A value `v` is read as JSON when it parses to a scalar (`42`, `true`, `null`, `"42"`), else as a string.
 */
import type { Buffer } from "node:buffer";
import type { IndexQuery, IndexValue } from "../../index.js";
import { intArg, keyword, text } from "../args.js";
import { type CommandSpec, command } from "../command-table.js";
import type { CommandContext } from "../context.js";
import { dataOf } from "../data-access.js";
import { dbKey, userKey } from "../keyspace.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R, type Reply } from "../resp-writer.js";

/** A query value: a JSON scalar if the text is one, else the text as a string. */
function valueArg(arg: Buffer): IndexValue {
  const s = text(arg);
  try {
    const v: unknown = JSON.parse(s);
    if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  } catch {
    // not JSON: the text itself
  }
  return s;
}

async function create(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  if (args.length === 5 && keyword(args[4]) !== "UNIQUE") throw new CommandError(ERR.syntax);
  if (args.length > 5) throw new CommandError(ERR.syntax);
  await ctx.server.db.createIndex({
    name: text(args[1] as Buffer),
    prefix: dbKey(ctx.client.db, args[2] as Buffer),
    path: text(args[3] as Buffer),
    unique: args.length === 5,
  });
  return R.ok;
}

async function query(ctx: CommandContext, args: readonly Buffer[]): Promise<Reply> {
  const q: IndexQuery = { index: text(args[1] as Buffer) };
  // Bounded by the arguments: each step consumes one or two.
  for (let i = 2; i < args.length; i++) {
    const word = keyword(args[i]);
    const next = args[i + 1];
    if (word === "REV") {
      q.reverse = true;
      continue;
    }
    if (next === undefined) throw new CommandError(ERR.syntax);
    i++;
    if (word === "LIMIT") q.limit = intArg(next);
    else if (word === "PREFIX") q.prefix = text(next);
    else if (word === "EQ" || word === "GT" || word === "GTE" || word === "LT" || word === "LTE") {
      q[word.toLowerCase() as "eq" | "gt" | "gte" | "lt" | "lte"] = valueArg(next);
    } else throw new CommandError(ERR.syntax);
  }
  const found = await dataOf(ctx).query(q);
  const out: Reply[] = [];
  for (const e of found) {
    out.push(R.array([R.bulk(userKey(e.keyBytes)), R.bulk(JSON.stringify(e.value)), R.integer(e.version)]));
  }
  return R.array(out);
}

function list(ctx: CommandContext): Reply {
  const db = String.fromCharCode(ctx.client.db);
  const out: Reply[] = [];
  for (const i of ctx.server.db.indexes()) {
    if (!i.prefix.startsWith(db)) continue;
    out.push(
      R.array([
        R.bulk(i.name),
        R.bulk(i.prefix.slice(1)),
        R.bulk(i.path),
        R.integer(i.unique ? 1 : 0),
        R.bulk(i.state),
        R.integer(i.indexed),
      ]),
    );
  }
  return R.array(out);
}

const G = { group: "module", since: "0.1.0" } as const;
const NO_KEYS = [0, 0, 0] as const;

const createSpec = (name: string): CommandSpec =>
  command({
    ...G,
    name,
    arity: -4,
    flags: ["write", "denyoom"],
    keys: NO_KEYS,
    summary: "Creates a secondary index on a JSON field of the documents under a key prefix.",
    handler: create,
  });

/** The index commands' table entries. */
export const indexCommands: CommandSpec[] = [
  createSpec("idx.create"),
  createSpec("createindex"),
  command({
    ...G,
    name: "idx.drop",
    arity: 2,
    flags: ["write"],
    keys: NO_KEYS,
    summary: "Drops a secondary index (O(1)).",
    handler: async (ctx, args) => {
      await ctx.server.db.dropIndex(text(args[1] as Buffer));
      return R.ok;
    },
  }),
  command({
    ...G,
    name: "idx.list",
    arity: 1,
    flags: ["readonly"],
    keys: NO_KEYS,
    summary: "Lists the database's secondary indexes with their state.",
    handler: async (ctx) => list(ctx),
  }),
  command({
    ...G,
    name: "fusedb.query",
    arity: -2,
    flags: ["readonly"],
    keys: NO_KEYS,
    summary: "Documents found through a secondary index, in index order.",
    handler: query,
  }),
];
