/**
 * The examples in examples/ (README "Examples"), each run against a database on a virtual clock, so TTLs and
 * windows are checked to the millisecond. Invariants: the fixed-window limiter allows exactly `limit` hits
 * per window and resets when the window's counter expires; the token bucket never spends a token twice,
 * even under concurrent callers, and refills with time; sessions expire after idling and `touch` extends
 * them; quota charges never pass the limit, even concurrently; the dashboard sees every durable change;
 * the job queue runs every job once, in order, on idle workers woken by pushes, whose wait ends on the clock;
 * the sliding-window limiter (one atomic sorted-set call per request) never overshoots, even under
 * concurrent callers, and frees capacity exactly as old requests leave the window; users by email (a unique
 * index) refuses a taken email even between racing sign-ups and frees an address on change or removal; the
 * leaderboard (an index on score) answers top N, pages and bands in score order as scores change.
 */
import { describe, expect, it } from "vitest";
import { countInWindow, countView, credit, lock, unlock } from "../examples/counters-strings.js";
import { runDashboard } from "../examples/dashboard.js";
import { jobQueue } from "../examples/job-queue.js";
import { leaderboard } from "../examples/leaderboard.js";
import { consume, setQuota, usageReport } from "../examples/quota.js";
import { hitFixedWindow } from "../examples/rate-limiter-fixed-window.js";
import { sessionStore } from "../examples/session-store.js";
import { hitSlidingWindow } from "../examples/sliding-window-rate-limiter.js";
import { takeToken } from "../examples/token-bucket.js";
import { userDirectory } from "../examples/users-by-email.js";
import { SimClock } from "../sim/disk/sim-clock.js";
import { SimFileSystem } from "../sim/disk/sim-file-system.js";
import { FuseDB } from "../src/db.js";
import type { Json } from "../src/doc/json.js";

async function openOn(clock: SimClock, durability: "fsync" | "memory" = "memory"): Promise<FuseDB> {
  return FuseDB.open({ dir: "db", fs: new SimFileSystem({ latency: false }), clock, durability });
}

