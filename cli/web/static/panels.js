// The write form, the rates panel (sparklines, load button) and the crash panel. Each talks to the JSON
// API of the server (POST /api/...) and shows what came back.

import { drawSparkline, format } from "./sparkline.js";

/** Points drawn per sparkline: two minutes at one per second. */
const POINTS_SHOWN = 120;

const $ = (id) => document.getElementById(id);

/** POSTs `body` as JSON to `/api/<name>`; resolves with the reply object (ok or not). */
export async function api(name, body) {
  const res = await fetch(`/api/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  try {
    return await res.json();
  } catch {
    return { ok: false, code: `HTTP_${res.status}`, message: res.statusText };
  }
}

export class WriteForm {
  constructor(form) {
    this.form = form;
    this.result = $("write-result");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit(e.submitter?.value ?? "set");
    });
  }

  /** Puts a key (and its value) from the table into the form. */
  pick(key, value) {
    $("write-key").value = key;
    if (value !== undefined) $("write-json").value = JSON.stringify(value);
    $("write-key").focus();
  }

  async submit(op) {
    const key = $("write-key").value;
    const body = { key };
    const ttl = $("write-ttl").value.trim();
    try {
      if (op === "set" || op === "patch") {
        const parsed = parseJson($("write-json").value);
        if (op === "set") body.value = parsed;
        else body.patch = parsed;
      }
      if (op === "set" && ttl !== "") body.ttlMs = Number(ttl);
      if (op === "incr") body.delta = Number($("write-delta").value || "1");
      if (op === "expire") body.ms = ttl === "" ? undefined : Number(ttl);
    } catch (err) {
      this.show(false, err.message);
      return;
    }
    this.show(null, `${op} ${key}…`);
    const r = await api(op, body);
    if (!r.ok) {
      this.show(false, `${r.code}: ${r.message}`);
      return;
    }
    const value = r.value === undefined ? "" : ` value ${JSON.stringify(r.value)}`;
    this.show(true, `OK ${op} ${key}: version ${r.version}${value}`);
  }

  show(ok, text) {
    this.result.dataset.ok = ok === null ? "" : String(ok);
    this.result.textContent = text;
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('FUSEDB_INVALID_JSON: the value must be JSON (a string needs quotes: "hello")');
  }
}

export class RatesPanel {
  constructor() {
    this.points = [];
    this.running = false;
    this.button = $("load-button");
    this.button.addEventListener("click", async () => {
      const r = await api("load", { seconds: this.running ? 0 : 10 });
      if (r.ok) this.load(r.running);
    });
  }

  history(points) {
    this.points = points.slice(-POINTS_SHOWN);
    this.draw();
  }

  point(p) {
    this.points.push(p);
    if (this.points.length > POINTS_SHOWN) this.points.shift();
    this.draw();
  }

  load(running) {
    this.running = running;
    this.button.textContent = running ? "Stop load" : "Run load for 10 s";
    this.button.setAttribute("aria-pressed", String(running));
  }

  draw() {
    const last = this.points[this.points.length - 1];
    $("wps-now").textContent = format(last?.writesPerSec ?? null);
    $("p99-now").textContent = format(last?.p99Ms ?? null);
    drawSparkline(
      $("wps-chart"),
      this.points.map((p) => p.writesPerSec),
      "Writes per second",
      "writes/s",
    );
    drawSparkline(
      $("p99-chart"),
      this.points.map((p) => p.p99Ms),
      "p99 write latency",
      "ms",
    );
  }
}

export class CrashPanel {
  constructor() {
    this.button = $("crash-button");
    this.verdict = $("crash-verdict");
    this.button.addEventListener("click", async () => {
      this.show({ state: "running" });
      const r = await api("crash", {});
      if (r.ok) this.show({ state: "done", summary: r.summary });
      else if (r.code !== "CRASH_BUSY") this.show({ state: "failed", message: `${r.code}: ${r.message}` });
    });
  }

  /** Shows a crash message: {state: "running"} | {state: "done", summary?} | {state: "failed", message}. */
  show(m) {
    this.button.disabled = m.state === "running";
    if (m.state === "running") {
      this.setVerdict("running", "Running: the child is incrementing; it will be killed at a random moment…");
      return;
    }
    if (m.state === "failed") {
      this.setVerdict("error", `The round could not run: ${m.message}`);
      return;
    }
    const s = m.summary;
    if (s === undefined || s === null) return;
    for (const dd of document.querySelectorAll("#crash-figures dd")) {
      dd.textContent = describe(dd.dataset.field, s);
    }
    $("crash-figures").hidden = false;
    $("crash-violations").replaceChildren(
      ...s.violations.map((v) => Object.assign(document.createElement("li"), { textContent: v })),
    );
    const lost = s.lostAcknowledged === 0 ? "no acknowledged write lost" : `${s.lostAcknowledged} LOST`;
    this.setVerdict(
      s.pass ? "pass" : "fail",
      `${s.pass ? "PASS" : "FAIL"}: round ${s.round}, ${format(s.acknowledged)} acknowledged, ` +
        `${format(s.recovered)} recovered, ${lost}.`,
    );
  }

  setVerdict(state, text) {
    this.verdict.dataset.verdict = state;
    this.verdict.textContent = text;
  }
}

function describe(field, s) {
  switch (field) {
    case "killDelayMs":
      return `${format(s.killDelayMs)} ms`;
    case "recoveryMs":
      return `${format(s.recoveryMs)} ms (open took ${format(s.openWallMs)} ms of wall time)`;
    case "tornTail":
      return s.tornTail;
    default:
      return format(s[field]);
  }
}
