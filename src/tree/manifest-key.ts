/**
 * The manifest's encoding of fence keys (docs/segment-format.md, "Manifest": `Leaf.low` is hex): a leaf's
 * lowest key as the lowercase hex of its bytes, "" for the first leaf. KeyStrings hold one byte per char
 * (latin1), so the encoding is exact both ways.
 */
import { Buffer } from "node:buffer";
import type { KeyString } from "../doc/key.js";

/** Hex of a fence key's bytes, as the manifest stores it. */
export function fenceKeyToHex(key: KeyString): string {
  return Buffer.from(key, "latin1").toString("hex");
}

/** A fence key from the manifest's hex (validated by the manifest reader: pairs of lowercase hex digits). */
export function fenceKeyFromHex(hex: string): KeyString {
  return Buffer.from(hex, "hex").toString("latin1");
}
