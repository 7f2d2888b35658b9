/**
 * Invariant (src/doc/entry.ts `utf8Of`, the stored text of a written document): the bytes are exactly
 * TextEncoder's for every string, short or long, ASCII or not (lone surrogates included), so the hand-encoded
 * short ASCII texts are the same stored text as before (fast-check, seed printed).
 */
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Of } from "../src/doc/entry.js";
import { testSeed } from "./helpers/seed.js";

const encoder = new TextEncoder();

describe("utf8Of", () => {
  it("gives TextEncoder's bytes for short and long, ASCII and non-ASCII strings", () => {
    for (const s of [
      "",
      "0",
      "-12",
      "9007199254740991",
      '"a"',
      "x".repeat(64),
      "x".repeat(65),
      "é",
      "\ud800",
    ]) {
      expect(Buffer.from(utf8Of(s))).toEqual(Buffer.from(encoder.encode(s)));
    }
    const seed = testSeed("utf8Of");
    const strings = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.string({ unit: "grapheme-ascii", minLength: 60, maxLength: 70 }),
    );
    fc.assert(
      fc.property(strings, (s) => {
        expect(Buffer.from(utf8Of(s))).toEqual(Buffer.from(encoder.encode(s)));
      }),
      { seed, numRuns: 2000 },
    );
  });
});
