/**
 * What a storage device promises, as explicit flags the fault model reads (SQLite's test6.c crash VFS:
 * SQLITE_IOCAP_ATOMIC512, SQLITE_IOCAP_SAFE_APPEND, the sector size). Campaigns vary them.
 */
import type { Prng } from "../sim/disk/prng.js";

/** A device's write guarantees. */
export interface DeviceProfile {
  /** Bytes per sector: the unit a torn write tears at. */
  sectorBytes: 512 | 4096;
  /** A sector is written whole or not at all; if false, a crash may leave a sector half old, half new. */
  atomicSectorWrites: boolean;
  /**
   * Appends are safe: the file grows only once the data has landed. If false, a crash may leave the
   * grown region full of garbage or zeros (ALICE, OSDI'14: "appends are not atomic").
   */
  safeAppend: boolean;
}

/** Draws a profile from the seed's fault stream. */
export function drawDeviceProfile(prng: Prng): DeviceProfile {
  return {
    sectorBytes: prng.bool() ? 512 : 4096,
    atomicSectorWrites: prng.bool(),
    safeAppend: prng.bool(),
  };
}
