#!/usr/bin/env node
// Drive the api-smart-diff library (a peer of `seam diff`; it has no CLI) on two JSON API descriptions:
// read both, call apiCompare(before, after) and print how many changes it found, by classification.
//
// Usage: node bench/api-smart-diff.mjs OLD.json NEW.json
// The library is loaded from the peers folder that bench/fetch-corpora.sh fills:
//   $API_SMART_DIFF_PEERS, else ${SEAMLINE_BENCH_DIR:-$HOME/.cache/seamline-bench}/peers
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

const [oldPath, newPath, ...rest] = process.argv.slice(2);
if (!oldPath || !newPath || rest.length > 0) {
  console.error("usage: node bench/api-smart-diff.mjs OLD.json NEW.json");
  process.exit(2);
}

const peers =
  process.env.API_SMART_DIFF_PEERS ||
  join(process.env.SEAMLINE_BENCH_DIR || join(homedir(), ".cache", "seamline-bench"), "peers");
let apiCompare;
try {
  ({ apiCompare } = createRequire(join(peers, "package.json"))("api-smart-diff"));
} catch (e) {
  console.error(`api-smart-diff not found under ${peers} (run bench/fetch-corpora.sh): ${e.message}`);
  process.exit(2);
}

const before = JSON.parse(readFileSync(oldPath, "utf8"));
const after = JSON.parse(readFileSync(newPath, "utf8"));
const { diffs } = apiCompare(before, after);

const byType = {};
for (const d of diffs) byType[d.type] = (byType[d.type] || 0) + 1;
const order = ["breaking", "non-breaking", "deprecated", "annotation", "unclassified"];
const types = [...order.filter((t) => t in byType), ...Object.keys(byType).filter((t) => !order.includes(t))];
const parts = types.map((t) => `${t}: ${byType[t]}`);
console.log(`${diffs.length} changes${parts.length ? ` (${parts.join(", ")})` : ""}`);
