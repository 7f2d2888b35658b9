// The table of keys under the watched prefix. State per key: the highest version seen, from the snapshot or
// from an event, so a change that arrives twice (in the snapshot and as an event queued before the scan) or
// late never takes a row back. Deletes and expiries are remembered by version for the same reason.

/** Longest value text shown in a cell; the full text is in the cell's title (up to TITLE_CHARS_MAX). */
const VALUE_CHARS_MAX = 160;
const TITLE_CHARS_MAX = 4000;

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
    /** @type {Map<string, {version: number, value: unknown, expiresAt: number | null, row: HTMLTableRowElement}>} */
    this.rows = new Map();
    /** Versions of keys deleted or expired while watched. */
    this.gone = new Map();
    this.prefix = "";
    this.truncated = false;
  }

  /** Replaces everything with a snapshot: rows {key, value, version, ttlMs}. */
  reset(prefix, rows, truncated) {
    this.prefix = prefix;
    this.truncated = truncated;
    this.rows.clear();
    this.gone.clear();
    this.body.replaceChildren();
    const now = performance.now();
    for (const r of rows) this.put(r.key, r.value, r.version, r.ttlMs, now, false);
    this.updateCaption();
  }

  /** Applies one change event; returns whether it changed the table. */
  apply(event) {
    const known = this.rows.get(event.key)?.version ?? this.gone.get(event.key) ?? 0;
    if (event.version <= known) return false;
    if (event.kind === "delete") this.remove(event.key, event.version);
    else this.put(event.key, event.value, event.version, event.ttlMs, performance.now(), true);
    this.updateCaption();
    return true;
  }

  /** Counts TTLs down; removes rows whose time is up (the engine hides them from reads at that moment). */
  tick() {
    const now = performance.now();
    let removed = false;
    for (const [key, r] of this.rows) {
      if (r.expiresAt === null) continue;
      const left = r.expiresAt - now;
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

  put(key, value, version, ttlMs, now, flash) {
    let r = this.rows.get(key);
    if (r === undefined) {
      r = { version, value, expiresAt: null, row: this.makeRow(key) };
      this.rows.set(key, r);
      this.gone.delete(key);
      this.insertSorted(key, r.row);
    }
    r.version = version;
    r.value = value;
    r.expiresAt = ttlMs === null || ttlMs === undefined ? null : now + ttlMs;
    const text = JSON.stringify(value);
    const cells = r.row.cells;
    const code = cells[1].firstChild;
    code.textContent = text.length > VALUE_CHARS_MAX ? `${text.slice(0, VALUE_CHARS_MAX)}…` : text;
    cells[1].title = text.length > VALUE_CHARS_MAX ? text.slice(0, TITLE_CHARS_MAX) : "";
    cells[2].textContent = typeOf(value);
    cells[3].textContent = String(version);
    cells[4].textContent = formatTtl(r.expiresAt === null ? null : r.expiresAt - now);
    if (flash) {
      r.row.classList.remove("changed");
      void r.row.offsetWidth; // restart the highlight animation
      r.row.classList.add("changed");
    }
  }

  remove(key, version) {
    const r = this.rows.get(key);
    if (r !== undefined) {
      r.row.remove();
      this.rows.delete(key);
    }
    this.gone.set(key, version);
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
    const more = this.truncated ? " (snapshot cut at 1000 keys)" : "";
    this.caption.textContent = `${this.rows.size} ${this.rows.size === 1 ? "key" : "keys"}: ${where}${more}`;
  }
}
