/**
 * The Redis reference model (sim/redis-model/) against a real Redis 7.0 (Debian's redis-server, started
 * privately on a free port with persistence off). For several seeds (printed; FUSEDB_TEST_SEED replays),
 * thousands of seeded random commands over a few keys and small member alphabets, covering every command
 * family the model implements with edge-case arguments, go to both. Invariants checked:
 * - every reply is the model's exactly (errors by their full text), except where Redis's order is
 *   unspecified (compared as multisets), its values random (SPOP/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: count,
 *   membership, distinctness; SPOP then moves the model in step) or time-dependent (TTL family: within a
 *   slack, since the harness reads wall time a few ms apart from Redis);
 * - every so often and at the end, each key's type, whole value and expiry agree;
 * - the harness can fail: a key present only in the model is reported.
 * A mismatch resets both sides (FLUSHALL, empty model) so one run lists several; the test fails if any.
 * Skipped, with a message, when redis-server is not installed (CI installs it: .ci/run).
 */
import { createClient, RESP_TYPES } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../sim/disk/prng.js";
import { hashes, keys, lists, RedisKeyspace, sets, strings, zsets } from "../sim/redis-model/index.js";
import { type Gen, KEYS } from "./helpers/redis-diff-alphabet.js";
import { HASH_STEPS, LIST_STEPS, SET_STEPS } from "./helpers/redis-diff-gen-collections.js";
import { KEY_STEPS, STRING_STEPS, type StepGen } from "./helpers/redis-diff-gen-strings.js";
import { ZSET_STEPS } from "./helpers/redis-diff-gen-zsets.js";
import {
  bulk,
  exact,
  flatEntries,
  loose,
  normalizeReply,
  type Reply,
  type Step,
  unordered,
} from "./helpers/redis-diff-steps.js";
import { hasRedisServer, type RedisServerProcess, startRedisServer } from "./helpers/redis-server-process.js";
import { testSeed } from "./helpers/seed.js";

const SEEDS_PER_RUN = 5;
const STEPS_PER_SEED = 4000;
/** Whole-state comparison every this many steps. */
const STATE_CHECK_EVERY = 250;

const BY_TYPE: Record<string, StepGen[]> = {
  string: STRING_STEPS,
  hash: HASH_STEPS,
  list: LIST_STEPS,
  set: SET_STEPS,
  zset: ZSET_STEPS,
};
const ALL_STEPS = [...STRING_STEPS, ...KEY_STEPS, ...HASH_STEPS, ...LIST_STEPS, ...SET_STEPS, ...ZSET_STEPS];

function makeClient(port: number) {
  return createClient({ url: `redis://127.0.0.1:${port}`, RESP: 2 }).withTypeMapping({
    [RESP_TYPES.NUMBER]: String,
    [RESP_TYPES.BLOB_STRING]: Buffer,
    [RESP_TYPES.SIMPLE_STRING]: String,
  });
}
type Client = ReturnType<typeof makeClient>;

async function send(client: Client, argv: string[]): Promise<Reply> {
  try {
    return normalizeReply(await client.sendCommand(argv.map((a) => Buffer.from(a, "latin1"))));
  } catch (e) {
    return normalizeReply(e);
  }
}

/** Steps that read one key's whole state: type, value (by type) and expiry. */
function stateSteps(ks: RedisKeyspace, nowMs: number): Step[] {
  return KEYS.flatMap((k) => {
    const type = keys.type(ks, k, nowMs);
    const value: Record<string, Step> = {
      string: exact(["GET", k], (m, now) => bulk(strings.get(m, k, now))),
      hash: unordered(["HGETALL", k], 2, (m, now) => hashes.hgetall(m, k, now).flat()),
      list: exact(["LRANGE", k, "0", "-1"], (m, now) => lists.lrange(m, k, 0, -1, now)),
      set: unordered(["SMEMBERS", k], 1, (m, now) => sets.smembers(m, k, now)),
      zset: exact(["ZRANGE", k, "0", "-1", "WITHSCORES"], (m, now) => flatEntries(zsets.zentries(m, k, now))),
    };
    const steps = [
      exact(["TYPE", k], (m, now) => keys.type(m, k, now)),
      loose(["PEXPIRETIME", k], 10_000, (m, now) => String(keys.expiretime(m, k, true, now))),
    ];
    const read = value[type];
    return read ? [...steps, read] : steps;
  });
}

