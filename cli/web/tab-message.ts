/**
 * Messages a tab sends over its WebSocket. There is one: `{"type":"watch","id":N,"prefix":"..."}`, which
 * replaces the tab's watched prefix (tab-watch.ts); `id` tags the replies so the tab can drop stale ones.
 */
import type { RawData } from "ws";

/** A parsed, valid message from a tab. */
export interface MessageFromTab {
  type: "watch";
  /** The tab's watch number, a non-negative safe integer. */
  id: number;
  prefix: string;
}

/** Longest prefix a tab may send, in characters (the engine then checks its byte limit). */
const PREFIX_CHARS_MAX = 4096;

/** Parses one WebSocket message; an invalid one gives `{ error }` saying why. */
export function parseTabMessage(data: RawData, isBinary: boolean): MessageFromTab | { error: string } {
  if (isBinary) return { error: "binary messages are not accepted" };
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  const text = bytes.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: "message is not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null) return { error: "message must be an object" };
  const m = parsed as Record<string, unknown>;
  if (m.type !== "watch") return { error: `unknown message type ${JSON.stringify(m.type)}` };
  if (typeof m.id !== "number" || !Number.isSafeInteger(m.id) || m.id < 0) {
    return { error: "watch id must be a non-negative integer" };
  }
  if (typeof m.prefix !== "string" || m.prefix.length > PREFIX_CHARS_MAX) {
    return { error: `prefix must be a string of at most ${PREFIX_CHARS_MAX} characters` };
  }
  return { type: "watch", id: m.id, prefix: m.prefix };
}
