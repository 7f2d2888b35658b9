/**
 * LCS (Redis 7.0): the longest common subsequence of two string keys (src/types/lcs.ts), as a string, its
 * length (LEN) or its match ranges (IDX, MINMATCHLEN, WITHMATCHLEN), with Redis's checks in its order:
 * the keys' types, then the options, then LEN with IDX.
 */
import type { Buffer } from "node:buffer";
import { lcs } from "../../types/lcs.js";
import { keyword } from "../args.js";
import { type CommandSpec, typedCommand } from "../command-table.js";
import { CommandError, ERR } from "../reply-errors.js";
import { R } from "../resp-writer.js";
import { bulkOf, int64Arg, keyArg } from "./typed-args.js";

/** LCS's options. @throws CommandError. */
function lcsOptions(args: readonly Buffer[]) {
  const o = { idx: false, len: false, withMatchLen: false, minMatchLen: 0 };
  for (let j = 3; j < args.length; j++) {
    const opt = keyword(args[j]);
    if (opt === "IDX") o.idx = true;
    else if (opt === "LEN") o.len = true;
    else if (opt === "WITHMATCHLEN") o.withMatchLen = true;
    else if (opt === "MINMATCHLEN" && j + 1 < args.length) {
      const n = int64Arg(args[++j]);
      o.minMatchLen = n < 0n ? 0 : Number(n > 2n ** 32n ? 2n ** 32n : n);
    } else throw new CommandError(ERR.syntax);
  }
  if (o.idx && o.len)
    throw new CommandError("ERR If you want both the length and indexes, please just use IDX.");
  return o;
}

export const lcsCommands: CommandSpec[] = [
  typedCommand({
    name: "lcs",
    arity: -3,
    flags: ["readonly"],
    keys: [1, 2, 1],
    group: "string",
    since: "7.0.0",
    summary: "Finds the longest common substring",
    typed: {
      write: false,
      prepare: (ctx, args) => {
        const ka = keyArg(ctx, args, 1);
        const kb = keyArg(ctx, args, 2);
        return (tx) => {
          const ea = tx.live(ka);
          const eb = tx.live(kb);
          if ((ea !== undefined && ea.type !== "string") || (eb !== undefined && eb.type !== "string")) {
            throw new CommandError("ERR The specified keys must contain string values");
          }
          const o = lcsOptions(args);
          const r = lcs((ea?.value as string) ?? "", (eb?.value as string) ?? "", o.minMatchLen);
          if (o.len) return R.integer(r.len);
          if (!o.idx) return bulkOf(r.text);
          const matches = r.matches.map((m) =>
            R.array([
              R.array([R.integer(m.a[0]), R.integer(m.a[1])]),
              R.array([R.integer(m.b[0]), R.integer(m.b[1])]),
              ...(o.withMatchLen ? [R.integer(m.len)] : []),
            ]),
          );
          return R.fields([
            ["matches", R.array(matches)],
            ["len", R.integer(r.len)],
          ]);
        };
      },
    },
  }),
];