interface RunResult {
  sent: Map<string, number>;
  errors: number;
  mismatches: string[];
}

async function runSeed(client: Client, seed: number, steps: number, result: RunResult): Promise<void> {
  const r = new Prng(seed);
  let ks = new RedisKeyspace();
  await send(client, ["FLUSHALL", "SYNC"]);
  const recent: string[] = [];
  const setExpired = new Set<string>();
  const apply = async (step: Step, at: number): Promise<boolean> => {
    const real = await send(client, step.argv);
    const name = (step.argv[0] ?? "").toUpperCase();
    result.sent.set(name, (result.sent.get(name) ?? 0) + 1);
    if (real !== null && typeof real === "object" && !Array.isArray(real)) result.errors++;
    recent.push(JSON.stringify(step.argv));
    if (recent.length > 12) recent.shift();
    const problem = step.check(ks, real, Date.now());
    if (problem === undefined) return true;
    result.mismatches.push(
      `seed ${seed} step ${at} (replay: FUSEDB_TEST_SEED=${seed}): ${JSON.stringify(step.argv)}: ${problem}\n  after ${recent.join(" ")}`,
    );
    ks = new RedisKeyspace();
    await send(client, ["FLUSHALL", "SYNC"]);
    recent.length = 0;
    setExpired.clear();
    return false;
  };
  for (let at = 0; at < steps; at++) {
    const nowMs = Date.now();
    const g: Gen = { r, ks, nowMs, setExpired };
    const k = r.pick(KEYS);
    const own = BY_TYPE[keys.type(ks, k, nowMs)];
    // Mostly a command of the key's own type (plus EXPIRE, DEL, EXISTS), so commands meet live values;
    // otherwise any command, so WRONGTYPE and absent keys come up often too.
    const pool = own && r.bool(0.7) ? [...own, ...KEY_STEPS.slice(0, 4)] : ALL_STEPS;
    await apply(r.pick(pool)(g, k), at);
    if ((at + 1) % STATE_CHECK_EVERY === 0 || at === steps - 1) {
      for (const step of stateSteps(ks, Date.now())) if (!(await apply(step, at))) break;
    }
  }
}

const TITLE = hasRedisServer
  ? "the Redis model against a real redis-server"
  : "the Redis model against a real redis-server: SKIPPED, redis-server is not installed (apt-get install redis-server)";

if (!hasRedisServer) console.warn(`redis-model differential: ${TITLE.split(": ")[1]}`);

describe.skipIf(!hasRedisServer)(TITLE, () => {
  let server: RedisServerProcess;
  let client: Client;
  beforeAll(async () => {
    server = await startRedisServer();
    client = makeClient(server.port);
    client.on("error", () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it("replies and states agree over seeded random commands", async () => {
    const base = testSeed("redis-model differential");
    const seeds = Array.from({ length: SEEDS_PER_RUN }, (_, i) => base + i);
    console.log(`redis-model differential: ${server.version}; seeds ${seeds.join(", ")}`);
    const result: RunResult = { sent: new Map(), errors: 0, mismatches: [] };
    for (const seed of seeds) await runSeed(client, seed, STEPS_PER_SEED, result);
    const total = [...result.sent.values()].reduce((a, b) => a + b, 0);
    console.log(
      `redis-model differential: ${total} commands (${result.sent.size} kinds, ${result.errors} error replies), ${result.mismatches.length} mismatches`,
    );
    if (process.env.FUSEDB_DIFF_ALL) console.log(result.mismatches.join("\n"));
    expect(result.mismatches.slice(0, 10).join("\n")).toBe("");
    expect(result.errors).toBeGreaterThan(100);
    expect(result.sent.size).toBeGreaterThan(90);
  });

  it("the harness can fail: a key only the model holds is reported", async () => {
    await send(client, ["FLUSHALL", "SYNC"]);
    const ks = new RedisKeyspace();
    strings.set(ks, "k1", strings.asciiBytes("only in the model"), {}, Date.now());
    const problems = [];
    for (const step of stateSteps(ks, Date.now())) {
      problems.push(step.check(ks, await send(client, step.argv), Date.now()));
    }
    expect(problems).toContain('model "string" but redis "none"');
  });
});
