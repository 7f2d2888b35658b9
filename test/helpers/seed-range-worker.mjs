/**
 * Worker thread of test/helpers/seed-range.ts: loads the engine's TypeScript sources through
 * test/helpers/ts-loader.mjs (no build), runs the campaigns of its shard and posts the report.
 */
import { register } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

register("./ts-loader.mjs", import.meta.url);
const { runSeedRange } = await import("./seed-range.ts");
const { prefix, from, to, options } = workerData;
parentPort.postMessage(await runSeedRange(prefix, from, to, options));
