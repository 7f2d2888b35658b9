/**
 * `fusedb web`, end to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no
 * browser is ever downloaded; without Chromium or without a build these tests fail, loudly). Invariants:
 * - A key written by another process (this test process, through the server's HTTP API: the server's
 *   process owns the data directory, so nobody else may open it) appears in the page's table under the
 *   typed prefix with the version the write returned; keys outside the prefix never do; the snapshot shows
 *   keys written before the page loaded.
 * - The page's form sets, patches, increments, expires and deletes, each row showing the version the
 *   server reports; a TTL counts down; invalid JSON is refused and changes nothing.
 * - The crash button SIGKILLs a writer, recovers and shows the verdict: PASS, no acknowledged write lost,
 *   recovered >= acknowledged; the counters this test then reads from the crash directory itself are
 *   exactly what the page reported (value = version for every counter, total as shown).
 * - A burst larger than the subscriber queue evicts the tab (FUSEDB_SLOW_SUBSCRIBER); the page reconnects
 *   by itself, says it resynchronised, and shows every key of the burst.
 * - Without a browser: a tab whose socket stays over its buffered-bytes bound stops taking events, the
 *   engine evicts it, and the socket is closed with 4001 (the bound is real); prefix scan bounds are exact.
 * - Load: rows update and the sparklines show writes/s and p99; at phone width nothing scrolls sideways,
 *   every field has a label, and the prefix field is reachable with the keyboard.
 * Set FUSEDB_WEB_SCREENSHOT=1 to also write docs/web-view.png (the README's picture) during the load test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CRASH_KEYS } from "../cli/crash-child.js";
import { prefixRange, TabWatch, type WatchSocket } from "../cli/web/tab-watch.js";
import { open, SystemClock } from "../src/index.js";

const ROOT = join(import.meta.dirname, "..");
const CHROMIUM = "/usr/bin/chromium";
const BUILT_CLI = join(ROOT, "dist", "cli", "web", "web-command.js");
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** The server's subscriber queue bound in these tests: a 64-key burst must overflow it. */
const QUEUE_MAX = 16;
const BURST_KEYS = 64;
const SLOW_MS = 60_000;
/** How long a page gets to show a change: generous, the machine may be shared and loaded. */
const POLL_MS = 20_000;
/** Documents of the backpressure test: 8 per batch, 1 MiB per batch. */
const BIG_VALUE_BYTES = 128 * 1024;
/** Bound on that test's batches (200 MiB); a few are enough to fill the socket's buffers. */
const BIG_BATCHES_MAX = 200;

describe("tab watch without a browser", () => {
  it("prefix bounds hold exactly the keys starting with the prefix", () => {
    expect(prefixRange("")).toEqual({});
    const r = prefixRange("user:");
    expect(Buffer.from(r.gte as Uint8Array).toString()).toBe("user:");
    expect(Buffer.from(r.lt as Uint8Array).toString()).toBe("user;");
    const ff = prefixRange("a");
    expect([...(ff.lt as Uint8Array)]).toEqual([0x62]);
  });

  it("a socket stuck over its buffered bound makes the engine evict the tab: close 4001", async () => {
    const db = await open("web-mem", { durability: "memory" });
    const sent: string[] = [];
    const closed: [number, string][] = [];
    const socket: WatchSocket = {
      readyState: 1,
      bufferedAmount: 10_000, // over the bound below and never drained: write callbacks never run
      send: (data) => {
        sent.push(data);
      },
      close: (code, reason) => {
        closed.push([code, reason]);
      },
    };
    const watch = new TabWatch(db, new SystemClock(), socket, { queueMax: 4, bufferedBytesMax: 1000 });
    const done = watch.watch(7, "k:");
    await db.set("k:0", 0); // may land in the snapshot or as the first event
    for (let i = 1; i <= 10; i++) await db.set(`k:${i}`, i); // one at a time: no burst, only the stall
    await done;
    expect(closed).toHaveLength(1);
    expect(closed[0]?.[0]).toBe(4001);
    expect(closed[0]?.[1]).toContain("FUSEDB_SLOW_SUBSCRIBER");
    // The pump stopped after the first event it sent (k:0's, queued since the subscribe): k:1..k:4 filled
    // the engine's queue of 4 and k:5 evicted the tab while the socket was still over its bound.
    const kinds = sent.map((s) => (JSON.parse(s) as { type: string; key?: string }).type);
    expect(kinds).toEqual(["snapshot", "event"]);
    expect((JSON.parse(sent[1] ?? "{}") as { key?: string }).key).toBe("k:0");
    await db.close();
  });
});

