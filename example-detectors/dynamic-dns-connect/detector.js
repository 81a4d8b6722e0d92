// Connections to dynamic-DNS and tunnelling-service hosts.
//
// For every outbound connect, asks the DNS store which names resolved to the
// destination address, and reports the connect when one of them lies under a
// dynamic-DNS provider (duckdns.org, no-ip, ddns.net, …) or a tunnelling
// service (ngrok, trycloudflare, serveo, …). Free names that follow an
// attacker's changing address are a staple of C2 and exfiltration; the
// address alone says nothing, the name it was reached by does.

import { exportDetector, select, detection, stores, ifFound } from "sandtrap";

// Registrable domains whose subdomains anyone can point anywhere, for free.
const DEFAULT_SUFFIXES = [
  // dynamic DNS
  "duckdns.org",
  "no-ip.org",
  "no-ip.com",
  "noip.com",
  "ddns.net",
  "dynu.com",
  "hopto.org",
  "zapto.org",
  "sytes.net",
  // tunnelling services: a public name in front of a process on any host
  "ngrok.io",
  "ngrok-free.app",
  "trycloudflare.com",
  "serveo.net",
  "portmap.io",
];

// A DNS name as the store prints it may end with the root dot and carry
// capitals; suffixes are compared on the canonical form.
function canonical(name) {
  let n = name.trim().toLowerCase();
  while (n.endsWith(".")) n = n.slice(0, -1);
  return n;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

// A configured suffix: "duckdns.org", ".duckdns.org" and "*.duckdns.org" all
// mean the domain and everything under it.
function parseSuffix(raw, key) {
  const s = canonical(raw).replace(/^\*?\./, "");
  if (s.length === 0 || s.length > 253 || !s.split(".").every((l) => LABEL.test(l))) {
    throw new Error(`config ${JSON.stringify(key)}: ${JSON.stringify(raw)} is not a domain suffix`);
  }
  return s;
}

// The longest suffix in `set` that `domain` equals or ends with at a label
// boundary: "x.duckdns.org" is under "duckdns.org", "notduckdns.org" is not.
function suffixOf(domain, set) {
  for (let i = 0; ; ) {
    const tail = domain.slice(i);
    if (set.has(tail)) return tail;
    const dot = domain.indexOf(".", i);
    if (dot < 0) return undefined;
    i = dot + 1;
  }
}

function ipv4Octets(text) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

// The eight 16-bit groups of an IPv6 address, undefined when malformed.
function ipv6Groups(text) {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part) => {
    if (part === "") return [];
    const out = [];
    const pieces = part.split(":");
    for (const [i, p] of pieces.entries()) {
      const v4 = i === pieces.length - 1 ? ipv4Octets(p) : undefined;
      if (v4) out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      else if (/^[0-9a-f]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array(missing).fill(0), ...tail];
}

// The address to look up, or undefined for destinations no DNS answer can
// explain: loopback, unspecified, anything that is not an IP address (a
// unix socket path). An IPv4-mapped IPv6 address is looked up as the IPv4
// address it carries, which is the form an A record put in the store.
function destination(addr) {
  let a = addr.trim().toLowerCase();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  a = a.replace(/%.*$/, ""); // an IPv6 zone (fe80::1%eth0) names the local link, not the peer
  let v4 = ipv4Octets(a);
  if (v4 === undefined) {
    const g = ipv6Groups(a);
    if (g === undefined) return undefined;
    const zeroHead = (n) => g.slice(0, n).every((x) => x === 0);
    if (zeroHead(7) && (g[7] === 0 || g[7] === 1)) return undefined;
    if (!(zeroHead(5) && g[5] === 0xffff)) return a;
    v4 = [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff];
  }
  if (v4[0] === 127 || v4.every((o) => o === 0)) return undefined;
  return v4.join(".");
}

export const guest = exportDetector({
  describe: () => ({
    id: "dynamic-dns-connect",
    name: "Connection to a dynamic-DNS or tunnelling host",
    version: "0.1.0",
    description:
      "A process connected to an address that, according to the DNS store, was reached by a name under a dynamic-DNS provider or a tunnelling service.",
    selectors: [select("security_socket_connect")],
    requires: ["dns"],
    finding: {
      name: "dynamic_dns_connection",
      severity: "medium",
      description: "Outbound connection to a host named by a dynamic-DNS or tunnelling service",
      mitre: { tactic: "Command and Control", technique: "T1568" },
      fields: ["remote_addr", "remote_port", "domain", "suffix", "domains", "comm", "exe"],
    },
  }),

  init(config) {
    const suffixes = new Set(DEFAULT_SUFFIXES);
    for (const s of config.list("extra_suffixes")) suffixes.add(parseSuffix(s, "extra_suffixes"));
    // Allowed suffixes win over listed ones at any depth: "duckdns.org"
    // drops the provider, "build.duckdns.org" only the organisation's own host.
    const allowed = new Set(config.list("allow_suffixes").map((s) => parseSuffix(s, "allow_suffixes")));
    for (const s of allowed) suffixes.delete(s);
    return { suffixes, allowed };
  },

  onEvent(ev, { suffixes, allowed }) {
    const addr = ev.str("remote_addr");
    if (addr === undefined) return null;
    const query = destination(addr);
    if (query === undefined) return null;

    // Not-found means no name is on record for the address (never resolved
    // here, or expired): nothing to judge, not an error.
    const answer = ifFound(() => stores.dns.getDnsResponse(query));
    if (answer === null) return null;

    // The DnsRecord is read in place: only the names are decoded (once,
    // here), never the addresses the rule has no use for.
    const domains = answer.domains.map(canonical);
    for (const domain of domains) {
      const suffix = suffixOf(domain, suffixes);
      if (suffix === undefined || suffixOf(domain, allowed) !== undefined) continue;
      return detection({
        remote_addr: addr,
        remote_port: ev.int("remote_port"),
        domain,
        suffix,
        domains,
        comm: ev.comm,
        exe: ev.exe,
      });
    }
    return null;
  },
});
