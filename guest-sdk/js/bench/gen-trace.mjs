// Writes the trace of the read benchmark (bench/run.sh) as JSON lines
// (docs/events.md): N connect events whose strings vary in length as real
// ones do, then one `bench_report` event on which bench/detector.js
// reports its figures.
//
//   node bench/gen-trace.mjs N > trace.jsonl
const n = Number(process.argv[2] ?? 20000);
if (!Number.isSafeInteger(n) || n < 1) {
  console.error("usage: gen-trace.mjs EVENTS");
  process.exit(2);
}

const PROCS = [
  ["curl", "/usr/bin/curl"],
  ["python3", "/usr/bin/python3.11"],
  ["kworker/u16:3", ""],
  ["sshd", "/usr/sbin/sshd"],
  ["node", "/usr/local/lib/nodejs/node-v22.12.0-linux-x64/bin/node"],
];

const lines = [];
for (let i = 0; i < n; i++) {
  const [comm, exe] = PROCS[i % PROCS.length];
  const pid = 1000 + (i % 4000);
  lines.push(
    JSON.stringify({
      timestamp: 1763800000000000000 + i * 1000,
      name: "security_socket_connect",
      process: { pid, tid: pid, ppid: 1, start_ticks: 5000 + pid, comm, exe, uid: 1000, gid: 1000 },
      args: {
        sockfd: 3 + (i % 7),
        type: "SOCK_STREAM",
        family: "AF_INET",
        remote_addr: `203.0.${(i >> 8) & 255}.${i & 255}`,
        remote_port: 443 + (i % 3),
        argv: [comm, "-s", `https://example.com/${i}`],
        label: "café-ünïcode-✓",
      },
    }),
  );
}
lines.push(JSON.stringify({ timestamp: 1763800000000000000 + n * 1000, name: "bench_report" }));
process.stdout.write(lines.join("\n") + "\n");
