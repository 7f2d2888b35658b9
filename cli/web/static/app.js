// The page: connects to /ws, watches the typed prefix (snapshot, then events), and shows when the
// connection dropped and when the view was resynchronised. Panels (write form, rates, crash) are in
// panels.js.

import { Connection } from "./connection.js";
import { LiveTable } from "./live-table.js";
import { CrashPanel, RatesPanel, WriteForm } from "./panels.js";

/** TTL cells are redrawn this often, in ms. */
const TTL_TICK_MS = 200;

const $ = (id) => document.getElementById(id);

const writeForm = new WriteForm($("write-form"));
const table = new LiveTable($("keys-table").tBodies[0], $("keys-caption"), (key, value) =>
  writeForm.pick(key, value),
);
const rates = new RatesPanel();
const crash = new CrashPanel();
const connectionStatus = $("connection");
const syncStatus = $("sync");

/** The page's current watch: its number (replies with another number are stale) and prefix. */
const watch = { id: 0, prefix: new URLSearchParams(location.search).get("prefix") ?? "" };
/** Why the last connection ended, if it ended; the next snapshot then counts as a resynchronisation. */
let lastClose = null;
let resyncs = 0;
let limits = { queueMax: 0 };

const connection = new Connection(`ws://${location.host}/ws`, {
  open(n) {
    setConnection("connected", n === 1 ? "Connected" : `Reconnected (connection ${n})`);
    sendWatch();
  },
  message(m) {
    onMessage(m);
  },
  close(e, retryMs) {
    lastClose = e;
    if (e.code === 4001) {
      setConnection(
        "evicted",
        `Evicted as a slow subscriber (${e.reason || "FUSEDB_SLOW_SUBSCRIBER"}); reconnecting…`,
      );
    } else {
      setConnection("disconnected", `Disconnected (code ${e.code}); retrying in ${retryMs} ms…`);
    }
  },
});

function setConnection(state, text) {
  connectionStatus.dataset.state = state;
  connectionStatus.textContent = text;
}

function sendWatch() {
  watch.id += 1;
  connection.send({ type: "watch", id: watch.id, prefix: watch.prefix });
}

function onMessage(m) {
  switch (m.type) {
    case "hello":
      limits = m;
      rates.history(m.history);
      rates.load(m.load);
      crash.show(m.crash);
      return;
    case "snapshot":
      if (m.watch === watch.id) onSnapshot(m);
      return;
    case "event":
      if (m.watch === watch.id) table.apply(m);
      return;
    case "error":
      syncStatus.textContent = `Error ${m.code}: ${m.message}`;
      return;
    case "stats":
      rates.point(m.point);
      return;
    case "load":
      rates.load(m.running);
      return;
    case "crash":
      crash.show(m);
      return;
  }
}

function onSnapshot(m) {
  table.reset(m.prefix, m.rows, m.truncated);
  connection.healthy();
  const time = new Date().toLocaleTimeString();
  if (lastClose !== null) {
    resyncs += 1;
    const why =
      lastClose.code === 4001
        ? `eviction (this tab fell more than ${limits.queueMax} events behind)`
        : `a dropped connection (code ${lastClose.code})`;
    syncStatus.textContent = `Resynchronised after ${why} at ${time}: fresh snapshot of ${table.size} keys, live again. Resyncs: ${resyncs}.`;
    syncStatus.dataset.resyncs = String(resyncs);
    lastClose = null;
  }
  const what = m.prefix === "" ? "every key" : `“${m.prefix}”`;
  setConnection("live", `Live: watching ${what} (connection ${connection.opened})`);
}

$("watch-form").addEventListener("submit", (e) => {
  e.preventDefault();
  watch.prefix = $("prefix").value;
  const url = new URL(location.href);
  url.searchParams.set("prefix", watch.prefix);
  history.replaceState(null, "", url);
  sendWatch();
});

$("prefix").value = watch.prefix;
setInterval(() => table.tick(), TTL_TICK_MS);
connection.start();
