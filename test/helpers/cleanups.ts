/**
 * Work a test leaves to be undone whatever its outcome (servers and clients to close, child processes to
 * kill, directories to remove): pushed onto a list as the test goes, run after it newest first, so a thing
 * is undone before what it was built on.
 */
import { afterEach } from "vitest";

/** One thing to undo; its failure is ignored (the test's own verdict stands). */
export type Cleanup = () => Promise<unknown>;

/**
 * Registers, in the calling test file, an `afterEach` that empties the returned list and runs its cleanups
 * newest first, each awaited; a failing cleanup does not stop the ones after it.
 */
export function cleanupsAfterEach(): Cleanup[] {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
  });
  return cleanups;
}
