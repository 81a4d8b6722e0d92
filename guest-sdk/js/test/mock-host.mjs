// Stand-in for every interface of the contract in the unit tests. Each
// import delegates to globalThis.mockHost, which a test fills in; the
// defaults behave like an empty store under the QuickJS engine (numbers).
//
// Store calls that answer with records return what the host returns under
// contract 0.3: one record list (docs/wire-encoding.md). A test writes
// records as plain objects, as the SDK's views show them (`{ entityId,
// name, argv }`): one object for a call that names one thing, an array for
// the others, and the mock encodes them (encode.mjs). Anything else (a
// Uint8Array, junk) is passed on untouched, for tests of raw or malformed
// answers.
import { encodeRecords } from "./encode.mjs";

function notFound() {
  const e = new Error("[object Object] (see error.payload)");
  e.payload = { tag: "not-found" };
  throw e;
}

const calls = (name) => (...args) => {
  const host = globalThis.mockHost ?? {};
  if (typeof host[name] === "function") return host[name](...args);
  if (name === "now") return 1700000000000000000;
  if (name === "log") return undefined;
  return notFound();
};

const isRecord = (r) => r !== null && typeof r === "object" && !Array.isArray(r) && !ArrayBuffer.isView(r);

// The answer a test's function gave, as the host would send it.
function answer(kind, one, out) {
  if (one ? isRecord(out) : Array.isArray(out) && out.every(isRecord)) return encodeRecords(kind, one ? [out] : out);
  return out;
}

// An import answering with records of `kind`; `one` when it names one thing.
const records = (name, kind, one) => (...args) => answer(kind, one, calls(name)(...args));

// The reader and writer resources: the test's handles, with their record
// answers encoded like the functions'.
function reader(h) {
  return {
    get: (ip) => answer("reputation", true, h.get(ip)),
    getAll: (ip) => answer("reputation", false, h.getAll(ip)),
    isBlacklisted: (ip) => h.isBlacklisted(ip),
    listSources: () => h.listSources(),
  };
}

function writer(h) {
  return {
    write: (source, entry) => h.write(source, entry),
    writeBatch: (source, entries) => h.writeBatch(source, entries),
    delete: (source, ip) => h.delete(source, ip),
    clear: (source) => h.clear(source),
    listSources: () => h.listSources(),
    reader: () => reader(h.reader()),
  };
}

export const log = calls("log");
export const now = calls("now");
export const getProcess = records("getProcess", "process", true);
export const getChildProcesses = records("getChildProcesses", "process", false);
export const getAncestry = records("getAncestry", "process", false);
export const getContainer = records("getContainer", "container", true);
export const getContainerByName = records("getContainerByName", "container", true);
export const listContainers = records("listContainers", "container", false);
export const getSystemInfo = calls("getSystemInfo");
export const getSyscallName = calls("getSyscallName");
export const getSyscallId = calls("getSyscallId");
export const resolveSymbolByAddress = records("resolveSymbolByAddress", "symbol", false);
export const getSymbolAddress = calls("getSymbolAddress");
export const resolveSymbolsBatch = records("resolveSymbolsBatch", "symbol", false);
export const getDnsResponse = records("getDnsResponse", "dns", true);
export const listStores = calls("listStores");
export const isAvailable = calls("isAvailable");
export const getMetadata = calls("getMetadata");
export const getHealth = calls("getHealth");
export const getMetrics = calls("getMetrics");
export const register = (...args) => writer(calls("register")(...args));
export const open = (...args) => reader(calls("open")(...args));
