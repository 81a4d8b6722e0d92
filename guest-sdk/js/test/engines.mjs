// Engine conformance of the JavaScript SDK: builds test/engines/detector.js
// with each engine (QuickJS, StarlingMonkey), runs the component under node
// through `jco transpile`, and checks that what it decodes from
// guest-sdk/wire/testdata/batch.bin is batch.json, that what it decodes
// from the store answers of the same folder (handed over by the stores'
// imports, as a host does) is answers.json, that it decodes strings
// exactly as TextDecoder does (valid or not: QuickJS decodes without one),
// that what it reports for the items of answers.json's `output` is
// output.bin byte for byte (in one `report` call, none when it found
// nothing, every report checked as strictly as the host reads it), and
// that truncated and corrupted batches and answers never trap it. The unit tests run the SDK under node's
// own JavaScript; this runs it inside the engines a detector really gets
// (no TextDecoder under QuickJS, a Uint8Array from another realm under
// StarlingMonkey).
//
//   npm run test:engines [-- qjs|sm ...]     (needs setup.sh's toolchain; ~1 min)
//
// Scratch files go to target/guest-build/js/engine-test/.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { encodeBatch } from "./encode.mjs";
import { checkOutput } from "./mock-host.mjs";
import { readOutput } from "../wire.js";

