// Prints the figures bench/run.sh collected (one line per run: label, tab,
// the JSON the bench detector reported) as one table: per kind of read,
// the median over the runs of each component, with the runs' range.
import { readFileSync } from "node:fs";

const runs = new Map();
for (const line of readFileSync(process.argv[2], "utf8").split("\n")) {
  if (line === "") continue;
  const tab = line.indexOf("\t");
  const label = line.slice(0, tab);
  if (!runs.has(label)) runs.set(label, []);
  runs.get(label).push(JSON.parse(line.slice(tab + 1)));
}
const labels = [...runs.keys()];
const first = runs.get(labels[0])[0];
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const cell = (xs) => (xs.length > 1 ? `${median(xs)} (${Math.min(...xs)}–${Math.max(...xs)})` : String(xs[0]));

console.log(`${first.samples} events, ${first.reads_per_sample} reads per sample, ${runs.get(labels[0]).length} run(s); ns per read`);
const width = Math.max(...Object.keys(first).map((k) => k.length));
const cols = labels.map((l) => Math.max(l.length, 18));
console.log(["kind".padEnd(width), ...labels.map((l, i) => l.padStart(cols[i]))].join("  "));
for (const k of Object.keys(first)) {
  if (k === "samples" || k === "reads_per_sample") continue;
  const row = labels.map((l, i) => cell(runs.get(l).map((r) => r[k])).padStart(cols[i]));
  console.log([k.padEnd(width), ...row].join("  "));
}
