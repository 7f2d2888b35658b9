/**
 * The block cache: parsed segment blocks shared by every segment, bounded by a byte budget (LevelDB's
 * `block_cache`, RocksDB's LRUCache). Least recently used blocks go first. Keys are (segment id, block
 * offset); segment ids are unique per process, so a deleted segment's blocks can never be served for a new
 * file that reuses its name. Costs are the caller's estimate of a block's memory, in bytes.
 */

/** Counters of a cache. */
export interface BlockCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Bytes held now. */
  bytes: number;
  /** Blocks held now. */
  blocks: number;
}

/** An LRU map bounded by the sum of its values' costs. */
export class BlockCache<V> {
  private readonly map = new Map<string, { value: V; cost: number }>();
  private nextId = 1;
  readonly stats: BlockCacheStats = { hits: 0, misses: 0, evictions: 0, bytes: 0, blocks: 0 };

  /** @param bytesMax budget in bytes; a single block larger than it is not cached. */
  constructor(readonly bytesMax: number) {}

  /** A fresh segment id. */
  newId(): number {
    return this.nextId++;
  }

  /** The cached block, made most recent; `countMiss` false for a probe that will not load on a miss. */
  get(id: number, offset: number, countMiss = true): V | undefined {
    const k = `${id}:${offset}`;
    const hit = this.map.get(k);
    if (hit === undefined) {
      if (countMiss) this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.map.delete(k);
    this.map.set(k, hit);
    return hit.value;
  }

  /** Caches `value` at a cost of `cost` bytes, evicting least recently used blocks to stay in budget. */
  set(id: number, offset: number, value: V, cost: number): void {
    if (cost > this.bytesMax) return;
    const k = `${id}:${offset}`;
    const old = this.map.get(k);
    if (old !== undefined) {
      this.map.delete(k);
      this.stats.bytes -= old.cost;
    }
    this.map.set(k, { value, cost });
    this.stats.bytes += cost;
    // Bounded by the number of cached blocks.
    while (this.stats.bytes > this.bytesMax) {
      const oldest = this.map.entries().next();
      if (oldest.done) break;
      this.map.delete(oldest.value[0]);
      this.stats.bytes -= oldest.value[1].cost;
      this.stats.evictions++;
    }
    this.stats.blocks = this.map.size;
  }

  /** Drops every block of segment `id` (the segment was closed). Bounded by the cache size. */
  dropSegment(id: number): void {
    const prefix = `${id}:`;
    for (const [k, v] of this.map) {
      if (!k.startsWith(prefix)) continue;
      this.map.delete(k);
      this.stats.bytes -= v.cost;
    }
    this.stats.blocks = this.map.size;
  }
}
