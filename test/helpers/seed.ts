/**
 * Seeds for randomized tests: `FUSEDB_TEST_SEED=<n>` replays one; otherwise a fresh seed is drawn. Either
 * way it is printed, so any failure can be replayed.
 */
export function testSeed(name: string): number {
  const fromEnv = process.env.FUSEDB_TEST_SEED;
  const seed = fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${name}: seed ${seed} (replay with FUSEDB_TEST_SEED=${seed})`);
  return seed;
}
