/** Random float texts of many shapes for number-rule tests (decimal, exponents, hex, signs, junk). */
import type { Prng } from "../../sim/disk/prng.js";

/** A random float text of many shapes (decimal, exponent, hex, signs, zeros, junk). */
export function floatText(r: Prng): string {
  const digits = (n: number) => Array.from({ length: n }, () => String(r.int(10))).join("");
  const sign = ["", "-", "+"][r.int(3)] ?? "";
  switch (r.int(8)) {
    case 0:
      return `${sign}${digits(1 + r.int(20))}`;
    case 1:
      return `${sign}${digits(r.int(8))}.${digits(r.int(25))}`;
    case 2:
      return `${sign}${digits(1 + r.int(4))}.${digits(r.int(6))}e${["", "-", "+"][r.int(3)]}${r.int(60)}`;
    case 3:
      return `${sign}0x${r.int(1 << 30).toString(16)}.${r.int(4096).toString(16)}p${r.int(200) - 100}`;
    case 4:
      return `${sign}${digits(1 + r.int(3))}e${r.int(2) === 0 ? "-" : ""}${4900 + r.int(100)}`;
    case 5:
      return String((r.next() - 0.5) * 10 ** (r.int(40) - 20));
    case 6:
      return (
        ["inf", "-inf", "nan", " 1", "1 ", "1e", ".", "0x", "1.2.3", "--1", "0.0", "-0"][r.int(12)] ?? ""
      );
    default:
      return `${sign}${digits(1 + r.int(3))}.${digits(1 + r.int(3))}`;
  }
}
