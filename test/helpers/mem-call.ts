/** Sends one command to an in-memory client and resolves with its reply (see mem-transport.ts). */
import type { MemClient } from "./mem-transport.js";

export async function call(client: MemClient, ...args: (string | Buffer)[]): Promise<unknown> {
  const before = client.replies.length;
  client.command(...args);
  return (await client.waitReplies(before + 1))[before];
}

/** The error text of an error reply, or a marker that makes the comparison fail. */
export function errorOf(reply: unknown): string {
  if (typeof reply === "object" && reply !== null && "error" in reply) return String(reply.error);
  return `not an error: ${JSON.stringify(reply)}`;
}
