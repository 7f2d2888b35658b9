// The table of keys under the watched prefix. State per key: the highest version seen, from the snapshot or
// from an event, so a change that arrives twice (in the snapshot and as an event queued before the scan) or
// late never takes a row back. Deletes and expiries are remembered by version for the same reason.
// Events only change that state and mark the key; the DOM is brought up to date once per animation frame,
// so a flood of events costs one redraw per frame (and nothing while the tab is hidden).

/** Longest value text shown in a cell; the full text is in the cell's title (up to TITLE_CHARS_MAX). */
const VALUE_CHARS_MAX = 160;
const TITLE_CHARS_MAX = 4000;
/** A changed row is highlighted for this long, unless the reader asked for reduced motion. */
const FLASH_MS = 1200;
const FLASH_KEYFRAMES = [{ backgroundColor: "var(--flash)" }, { backgroundColor: "transparent" }];
const REDUCED_MOTION = matchMedia("(prefers-reduced-motion: reduce)");

/** The JSON type of a value, as the Type column shows it. */
export function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Remaining time as the TTL column shows it: "12.3 s", "4 min 05 s", or "–" without expiry. */
export function formatTtl(ms) {
  if (ms === null) return "–";
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

export class LiveTable {
  /**
   * @param {HTMLTableSectionElement} body
   * @param {HTMLElement} caption
   * @param {(key: string, value: unknown) => void} onPick called when a key's button is pressed
   */
  constructor(body, caption, onPick) {
    this.body = body;
    this.caption = caption;
    this.onPick = onPick;
    /** @type {Map<string, {version: number, value: unknown, expiresAtMs: number | null, row: HTMLTableRowElement, flash?: Animation}>} */
    this.rows = new Map();
    /** Versions of keys deleted or expired while watched. */
    this.gone = new Map();
    this.prefix = "";
    this.truncated = false;
    /** Keys whose row changed since the last frame, and the pending frame (0: none). */
    this.dirty = new Set();
    this.frame = 0;
  }

  /** Replaces everything with a snapshot: rows {key, value, version, ttlMs}. */
  reset(prefix, rows, truncated) {
    this.prefix = prefix;
    this.truncated = truncated;
    this.rows.clear();
    this.gone.clear();
    this.dirty.clear();
    this.body.replaceChildren();
    const now = performance.now();
    for (const r of rows) {
      this.put(r.key, r.value, r.version, r.ttlMs, now, false);
      this.draw(this.rows.get(r.key), now, false);
    }
    this.updateCaption();
  }

  /** Applies one change event (the DOM follows at the next frame); returns whether it changed the state. */
  apply(event) {
    const known = this.rows.get(event.key)?.version ?? this.gone.get(event.key) ?? 0;
    if (event.version <= known) return false;
    if (event.kind === "delete") this.remove(event.key, event.version);
    else this.put(event.key, event.value, event.version, event.ttlMs, performance.now(), true);
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
    return true;
  }

  /** Redraws the rows changed since the last frame. */
  flush() {
    this.frame = 0;
    const now = performance.now();
    for (const key of this.dirty) {
      const r = this.rows.get(key);
      if (r !== undefined) this.draw(r, now, true);
    }
    this.dirty.clear();
    this.updateCaption();
  }

  /** Counts TTLs down; removes rows whose time is up (the engine hides them from reads at that moment). */
  tick() {
    const now = performance.now();
    let removed = false;
    for (const [key, r] of this.rows) {
      if (r.expiresAtMs === null) continue;
      const left = r.expiresAtMs - now;
      if (left <= 0) {
        this.remove(key, r.version);
        removed = true;
      } else {
        r.row.cells[4].textContent = formatTtl(left);
      }
    }
    if (removed) this.updateCaption();
  }

  get size() {
    return this.rows.size;
  }

  /** Updates a key's state; a new key gets its row now (in key order), drawn by the caller or the frame. */
  put(key, value, version, ttlMs, now, markDirty) {
    let r = this.rows.get(key);
    if (r === undefined) {
      r = { version, value, expiresAtMs: null, row: this.makeRow(key) };
      this.rows.set(key, r);
      this.gone.delete(key);
      this.insertSorted(key, r.row);
    }
    r.version = version;
    r.value = value;
    r.expiresAtMs = ttlMs === null || ttlMs === undefined ? null : now + ttlMs;
    if (markDirty) this.dirty.add(key);
  }

  draw(r, now, flash) {
    const text = JSON.stringify(r.value);
    const cells = r.row.cells;
    cells[1].firstChild.textContent =
      text.length > VALUE_CHARS_MAX ? `${text.slice(0, VALUE_CHARS_MAX)}…` : text;
    cells[1].title = text.length > VALUE_CHARS_MAX ? text.slice(0, TITLE_CHARS_MAX) : "";
    cells[2].textContent = typeOf(r.value);
    cells[3].textContent = String(r.version);
    cells[4].textContent = formatTtl(r.expiresAtMs === null ? null : r.expiresAtMs - now);
    if (flash && !REDUCED_MOTION.matches) {
      r.flash?.cancel();
      r.flash = r.row.animate(FLASH_KEYFRAMES, FLASH_MS);
    }
  }

  remove(key, version) {
    const r = this.rows.get(key);
    if (r !== undefined) {
      r.row.remove();
      this.rows.delete(key);
    }
    this.dirty.delete(key);
    this.gone.set(key, version);
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  makeRow(key) {
    const row = document.createElement("tr");
    row.dataset.key = key;
    const head = document.createElement("th");
    head.scope = "row";
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "key";
    pick.textContent = key;
    pick.title = "Edit this key in the write form";
    pick.addEventListener("click", () => this.onPick(key, this.rows.get(key)?.value));
    head.append(pick);
    const value = document.createElement("td");
    value.className = "value";
    value.append(document.createElement("code"));
    row.append(head, value);
    for (const name of ["type", "version", "ttl"]) {
      const cell = document.createElement("td");
      cell.className = name;
      row.append(cell);
    }
    return row;
  }

  /** Keeps rows in key order (UTF-16 order, which matches bytewise order below U+D800). */
  insertSorted(key, row) {
    const children = this.body.children;
    let lo = 0;
    let hi = children.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (children[mid].dataset.key < key) lo = mid + 1;
      else hi = mid;
    }
    this.body.insertBefore(row, children[lo] ?? null);
  }

  updateCaption() {
    const where = this.prefix === "" ? "every key" : `keys under “${this.prefix}”`;
    const more = this.truncated ? " (more keys exist than one snapshot carries: 1000 keys or 8 MiB)" : "";
    this.caption.textContent = `${this.rows.size} ${this.rows.size === 1 ? "key" : "keys"}: ${where}${more}`;
  }
}
