// The detector of the engine conformance test (../engines.mjs): reports,
// for every event, everything the SDK decodes from it as one JSON string,
// so the test can compare what QuickJS and StarlingMonkey read with
// guest-sdk/wire/testdata/batch.json.
import { exportDetector, select, detection } from "sandtrap";

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const JSON_KIND = { boolean: "bool" };

export const guest = exportDetector({
  describe: {
    id: "js-engine-conformance",
    name: "JavaScript SDK engine conformance",
    version: "1",
    selectors: [select("*")],
    finding: { name: "decoded", severity: "info" },
  },
  onEvent(ev) {
    const p = ev.process;
    const decoded = {
      name: ev.name,
      seq: String(ev.seq),
      timestamp: String(ev.timestamp),
      process: {
        entity_id: String(p.entityId),
        parent_entity_id: String(p.parentEntityId),
        start_ticks: String(p.startTicks),
        cgroup_id: String(p.cgroupId),
        pid: p.pid,
        tid: p.tid,
        ppid: p.ppid,
        uid: p.uid,
        gid: p.gid,
        comm: p.comm,
        exe: p.exe,
        container_id: p.containerId,
      },
      args: ev.args().map(({ name, kind, value }) => ({
        name,
        kind: JSON_KIND[kind] ?? kind,
        value: kind === "int" || kind === "uint" ? String(value) : kind === "bytes" ? hex(value) : value,
      })),
    };
    // The first of two arguments with one name is the argument.
    const pathname = ev.str("pathname");
    return detection({ decoded: JSON.stringify(decoded), pathname });
  },
});
