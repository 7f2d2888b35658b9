/**
 * An incremental 64-bit FNV-1a hash (Fowler, Noll, Vo; draft-eastlake-fnv) of a stream of events or bytes.
 * Two runs are identical exactly when their traces hash alike, so a campaign compares one hex string instead
 * of two logs (FoundationDB and TigerBeetle check determinism the same way).
 *
 * The 64-bit state is kept as two 32-bit halves in plain numbers: every intermediate stays below 2^53.
 */

const OFFSET_BASIS_HI = 0xcbf29ce4;
const OFFSET_BASIS_LO = 0x84222325;
/** The FNV-64 prime is 2^40 + 0x1b3: multiply by 0x1b3, then add the value shifted left by 40 bits. */
const PRIME_LOW_BITS = 0x1b3;
const TWO_POW_32 = 0x1_0000_0000;
/** Ends each event; 0xff never occurs in UTF-8, so ["ab", "c"] and ["a", "bc"] hash differently. */
const EVENT_END = 0xff;

const utf8 = new TextEncoder();

/** Incremental FNV-1a 64. `update` and `updateBytes` may be mixed; `digest` does not reset the state. */
export class TraceHash {
  private hi = OFFSET_BASIS_HI;
  private lo = OFFSET_BASIS_LO;
  private eventCount = 0;

  /** Number of `update` calls so far. */
  get events(): number {
    return this.eventCount;
  }

  /** Hashes one event string (its UTF-8 bytes, then an end marker). */
  update(event: string): void {
    this.updateBytes(utf8.encode(event));
    this.byte(EVENT_END);
    this.eventCount++;
  }

  /** Hashes raw bytes, without an end marker. */
  updateBytes(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i] as number);
  }

  /** The hash so far as 16 lowercase hex digits. */
  digest(): string {
    return this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0");
  }

  private byte(value: number): void {
    const lo = (this.lo ^ value) >>> 0;
    const loProduct = lo * PRIME_LOW_BITS; // < 2^41
    const carry = Math.floor(loProduct / TWO_POW_32);
    const hiProduct = this.hi * PRIME_LOW_BITS + carry + ((lo << 8) >>> 0); // < 2^42
    this.lo = loProduct >>> 0;
    this.hi = hiProduct % TWO_POW_32;
  }
}

/** FNV-1a 64 of a list of event strings, as hex. */
export function hashEvents(events: Iterable<string>): string {
  const hash = new TraceHash();
  for (const event of events) hash.update(event);
  return hash.digest();
}
