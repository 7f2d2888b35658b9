/**
 * Decoding the shell's input without losing bytes. A UTF-8 decoder (Node's, TextDecoder's) turns every
 * invalid sequence into U+FFFD, so `SET \xff 1` and `SET \xfe 1` would name one key. Here each byte of an
 * invalid sequence becomes the lone surrogate U+DC00 + byte (U+DC80..U+DCFF), which valid UTF-8 never
 * decodes to: the text says exactly which bytes were not UTF-8, and the shell refuses such a line.
 * Idea: Python's "surrogateescape" error handler (PEP 383).
 */
import { Buffer } from "node:buffer";
import { Transform } from "node:stream";

/** First code unit of the escapes: byte b (0x80..0xFF) becomes U+DC00 + b. */
export const ESCAPE_BASE = 0xdc00;

/**
 * A streaming decoder: `write` returns the text of the complete sequences so far, holding back at most
 * three bytes of a sequence that a later chunk may complete; `end` escapes whatever was held back. The
 * output does not depend on how the bytes were split into chunks.
 */
export class Utf8Escaper {
  private pending: Uint8Array = new Uint8Array(0);

  write(chunk: Uint8Array): string {
    return this.decode(chunk, false);
  }

  end(): string {
    return this.decode(new Uint8Array(0), true);
  }

  private decode(chunk: Uint8Array, final: boolean): string {
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let out = "";
    let validFrom = 0;
    let i = 0;
    // Bounded by bytes.length: every step advances i by at least one, or ends the loop.
    while (i < bytes.length) {
      const lead = bytes[i] as number;
      if (lead < 0x80) {
        i++;
        continue;
      }
      const length = sequenceLength(bytes, i);
      if (length > 0) {
        i += length;
        continue;
      }
      if (length < 0 && !final) break; // an incomplete sequence at the end: wait for more bytes
      out += utf8(bytes, validFrom, i) + String.fromCharCode(ESCAPE_BASE + lead);
      i++;
      validFrom = i;
    }
    out += utf8(bytes, validFrom, i);
    this.pending = bytes.slice(i);
    return out;
  }
}

/**
 * The length of the valid UTF-8 sequence at `bytes[i]` (a byte >= 0x80); 0 if it is invalid; -1 if the
 * bytes end in a valid but incomplete prefix. Ranges from RFC 3629 section 4 (no overlongs, no
 * surrogates, nothing above U+10FFFF).
 */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] as number;
  let length: number;
  let secondLow = 0x80;
  let secondHigh = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) secondLow = 0xa0;
    if (lead === 0xed) secondHigh = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) secondLow = 0x90;
    if (lead === 0xf4) secondHigh = 0x8f;
  } else return 0;
  for (let k = 1; k < length; k++) {
    if (i + k >= bytes.length) return -1;
    const b = bytes[i + k] as number;
    const low = k === 1 ? secondLow : 0x80;
    const high = k === 1 ? secondHigh : 0xbf;
    if (b < low || b > high) return 0;
  }
  return length;
}

function utf8(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString("utf8");
}

/**
 * The first escaped byte in `text` (decoded by {@link Utf8Escaper}), or any other lone surrogate, as
 * `{ index, byte }` (`byte` undefined for a lone surrogate that is not an escape); undefined if none.
 */
export function firstNonUtf8(text: string): { index: number; byte: number | undefined } | undefined {
  const match = /\p{Cs}/u.exec(text);
  if (match === null) return undefined;
  const unit = match[0].charCodeAt(0);
  const byte = unit >= ESCAPE_BASE + 0x80 && unit <= ESCAPE_BASE + 0xff ? unit - ESCAPE_BASE : undefined;
  return { index: match.index, byte };
}

/**
 * A readable of `input`'s bytes as text (strings, object mode), for readline: its own decoder passes
 * strings through untouched. On a TTY the raw-mode switch readline makes is passed on to `input`.
 */
export function escapedText(input: NodeJS.ReadStream): Transform {
  const escaper = new Utf8Escaper();
  const text = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      const decoded = escaper.write(chunk);
      if (decoded !== "") this.push(decoded);
      done();
    },
    flush(done) {
      const decoded = escaper.end();
      if (decoded !== "") this.push(decoded);
      done();
    },
  });
  if (input.isTTY) {
    Object.assign(text, {
      isTTY: true,
      setRawMode: (mode: boolean) => {
        input.setRawMode(mode);
        return text;
      },
    });
  }
  input.pipe(text);
  return text;
}
