// Stand-in for every interface of the contract in the unit tests. Each
// import delegates to globalThis.mockHost, which a test fills in; the
// defaults behave like an empty store under the QuickJS engine (numbers).
const calls = (name) => (...args) => {
  const host = globalThis.mockHost ?? {};
  if (typeof host[name] === "function") return host[name](...args);
  if (name === "now") return 1700000000000000000;
  if (name === "log") return undefined;
  const e = new Error("[object Object] (see error.payload)");
  e.payload = { tag: "not-found" };
  throw e;
};

export const log = calls("log");
export const now = calls("now");
export const getProcess = calls("getProcess");
export const getChildProcesses = calls("getChildProcesses");
export const getAncestry = calls("getAncestry");
export const getContainer = calls("getContainer");
export const getContainerByName = calls("getContainerByName");
export const listContainers = calls("listContainers");
export const getSystemInfo = calls("getSystemInfo");
export const getSyscallName = calls("getSyscallName");
export const getSyscallId = calls("getSyscallId");
export const resolveSymbolByAddress = calls("resolveSymbolByAddress");
export const getSymbolAddress = calls("getSymbolAddress");
export const resolveSymbolsBatch = calls("resolveSymbolsBatch");
export const getDnsResponse = calls("getDnsResponse");
export const listStores = calls("listStores");
export const isAvailable = calls("isAvailable");
export const getMetadata = calls("getMetadata");
export const getHealth = calls("getHealth");
export const getMetrics = calls("getMetrics");
export const register = calls("register");
export const open = calls("open");