describe("prerequisites of the browser tests", () => {
  // Counted as a failed test of its own (the browser tests are then skipped by their failing beforeAll).
  it("Debian's Chromium is at /usr/bin/chromium and the CLI is built", () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`).toBe(true);
    expect(existsSync(BUILT_CLI), `${BUILT_CLI} missing: npm run build`).toBe(true);
  });
});

describe("fusedb web in Chromium", () => {
  let dir = "";
  let server: ChildProcess | undefined;
  let base = "";
  let browser: BrowserContext | undefined;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
    }
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), "fusedb-web-"));
    server = spawn(
      process.execPath,
      [join(ROOT, "bin", "fusedb.js"), "web", dir, "--port", "0", "--queue-max", String(QUEUE_MAX)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    base = await serverUrl(server);
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "fusedb-chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = await browser.newPage();
    page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise<number | null>((resolve) => server?.once("exit", resolve));
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  async function watchPrefix(p: Page, prefix: string): Promise<void> {
    await p.getByLabel("Key prefix").fill(prefix);
    await p.getByLabel("Key prefix").press("Enter");
    await poll(() => p.locator("#connection").textContent()).toContain(`watching “${prefix}”`);
  }

  const row = (p: Page, key: string) => p.locator(`#keys-table tbody tr[data-key="${key}"]`);
  const cells = async (p: Page, key: string): Promise<string[]> =>
    (await row(p, key).locator("th, td").allTextContents()).map((t) => t.trim());

  it("shows a key another process writes, with its version; the form writes; TTL counts down", async () => {
    expect((await post(base, "set", { key: "user:pre", value: "early" })).version).toBe(1);
    await page.goto(base);
    await watchPrefix(page, "user:");
    await poll(() => cells(page, "user:pre")).toEqual(["user:pre", '"early"', "string", "1", "–"]);

    const ada = await post(base, "set", { key: "user:ada", value: { name: "Ada" } });
    await post(base, "set", { key: "other:x", value: 1 });
    await poll(() => cells(page, "user:ada")).toEqual([
      "user:ada",
      '{"name":"Ada"}',
      "object",
      String(ada.version),
      "–",
    ]);
    const patched = await post(base, "patch", { key: "user:ada", patch: { born: 1815 } });
    expect(patched.version).toBe(2);
    await poll(async () => (await cells(page, "user:ada"))[3]).toBe("2");
    expect(await row(page, "other:x").count()).toBe(0);

    // The form, driven from the keyboard: type into labelled fields, press Enter on the buttons.
    const result = page.locator("#write-result");
    await page.getByLabel("Key", { exact: true }).fill("user:n");
    await page.getByLabel("Increment by").fill("5");
    await page.getByRole("button", { name: "Increment" }).press("Enter");
    await poll(() => result.textContent()).toBe("OK incr user:n: version 1 value 5");
    await poll(() => cells(page, "user:n")).toEqual(["user:n", "5", "number", "1", "–"]);

    await page.getByLabel("Key", { exact: true }).fill("user:ada");
    await page.getByLabel("TTL in ms").fill("60000");
    await page.getByRole("button", { name: "Expire" }).press("Enter");
    await poll(async () => (await cells(page, "user:ada"))[3]).toBe("3");
    const ttl = async (): Promise<number> => Number.parseFloat((await cells(page, "user:ada"))[4] ?? "");
    const first = await ttl();
    expect(first).toBeGreaterThan(50);
    expect(first).toBeLessThanOrEqual(60);
    await poll(ttl).toBeLessThan(first - 0.5);

    await page.getByLabel("Key", { exact: true }).fill("user:n");
    await page.getByRole("button", { name: "Delete" }).press("Enter");
    await poll(() => row(page, "user:n").count()).toBe(0);

    await page.getByLabel("Key", { exact: true }).fill("user:ada");
    await page.getByLabel("Value or merge patch (JSON)").fill("{not json");
    await page.getByRole("button", { name: "Set", exact: true }).press("Enter");
    await poll(() => result.textContent()).toContain("FUSEDB_INVALID_JSON");
    const got = await get(base, "user:ada");
    expect(got.version).toBe(3);
    expect(got.value).toEqual({ name: "Ada", born: 1815 });
  });

  it("crash: SIGKILL a writer, recover, show the verdict; no acknowledged write lost", async () => {
    await page.goto(base);
    let total = 0;
    for (let round = 1; round <= 2; round++) {
      await page.getByRole("button", { name: "Crash a writer (SIGKILL)" }).click();
      const figures = await crashFigures(page, round);
      expect(figures.round).toBe(round);
      expect(figures.acknowledged).toBeGreaterThan(0);
      expect(figures.lostAcknowledged).toBe(0);
      expect(figures.recovered).toBeGreaterThanOrEqual(figures.acknowledged);
      expect(figures.recovered).toBeLessThanOrEqual(figures.issued);
      expect(figures.replayedRecords).toBeGreaterThan(0);
      expect(figures.countersTotal).toBe(total + figures.recovered);
      total = figures.countersTotal;
      expect(await page.locator("#crash-verdict").textContent()).toContain("no acknowledged write lost");
    }
    // Read the crash directory directly (the server closed it after the round): the page told the truth.
    const db = await open(join(dir, "crash"));
    try {
      let sum = 0;
      for (const key of CRASH_KEYS) {
        const got = await db.get(key);
        const value = (got?.value ?? 0) as number;
        expect(value).toBe(await db.versionOf(key));
        sum += value;
      }
      expect(sum).toBe(total);
    } finally {
      await db.close();
    }
  });

  it("load: rows update live and the sparklines show writes per second and p99", async () => {
    await page.goto(base);
    await watchPrefix(page, "load:");
    await page.getByRole("button", { name: "Run load for 10 s" }).click();
    await poll(() => page.getByRole("button", { name: "Stop load" }).count()).toBe(1);
    // Extend the run (the API restarts its clock), so the Stop press below cannot race its natural end.
    expect((await post(base, "load", { seconds: 60 })).running).toBe(true);
    try {
      await poll(() => page.locator("#keys-table tbody tr").count(), SLOW_MS).toBe(64);
      const wps = async (): Promise<number> =>
        Number(((await page.locator("#wps-now").textContent()) ?? "").replace(/,/g, ""));
      await poll(wps, SLOW_MS).toBeGreaterThan(0);
      await poll(() => page.locator("#p99-now").textContent(), SLOW_MS).toMatch(/^[0-9.]+$/);
      expect(await page.locator("#wps-chart polyline").count()).toBeGreaterThan(0);
      expect(await page.locator("#wps-chart").getAttribute("aria-label")).toMatch(/^Writes per second, last/);
      await page.getByRole("button", { name: "Stop load" }).click();
      await poll(() => page.getByRole("button", { name: "Run load for 10 s" }).count(), SLOW_MS).toBe(1);
    } finally {
      await post(base, "load", { seconds: 0 }); // never leave load running into the next test
    }
    if (process.env.FUSEDB_WEB_SCREENSHOT === "1") await screenshot(page);
    // Every row shows what the database holds now.
    for (const key of ["load:00", "load:63"]) {
      const got = await get(base, key);
      await poll(async () => (await cells(page, key))[3]).toBe(String(got.version));
    }
  });

  it("a burst past the subscriber queue evicts the tab; it reconnects and resynchronises", async () => {
    await page.goto(base);
    await watchPrefix(page, "burst:");
    expect(await page.locator("#sync").getAttribute("data-resyncs")).toBe("0");
    await poll(() => page.locator("#connection").textContent()).toContain("(connection 1)");
    const mutations = Array.from({ length: BURST_KEYS }, (_, i) => ({
      op: "set",
      key: `burst:${String(i).padStart(2, "0")}`,
      value: i,
    }));
    await post(base, "batch", { mutations }); // one record: 64 events at once, the queue holds 16
    await poll(() => page.locator("#sync").getAttribute("data-resyncs"), SLOW_MS).toBe("1");
    const sync = (await page.locator("#sync").textContent()) ?? "";
    expect(sync).toContain(
      `Resynchronised after eviction (this tab fell more than ${QUEUE_MAX} events behind)`,
    );
    await poll(() => page.locator("#connection").textContent()).toContain("(connection 2)");
    expect(await page.locator("#keys-table tbody tr").count()).toBe(BURST_KEYS);
    expect(await cells(page, "burst:63")).toEqual(["burst:63", "63", "number", "1", "–"]);
  });

  it("a tab that stops reading is evicted once its socket passes the buffered bound (real TCP)", async () => {
    // A WebSocket client that stops reading: the kernel buffers fill, then ws's bufferedAmount grows.
    const tab = new WebSocket(`ws://${new URL(base).host}/ws`, { origin: base.slice(0, -1) });
    const received: { type: string }[] = [];
    const closed = new Promise<[number, string]>((resolve) =>
      tab.on("close", (code, reason) => resolve([code, reason.toString()])),
    );
    tab.on("message", (data) => received.push(JSON.parse(String(data)) as { type: string }));
    await new Promise((resolve) => tab.once("open", resolve));
    tab.send(JSON.stringify({ type: "watch", id: 1, prefix: "big:" }));
    await poll(() => received.some((m) => m.type === "snapshot")).toBe(true);
    const subscribers = async (): Promise<number> =>
      ((await (await fetch(`${base}api/stats`)).json()) as { subscribers: number }).subscribers;
    const before = await subscribers();
    tab.pause();
    const value = "x".repeat(BIG_VALUE_BYTES);
    let batches = 0;
    // Each batch is 8 events, half the queue bound: only a stalled pump can let 17 pile up.
    while ((await subscribers()) === before && batches < BIG_BATCHES_MAX) {
      const mutations = Array.from({ length: 8 }, (_, i) => ({ op: "set", key: `big:${i}`, value }));
      await post(base, "batch", { mutations });
      batches++;
    }
    expect(await subscribers()).toBe(before - 1);
    expect(batches).toBeGreaterThan(2); // the socket took a few MB before its bound was passed
    tab.resume();
    const [code, reason] = await closed;
    expect(code).toBe(4001);
    expect(reason).toContain("FUSEDB_SLOW_SUBSCRIBER");
    expect(received.filter((m) => m.type === "event").length).toBeLessThan(batches * 8);
  });

  it("phone width: no sideways scrolling, labelled fields, prefix reachable by keyboard", async () => {
    const phone = await browser?.newPage();
    if (phone === undefined) throw new Error("no browser");
    await phone.setViewportSize({ width: 375, height: 740 });
    await phone.goto(base);
    await poll(() => phone.locator("#connection").textContent()).toContain("Live");
    // Evaluated in the page (strings: this project's TypeScript has no DOM types).
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    const unlabelled = await phone.evaluate(
      '[...document.querySelectorAll("input, textarea")].filter((el) => el.labels.length === 0).map((el) => el.id)',
    );
    expect(unlabelled).toEqual([]);
    let tabs = 0;
    while ((await phone.evaluate("document.activeElement?.id")) !== "prefix" && tabs < 10) {
      await phone.keyboard.press("Tab");
      tabs++;
    }
    expect(tabs).toBeLessThan(10);
    await phone.keyboard.type("user:");
    await phone.keyboard.press("Enter");
    await poll(() => phone.locator("#connection").textContent()).toContain("watching “user:”");
    await poll(() => cells(phone, "user:pre")).toEqual(["user:pre", '"early"', "string", "1", "–"]);
    await phone.close();
  });
});

/** The README's picture: a few varied rows under "user:", the load's sparklines, the last crash verdict. */
async function screenshot(page: Page): Promise<void> {
  const base = new URL(page.url()).origin;
  await post(`${base}/`, "set", {
    key: "user:grace",
    value: { name: "Grace", langs: ["COBOL", "FLOW-MATIC"] },
    ttlMs: 300_000,
  });
  await post(`${base}/`, "incr", { key: "user:visits", delta: 42 });
  await page.emulateMedia({ reducedMotion: "reduce" });
  await page.getByLabel("Key prefix").fill("user:");
  await page.getByLabel("Key prefix").press("Enter");
  await poll(() => page.locator("#keys-table tbody tr").count()).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: join(ROOT, "docs", "web-view.png"), fullPage: true });
  await page.getByLabel("Key prefix").fill("load:");
  await page.getByLabel("Key prefix").press("Enter");
  await poll(() => page.locator("#keys-table tbody tr").count()).toBe(64);
}

