// Engine conformance of the JavaScript SDK: builds test/engines/detector.js
// with each engine (QuickJS, StarlingMonkey), runs the component under node
// through `jco transpile`, and checks that what it decodes from
// guest-sdk/wire/testdata/batch.bin is batch.json, and that truncated and
// corrupted batches never trap it. The unit tests run the SDK under node's
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
  const imports = { "sandtrap:detector/host": { log: (level, line) => logs.push(`${level}: ${line}`), now: () => 1700000000000000000n } };
  for (const name of ["registry", "processes", "containers", "system", "syscalls", "kernel-symbols", "dns", "ip-reputation", "types"]) {
    imports[`sandtrap:detector/${name}`] = store;
  }
  const component = await instantiate(async (p) => WebAssembly.compile(readFileSync(join(dir, p))), imports);
  const guest = component.guest;
  guest.init([]);

  const batch = new Uint8Array(readFileSync(join(testdata, "batch.bin")));
  const expected = JSON.parse(readFileSync(join(testdata, "batch.json"), "utf8"));
  const out = guest.onEvents(batch);
  assert.deepEqual(out.errors, [], `${engine}: errors`);
  assert.deepEqual(out.detections.map((d) => d.index), expected.map((_, i) => i), `${engine}: one detection per event`);
  for (const { index, detection } of out.detections) {
    const field = (name) => detection.fields.find((f) => f.name === name)?.value.val;
    assert.deepEqual(JSON.parse(field("decoded")), expected[index], `${engine}: event ${index}`);
    assert.equal(field("pathname"), expected[index].args.find((a) => a.name === "pathname")?.value, `${engine}: event ${index} pathname`);
  }

  // Every prefix, then deterministic corruption (xorshift): no trap, and
  // nothing the export could not account for.
  let calls = 0;
  for (let n = 0; n <= batch.length; n++, calls++) guest.onEvents(batch.slice(0, n));
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
    guest.onEvents(b);
  }
  assert.deepEqual(logs, [], `${engine}: the SDK logged a failure`);
  console.log(`ok   ${engine}: batch.bin decodes to batch.json; ${calls} truncated or corrupted batches without a trap`);
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
