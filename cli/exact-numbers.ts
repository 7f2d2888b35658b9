/**
 * Which numbers of a JSON text survive parsing exactly. JSON.parse rounds every number to the nearest
 * IEEE-754 double, so `12345678901234567890` silently becomes `12345678901234567000` and `1e400` becomes
 * Infinity. A number survives when the shortest text of its double (what the engine stores and prints)
 * denotes the same decimal value as the literal typed: `0.1`, `1.50`, `1E2` and `-0` do; integers beyond
 * Number.MAX_SAFE_INTEGER that are not doubles, over-long fractions, overflow and underflow do not.
 */

/** A JSON number token (RFC 8259 section 6), matched where the scan stands. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** A decimal in JSON or JavaScript number syntax, split into sign, integer digits, fraction, exponent. */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The first number literal of `text` (which must be valid JSON: JSON.parse accepted it) whose value
 * changes when parsed, with the number it becomes; undefined if every number is exact.
 */
export function firstInexactNumber(text: string): { literal: string; stored: number } | undefined {
  let i = 0;
  // Bounded by text.length: every step advances i.
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, stepping over escapes.
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // Outside strings, valid JSON has a '-' or a digit only at the start of a number.
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)?.[0] ?? text.charAt(i);
      const stored = Number(literal);
      if (canonicalDecimal(literal) !== canonicalDecimal(String(stored))) return { literal, stored };
      i += literal.length;
    } else {
      i++;
    }
  }
  return undefined;
}

/**
 * One spelling per decimal value: significant digits and a power of ten (`"1.50e1"` and `"15"` both give
 * `"15e0"`), every zero `"0"`; undefined for text that is not a finite decimal (`"Infinity"`).
 */
function canonicalDecimal(text: string): string | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const fraction = m[3] ?? "";
  const digits = `${m[2] ?? ""}${fraction}`.replace(/^0+/, "");
  if (digits === "") return "0";
  const significant = digits.replace(/0+$/, "");
  const exponent = Number(m[4] ?? "0") - fraction.length + (digits.length - significant.length);
  return `${m[1] ?? ""}${significant}e${exponent}`;
}