/** `expect.poll` with room for a loaded machine. */
function poll<T>(fn: () => T | Promise<T>, timeout = POLL_MS) {
  return expect.poll(fn, { timeout });
}

/** Resolves with the URL the server prints once it listens. */
function serverUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) throw new Error("no stdout");
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(line);
      if (m !== null) resolve(m[0]);
    });
    child.once("exit", (code) => reject(new Error(`fusedb web exited early with code ${code}`)));
  });
}

interface Reply {
  ok: boolean;
  version: number;
  running?: boolean;
  value?: unknown;
  code?: string;
}

async function post(base: string, name: string, body: object): Promise<Reply> {
  const res = await fetch(`${base}api/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const reply = (await res.json()) as Reply;
  expect(reply.ok, JSON.stringify(reply)).toBe(true);
  return reply;
}

async function get(base: string, key: string): Promise<Reply> {
  const res = await fetch(`${base}api/get?key=${encodeURIComponent(key)}`);
  return (await res.json()) as Reply;
}

/** The crash panel's figures, as numbers (the `data-field` names of its <dd>s). */
interface CrashFigures {
  round: number;
  issued: number;
  acknowledged: number;
  recovered: number;
  lostAcknowledged: number;
  replayedRecords: number;
  countersTotal: number;
}

/** Waits for round `round`'s verdict and reads the figures the page shows. */
async function crashFigures(page: Page, round: number): Promise<CrashFigures> {
  const verdict = page.locator("#crash-verdict");
  await poll(() => verdict.textContent(), SLOW_MS).toMatch(new RegExp(`round ${round},`));
  expect(await verdict.getAttribute("data-verdict")).toBe("pass");
  const out: Record<string, number> = {};
  for (const dd of await page.locator("#crash-figures dd").all()) {
    const field = (await dd.getAttribute("data-field")) ?? "";
    out[field] = Number.parseFloat(((await dd.textContent()) ?? "").replace(/,/g, ""));
  }
  const figure = (name: keyof CrashFigures): number => {
    const v = out[name];
    expect(Number.isFinite(v), `crash figure ${name}: ${v}`).toBe(true);
    return v as number;
  };
  return {
    round: figure("round"),
    issued: figure("issued"),
    acknowledged: figure("acknowledged"),
    recovered: figure("recovered"),
    lostAcknowledged: figure("lostAcknowledged"),
    replayedRecords: figure("replayedRecords"),
    countersTotal: figure("countersTotal"),
  };
}