const here = dirname(fileURLToPath(import.meta.url));
const sdk = join(here, "..");
const root = join(sdk, "..", "..");
const scratch = join(root, "target", "guest-build", "js", "engine-test");
const testdata = join(root, "guest-sdk", "wire", "testdata");

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal})`);
}

// Child mode: instantiate one transpiled component and check it.
async function check(dir, engine) {
  const assert = (await import("node:assert/strict")).default;
  const { instantiate } = await import(pathToFileURL(join(dir, "detector.js")).href);
  const notFound = () => {
    const e = new Error("not found");
    e.payload = { tag: "not-found" };
    throw e;
  };
  const store = new Proxy({}, { get: () => notFound });
  const logs = [];
  // What the current on-events call reported; the host takes reports only
  // during one, and checks each strictly.
  let reports = null;
  const report = (bytes) => {
    if (reports === null) throw new Error(`${engine}: report called outside on-events`);
    const copy = Uint8Array.from(bytes);
    checkOutput(copy);
    reports.push(copy);
  };
  const imports = {
    "sandtrap:detector/host": { log: (level, line) => logs.push(`${level}: ${line}`), now: () => 1700000000000000000n, report },
  };
  for (const name of ["registry", "system", "syscalls", "types"]) {
    imports[`sandtrap:detector/${name}`] = store;
  }
  // The stores that answer with records hand over `answer[KIND]`: the
  // vectors, then their prefixes and corrupted copies.
  const vectors = JSON.parse(readFileSync(join(testdata, "answers.json"), "utf8"));
  const bins = {};
  for (const [kind, { file }] of Object.entries(vectors)) {
    // `output` is what a detector reports, checked below, not an answer.
    if (kind !== "output") bins[kind] = new Uint8Array(readFileSync(join(testdata, file)));
  }
  let answer = { ...bins };
  const records = (kind) => () => answer[kind];
  imports["sandtrap:detector/processes"] = {
    getProcess: records("processes"), getChildProcesses: records("processes"), getAncestry: records("processes"),
  };
  imports["sandtrap:detector/containers"] = {
    getContainer: records("containers"), getContainerByName: records("containers"), listContainers: records("containers"),
  };
  imports["sandtrap:detector/dns"] = { getDnsResponse: records("dns") };
  imports["sandtrap:detector/kernel-symbols"] = {
    resolveSymbolByAddress: records("symbols"), resolveSymbolsBatch: records("symbols"), getSymbolAddress: notFound,
  };
  class Reader {
    get() {
      return answer.reputation;
    }
    getAll() {
      return answer.reputation;
    }
    isBlacklisted() {
      return false;
    }
    listSources() {
      return [];
    }
  }
  class Writer {}
  imports["sandtrap:detector/ip-reputation"] = { Reader, Writer, open: () => new Reader(), register: notFound };
  const component = await instantiate(async (p) => WebAssembly.compile(readFileSync(join(dir, p))), imports);
  const guest = component.guest;
  guest.init([]);
  // One batch through on-events: what it reported, decoded, and the bytes.
  let lastReport = null;
  const onEvents = (b) => {
    reports = [];
    let returned;
    try {
      returned = guest.onEvents(b);
    } finally {
      lastReport = reports.length === 1 ? reports[0] : null;
      assert.ok(reports.length <= 1, `${engine}: reported ${reports.length} times in one call`);
      reports = null;
    }
    assert.equal(returned, undefined, `${engine}: on-events returns nothing`);
    return lastReport === null ? { detections: [], errors: [] } : readOutput(lastReport);
  };

  const batch = new Uint8Array(readFileSync(join(testdata, "batch.bin")));
  const expected = JSON.parse(readFileSync(join(testdata, "batch.json"), "utf8"));
  const out = onEvents(batch);
  assert.deepEqual(out.errors, [], `${engine}: errors`);
  assert.deepEqual(out.detections.map((d) => d.index), expected.map((_, i) => i), `${engine}: one detection per event`);
  for (const { index, detection } of out.detections) {
    const field = (name) => detection.fields.find((f) => f.name === name)?.value.val;
    assert.deepEqual(JSON.parse(field("decoded")), expected[index], `${engine}: event ${index}`);
    assert.equal(field("pathname"), expected[index].args.find((a) => a.name === "pathname")?.value, `${engine}: event ${index} pathname`);
  }

  // Strings, well-formed or not, as a fixed field (comm) and as an
  // argument, through every length of the SDK's short-string path and past
  // it: what the engine reads must be what TextDecoder says, "" for a comm
  // and no argument at all for what is not UTF-8.
  const strict = new TextDecoder("utf-8", { fatal: true });
  const samples = utf8Samples();
  for (let at = 0; at < samples.length; at += 32) {
    const chunk = samples.slice(at, at + 32);
    const out = onEvents(encodeBatch(chunk.map((s) => ({ name: "utf8", process: { comm: s }, args: [["s", "str", s]] }))));
    assert.deepEqual(out.errors, [], `${engine}: utf8 errors`);
    for (const { index, detection } of out.detections) {
      const got = JSON.parse(detection.fields.find((f) => f.name === "decoded").value.val);
      let want;
      try {
        want = strict.decode(chunk[index]);
      } catch {
        want = undefined;
      }
      const what = `${engine}: bytes ${Buffer.from(chunk[index]).toString("hex")}`;
      assert.equal(got.process.comm, want ?? "", what);
      assert.deepEqual(got.args, want === undefined ? [] : [{ name: "s", kind: "str", value: want }], what);
    }
  }

  // Store answers: every record of each vector through the stores' lists,
  // the first through the calls that name one thing.
  const answersEvent = encodeBatch([{ name: "answers" }]);
  const decodedAnswers = () => {
    const out = onEvents(answersEvent);
    assert.deepEqual(out.errors, [], `${engine}: answers errors`);
    assert.equal(out.detections.length, 1, `${engine}: answers detection`);
    return JSON.parse(out.detections[0].detection.fields.find((f) => f.name === "answers").value.val);
  };
  const got = decodedAnswers();
  for (const [kind, { records }] of Object.entries(vectors)) {
    if (kind === "output") continue;
    assert.deepEqual(got.lists[kind], records, `${engine}: ${kind} answer`);
    assert.deepEqual(got.singles[kind], records[0], `${engine}: ${kind} single record`);
  }

  // Every prefix, then deterministic corruption (xorshift): no trap, and
  // nothing the export could not account for.
  let calls = 0;
  let answerCalls = 0;
  for (const [kind, full] of Object.entries(bins)) {
    for (let n = 0; n <= full.length; n++, answerCalls++) {
      answer = { ...bins, [kind]: full.slice(0, n) };
      decodedAnswers();
    }
  }
  for (let n = 0; n <= batch.length; n++, calls++) onEvents(batch.slice(0, n));
  let x = 0x2545f491;
  const rand = (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  for (let round = 0; round < 1000; round++, calls++) {
    const b = batch.slice();
    for (let k = 1 + rand(4); k > 0; k--) b[rand(b.length)] = rand(256);
    onEvents(b);
  }
  for (let round = 0; round < 1000; round++, answerCalls++) {
    answer = {};
    for (const [kind, full] of Object.entries(bins)) {
      const b = full.slice();
      for (let k = 1 + rand(4); k > 0; k--) b[rand(b.length)] = rand(256);
      answer[kind] = b;
    }
    decodedAnswers();
  }
  // What the engine reports for the items of answers.json's `output`:
  // output.bin, byte for byte. Each index becomes an event that spells its
  // detections out in its arguments, or fails with its error.
  const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
  const arg = ({ name, kind, value }) => {
    if (kind === "int" || kind === "uint") return [name, kind, BigInt(value)];
    if (kind === "bytes") return [name, kind, fromHex(value)];
    return [name, kind === "bool" ? "boolean" : kind, value];
  };
  const SEVERITY = ["", "info", "low", "medium", "high", "critical"];
  const items = vectors.output.records;
  const outputEvents = [];
  for (let i = 0; i <= Math.max(...items.map((r) => r.index)); i++) {
    const mine = items.filter((r) => r.index === i);
    const error = mine.find((r) => r.kind === "error");
    outputEvents.push(
      error
        ? { name: "fail", args: [["message", "str", error.message]] }
        : { name: "output", args: mine.flatMap((r) => [["|", "str", SEVERITY[r.severity]], ...r.fields.map(arg)]) },
    );
  }
  const outputBin = new Uint8Array(readFileSync(join(testdata, vectors.output.file)));
  for (let round = 0; round < 3; round++) {
    onEvents(encodeBatch(outputEvents));
    assert.deepEqual(lastReport, outputBin, `${engine}: output.bin, round ${round}`);
  }
  // 64-bit fields are exact under both engines: the SDK writes them.
  const exact = onEvents(encodeBatch([{
    name: "output",
    args: [["|", "str", "high"], ["max", "uint", 2n ** 64n - 1n], ["min", "int", -(2n ** 63n)], ["odd", "uint", 2n ** 53n + 1n]],
  }]));
  assert.deepEqual(exact.detections, [{
    index: 0,
    detection: {
      severity: "high",
      fields: [
        { name: "max", value: { tag: "uint", val: 2n ** 64n - 1n } },
        { name: "min", value: { tag: "int", val: -(2n ** 63n) } },
        { name: "odd", value: { tag: "uint", val: 2n ** 53n + 1n } },
      ],
    },
  }], `${engine}: exact 64-bit fields`);
  // Nothing found, nothing reported.
  for (const quiet of [encodeBatch([{ name: "quiet" }, { name: "quiet" }]), new Uint8Array(0)]) {
    onEvents(quiet);
    assert.equal(lastReport, null, `${engine}: a batch that found nothing reported`);
  }

  assert.deepEqual(logs, [], `${engine}: the SDK logged a failure`);
  console.log(
    `ok   ${engine}: output.bin byte for byte; batch.bin decodes to batch.json and every store answer to answers.json; ` +
      `${samples.length} strings decode as TextDecoder does; ` +
      `${calls} truncated or corrupted batches and ${answerCalls} sets of answers without a trap or an error`,
  );
}

// Byte strings for the UTF-8 check: the edge cases of the standard, "%"
// sequences (the QuickJS path goes through escape/decodeURIComponent),
// ASCII of every length to 40 with one byte changed, and biased random.
function utf8Samples() {
  const out = [
    [], [0xc3, 0xa9], [0xe2, 0x9c, 0x93], [0xf0, 0x9f, 0x98, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xc0, 0x80],
    [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xf0, 0x80, 0x80, 0x80],
    [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff],
    [0x80], [0xc3], [0xe2, 0x9c], [0x61, 0xc3], [0xc3, 0x61], [0x25, 0x34, 0x31], [0xc3, 0x25, 0x41, 0x39],
    [0x25, 0x43, 0x33, 0x25, 0x41, 0x39], [0x00, 0x20, 0x2b, 0x2f, 0x40, 0x7f, 0xc3, 0xa9],
  ].map((b) => Uint8Array.from(b));
  for (let n = 1; n <= 40; n++) {
    const ascii = Uint8Array.from({ length: n }, (_, i) => 0x20 + ((i * 7) % 0x5f));
    out.push(ascii);
    for (const i of new Set([0, n >> 1, n - 1])) {
      for (const b of [0x80, 0xc3, 0xff]) {
        const c = ascii.slice();
        c[i] = b;
        out.push(c);
      }
    }
  }
  let x = 12345;
  for (let round = 0; round < 400; round++) {
    const b = new Uint8Array(1 + (round % 40));
    for (let i = 0; i < b.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = [x >>> 24, 0x80 | ((x >>> 16) & 0x3f), 0xc0 | ((x >>> 8) & 0x3f), 0xe0 | ((x >>> 4) & 0x1f), (x >>> 8) & 0x7f][x % 5];
    }
    out.push(b);
  }
  out.push(new TextEncoder().encode("é".repeat(3000) + "✓".repeat(1000)), new TextEncoder().encode("a".repeat(9000)));
  return out;
}

async function main(engines) {
  run(join(sdk, "setup.sh"), []);
  const jco = join(process.env.SANDTRAP_GUEST_TOOLS ?? join(root, "target", "guest-tools"), "js", "node_modules", ".bin", "jco");
  // Node 20 runs QuickJS components only with extended constant
  // expressions, which it ships behind a flag; later versions by default.
  const v8Options = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout ?? "";
  const flags = v8Options.includes("--experimental-wasm-extended-const") ? ["--experimental-wasm-extended-const"] : [];
  let failed = 0;
  for (const engine of engines) {
    const dir = join(scratch, engine);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const wasm = join(dir, "detector.wasm");
    const env = { ...process.env, SANDTRAP_JS_SCRATCH: join(dir, "build") };
    run(join(sdk, "build.sh"), ["--engine", engine, join(here, "engines", "detector.js"), wasm], { env });
    run(jco, ["transpile", wasm, "-o", join(dir, "js"), "--instantiation", "async", "--name", "detector", "--quiet"]);
    const child = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), "--check", join(dir, "js"), engine], { stdio: "inherit" });
    if (child.status !== 0) {
      console.log(`FAIL ${engine}`);
      failed++;
    }
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

const argv = process.argv.slice(2);
if (argv[0] === "--check") {
  await check(argv[1], argv[2]);
} else {
  const engines = argv.length > 0 ? argv : ["qjs", "sm"];
  const bad = engines.find((e) => e !== "qjs" && e !== "sm");
  if (bad) {
    console.error(`unknown engine ${bad} (qjs or sm)`);
    process.exit(2);
  }
  await main(engines);
}
