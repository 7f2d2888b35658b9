/** The numeric options of the small stand-alone bench scripts (`npx tsx bench/<script>.ts --name N`). */

/**
 * The number after `--name` on the command line, or `fallback` when the option is absent.
 * @throws Error "--name wants a positive number" when the value is not a finite number above 0.
 */
export function positiveArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} wants a positive number`);
  return v;
}
