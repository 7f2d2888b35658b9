/** The index oracles live in sim/index-oracle.ts (the simulator's campaigns use them too). */
export * from "../../sim/index-oracle.js";