describe("examples", () => {
  it("fixed-window rate limiter", async () => {
    const clock = new SimClock();
    const db = await openOn(clock, "fsync");
    const hits = [];
    for (let i = 0; i < 5; i++) hits.push(await hitFixedWindow(db, "alice", 3, 1000));
    expect(hits.map((h) => h.allowed)).toEqual([true, true, true, false, false]);
    expect(hits[0]?.resetMs).toBe(1000);
    clock.advance(999);
    expect((await hitFixedWindow(db, "alice", 3, 1000)).allowed).toBe(false);
    clock.advance(1);
    expect(await hitFixedWindow(db, "alice", 3, 1000)).toEqual({ allowed: true, count: 1, resetMs: 1000 });
    await db.close();
  });

  it("sliding-window rate limiter on a sorted set, with concurrent callers", async () => {
    const clock = new SimClock();
    const db = await openOn(clock, "fsync");
    const t0 = clock.now();
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => hitSlidingWindow(db, "carol", `r${i}`, 5, 1000, t0)),
    );
    expect(burst.filter((d) => d.allowed).length).toBe(5);
    expect(await db.zsets.zcard("sw:carol")).toBe(5);
    expect((await hitSlidingWindow(db, "carol", "r8", 5, 1000, t0 + 999)).allowed).toBe(false);
    const later = await hitSlidingWindow(db, "carol", "r9", 5, 1000, t0 + 1000);
    expect(later).toEqual({ allowed: true, count: 1 });
    await db.close();
  });

  it("token bucket, with concurrent callers", async () => {
    const clock = new SimClock();
    const db = await openOn(clock);
    const t = clock.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => takeToken(db, "bob", t, 5, 1)));
    expect(results.filter(Boolean).length).toBe(5);
    clock.advance(2000);
    expect(await takeToken(db, "bob", clock.now(), 5, 1)).toBe(true);
    expect(await takeToken(db, "bob", clock.now(), 5, 1)).toBe(true);
    expect(await takeToken(db, "bob", clock.now(), 5, 1)).toBe(false);
    await db.close();
  });

  it("session store with TTL", async () => {
    const clock = new SimClock();
    const db = await openOn(clock, "fsync");
    const sessions = sessionStore(db, 30_000);
    await sessions.create("s1", { user: "vaibhav" });
    await expect(sessions.create("s1", {})).rejects.toMatchObject({ code: "FUSEDB_VERSION_CONFLICT" });
    clock.advance(20_000);
    expect(await sessions.touch("s1")).toBe(true);
    await sessions.update("s1", { cart: 2 });
    clock.advance(20_000);
    expect(await sessions.get("s1")).toEqual({ user: "vaibhav", cart: 2 });
    expect(await sessions.ttl("s1")).toBe(10_000);
    clock.advance(10_000);
    expect(await sessions.get("s1")).toBeUndefined();
    expect(await sessions.touch("s1")).toBe(false);
    await db.close();
  });

  it("per-tenant quota counters", async () => {
    const clock = new SimClock();
    const db = await openOn(clock);
    await setQuota(db, "acme", 10);
    await setQuota(db, "globex", 3);
    const charged = await Promise.all(Array.from({ length: 6 }, () => consume(db, "acme", 2, 60_000)));
    expect(charged.filter((c) => c !== undefined).length).toBe(5);
    expect(await consume(db, "globex", 4, 60_000)).toBeUndefined();
    expect(await consume(db, "globex", 3, 60_000)).toBe(3);
    expect(await usageReport(db)).toEqual({ acme: 10, globex: 3 });
    clock.advance(60_000); // a new period
    expect(await usageReport(db)).toEqual({});
    expect(await consume(db, "acme", 2, 60_000)).toBe(2);
    await db.close();
  });

  it("live dashboard subscription", async () => {
    const clock = new SimClock();
    const db = await openOn(clock, "fsync");
    await db.set("metric:cpu", 10);
    const views: string[] = [];
    const ctl = new AbortController();
    const done = runDashboard(db, (v) => views.push(JSON.stringify([...v])), ctl.signal);
    await db.incr("metric:cpu", 5);
    await db.set("metric:mem", { used: 1 });
    await db.set("other", 1);
    await db.delete("metric:cpu");
    for (let i = 0; i < 20; i++) await Promise.resolve();
    ctl.abort();
    await done;
    const last = JSON.parse(views[views.length - 1] ?? "[]") as [string, Json][];
    expect(last).toEqual([["metric:mem", { used: 1 }]]);
    expect(views[0]).toBe(JSON.stringify([["metric:cpu", 10]]));
    await db.close();
  });

  it("counters and small values on strings", async () => {
    const clock = new SimClock();
    const db = await openOn(clock, "fsync");
    expect(await countView(db, "home")).toBe(1);
    expect(await countView(db, "home")).toBe(2);
    expect(await countInWindow(db, "ann", 60)).toBe(1);
    expect(await countInWindow(db, "ann", 60)).toBe(2);
    clock.advance(60_000);
    expect(await countInWindow(db, "ann", 60)).toBe(1);
    await credit(db, "ann", "10.50");
    expect(await credit(db, "ann", 0.1)).toBe("10.6");
    expect(await lock(db, "job", "w1", 5000)).toBe(true);
    expect(await lock(db, "job", "w2", 5000)).toBe(false);
    expect(await unlock(db, "job", "w2")).toBe(false);
    expect(await unlock(db, "job", "w1")).toBe(true);
    expect(await lock(db, "job", "w2", 5000)).toBe(true);
    await db.close();
  });

  it("job queue on a list with blocking pop", async () => {
    const clock = new SimClock();
    const db = await openOn(clock, "fsync");
    const queue = jobQueue(db, "jobs");
    const ran: string[] = [];
    const handler = (who: string) => (job: Json) => {
      ran.push(`${who}:${(job as { n: number }).n}`);
    };
    // Both workers find the queue empty and block; pushes wake them oldest first.
    const workers = [queue.work(handler("w1"), 10), queue.work(handler("w2"), 10)];
    for (let n = 1; n <= 5; n++) await queue.enqueue({ n });
    for (let i = 0; i < 200 && ran.length < 5; i++) await new Promise((r) => setImmediate(r));
    expect(ran.map((r) => r.split(":")[1])).toEqual(["1", "2", "3", "4", "5"]);
    expect(ran[0]).toBe("w1:1");
    expect(await queue.counts()).toEqual({ pending: 0, processing: 0 });
    clock.advance(9_999);
    await new Promise((r) => setImmediate(r));
    clock.advance(1);
    const counts = await Promise.all(workers);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    // A worker that died mid-job leaves it on the processing list; requeueing puts it back first.
    await queue.enqueue({ n: 6 });
    await queue.enqueue({ n: 7 });
    await expect(queue.work(() => Promise.reject(new Error("crash")), 1)).rejects.toThrow("crash");
    expect(await queue.counts()).toEqual({ pending: 1, processing: 1 });
    expect(await queue.requeueStalled()).toBe(1);
    const late = queue.work(handler("w3"), 1);
    for (let i = 0; i < 200 && ran.length < 7; i++) await new Promise((r) => setImmediate(r));
    clock.advance(1000);
    expect(await late).toBe(2);
    expect(ran.slice(5)).toEqual(["w3:6", "w3:7"]);
    await db.close();
  });

  it("users by email: a unique index", async () => {
    const db = await openOn(new SimClock(), "fsync");
    const users = await userDirectory(db);
    expect(await users.signUp("ann", "ann@x.org")).toBe(true);
    const race = await Promise.all([
      users.signUp("bob", "shared@x.org"),
      users.signUp("bea", "shared@x.org"),
    ]);
    expect(race.filter(Boolean).length).toBe(1);
    expect(await users.signUp("cat", "ann@x.org")).toBe(false);
    expect((await users.byEmail("ann@x.org"))?.id).toBe("ann");
    await expect(users.changeEmail("ann", "shared@x.org")).rejects.toMatchObject({
      code: "FUSEDB_UNIQUE_VIOLATION",
    });
    await users.changeEmail("ann", "ann@y.org");
    expect(await users.byEmail("ann@x.org")).toBeUndefined();
    expect(await users.signUp("cat", "ann@x.org")).toBe(true);
    await users.remove("cat");
    expect(await users.signUp("dan", "ann@x.org")).toBe(true);
    await db.close();
  });

  it("leaderboard: a query on an indexed score", async () => {
    const db = await openOn(new SimClock(), "fsync");
    const board = await leaderboard(db);
    await Promise.all(["ann", "bob", "cat", "dan", "eve"].map((p, i) => board.addPoints(p, (i + 1) * 10)));
    await board.addPoints("ann", 45);
    expect(await board.top(3)).toEqual([
      { name: "ann", score: 55 },
      { name: "eve", score: 50 },
      { name: "dan", score: 40 },
    ]);
    expect(await board.below(40, 2)).toEqual([
      { name: "cat", score: 30 },
      { name: "bob", score: 20 },
    ]);
    expect((await board.band(20, 40)).map((r) => r.name)).toEqual(["bob", "cat", "dan"]);
    await db.close();
  });
});
