/**
 * The server's one command table: every command family, in the order COMMAND lists them. Families so far:
 * connection, server, keys (on documents), JSON (root path), fusedb's versions (FUSEDB.*), pub/sub,
 * transactions and FUNCTION (no functions: FLUSH and LIST only). The Redis
 * data types (strings, hashes, lists, sets, sorted sets) come with the engine's types.
 */
import { CommandTable } from "../command-table.js";
import { clientCommands } from "./client-command.js";
import { commandCommands } from "./command-command.js";
import { connectionCommands } from "./connection-commands.js";
import { functionCommands } from "./function-command.js";
import { fusedbCommands } from "./fusedb-commands.js";
import { hashCommands } from "./hash-commands.js";
import { indexCommands } from "./index-commands.js";
import { jsonCommands } from "./json-commands.js";
import { keyCommands } from "./key-commands.js";
import { lcsCommands } from "./lcs-command.js";
import { listBlockingCommands } from "./list-blocking-commands.js";
import { listCommands } from "./list-commands.js";
import { memoryCommands } from "./memory-command.js";
import { objectCommands } from "./object-command.js";
import { pubsubCommands } from "./pubsub-commands.js";
import { serverCommands } from "./server-commands.js";
import { setCommands } from "./set-commands.js";
import { sortCommands } from "./sort-command.js";
import { sqlCommands } from "./sql-command.js";
import { stringCommands } from "./string-commands.js";
import { swapdbCommands } from "./swapdb-command.js";
import { transactionCommands } from "./transaction-commands.js";
import { zsetBlockingCommands } from "./zset-blocking-commands.js";
import { zsetCommands } from "./zset-commands.js";

/** Builds the table (a fresh one per server, so tests may build their own). */
export function buildCommandTable(): CommandTable {
  return new CommandTable([
    ...connectionCommands,
    ...clientCommands,
    ...serverCommands,
    ...memoryCommands,
    ...commandCommands,
    ...functionCommands,
    ...keyCommands,
    ...objectCommands,
    ...sortCommands,
    ...swapdbCommands,
    ...jsonCommands,
    ...stringCommands,
    ...lcsCommands,
    ...hashCommands,
    ...setCommands,
    ...listCommands,
    ...listBlockingCommands,
    ...zsetCommands,
    ...zsetBlockingCommands,
    ...fusedbCommands,
    ...indexCommands,
    ...sqlCommands,
    ...pubsubCommands,
    ...transactionCommands,
  ]);
}
