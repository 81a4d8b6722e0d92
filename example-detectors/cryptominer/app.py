"""Cryptocurrency mining (MITRE ATT&CK Impact, T1496.001 Compute Hijacking).

Miners give themselves away in three places, reported in decreasing order
of confidence:

- exec: a stratum URL in the arguments (`stratum+tcp://pool:3333`), or
  options only miners have (`--donate-level`, `--randomx-mode`,
  `-a rx/0`, `--coin X -o host:port`) — high, whatever the binary is
  called, so a miner renamed `kworker` is still caught;
- exec of a binary named like a known miner (`xmrig`, `cpuminer`, …) —
  medium: the name alone is easy to change and occasionally legitimate;
- connect to an address that, according to the DNS store, was resolved
  from a mining pool's domain (`pool.supportxmr.com` on 443), or to a
  stratum port (3333, 4444, …) of a host whose name has a `pool` label —
  medium: pools also serve their web pages from the same domains.

Each finding carries the process ancestry and the launching service (the
first ancestor that is not a shell or a wrapper such as sudo), because
"cron → sh → xmrig" and "sshd → bash → xmrig" call for different responses,
and the container when the process runs in one.

Selection is done in the host: exec events reach the sandbox only when an
argument contains a stratum-like scheme or a miner option, or the path ends
with a miner's name, so ordinary execs cost nothing. Connects are all
selected (except DNS on port 53) because a pool on port 443 cannot be told
from the event alone; the DNS lookup happens here.
"""

import re

import sandtrap
from sandtrap import Detection, Detector, NotFound, StoreError, describe, finding, log, select, stores

MAX_ANCESTRY = 8
# The kernel truncates comm to TASK_COMM_LEN - 1 characters.
COMM_LEN = 15

# Pool URL schemes: stratum, stratum1, stratum2 over tcp, ssl or tls (xmrig,
# cpuminer, ethminer, t-rex and nbminer all accept some of these).
# Wallets may ride in the userinfo (ethminer: stratum1+tcp://0xWALLET.rig:x@host:4444).
STRATUM_URL = re.compile(r"(?i)\bstratum[0-9]?\+(?:tcp|ssl|tls)://([^/\s@]+@)?(\[[0-9a-f:.]+\]|[^/\s:@]+)(?::(\d+))?")
# What the host selects on; each one is a substring of some STRATUM_URL match.
URL_SELECTORS = ("+tcp://", "+ssl://", "+tls://")

# Options no general-purpose program uses: enough on their own.
MINER_ONLY_OPTIONS = ("--donate-level", "--randomx-mode", "--cpu-max-threads-hint")
# Mining algorithms as given to -a/--algo; a prefix match on the value.
MINING_ALGOS = (
    "rx/", "randomx", "cn/", "cn-", "cryptonight", "argon2/", "ghostrider", "kawpow",
    "ethash", "etchash", "autolykos", "scrypt", "sha256d", "x16r", "x11", "equihash",
    "kheavyhash", "octopus", "blake3", "yescrypt", "astrobwt", "panthera",
)
POOL_OPTIONS = ("-o", "--url")
# A pool endpoint given without a scheme: host:port (xmrig accepts that).
HOST_PORT = re.compile(r"^(?:[a-z0-9+]+://)?(?:[^/\s@]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{2,5})/?$")

MINER_BINARIES = (
    "xmrig", "xmrig-notls", "xmrig-proxy", "xmr-stak", "xmr-stak-cpu", "xmr-stak-rx",
    "minerd", "cpuminer", "cpuminer-opt", "cpuminer-multi", "ccminer", "ethminer",
    "kawpowminer", "t-rex", "nbminer", "lolMiner", "cgminer", "bfgminer", "sgminer",
    "PhoenixMiner", "nanominer", "teamredminer", "SRBMiner-MULTI", "wildrig-multi",
    "bminer", "nheqminer", "xmrigDaemon",
)
MINER_NAMES = frozenset(n.lower() for n in MINER_BINARIES)

# Registered domains of public pools. A subdomain other than the web site
# (below) is a pool endpoint: pool.supportxmr.com, xmr-eu1.nanopool.org,
# gulf.moneroocean.stream, rx.unmineable.com.
KNOWN_POOLS = (
    "moneroocean.stream", "supportxmr.com", "nanopool.org", "2miners.com", "f2pool.com",
    "minexmr.com", "hashvault.pro", "c3pool.com", "herominers.com", "unmineable.com",
    "nicehash.com", "ethermine.org", "miningpoolhub.com", "xmrpool.eu", "monerohash.com",
    "minergate.com", "viabtc.com", "antpool.com", "dxpool.com", "kryptex.network",
    "woolypooly.com", "zpool.ca", "p2pool.io", "gntl.uk",
)
# First labels under a pool's domain that serve its web site or API, not
# stratum: a browser on www.nicehash.com is not a miner.
WEB_LABELS = frozenset(("www", "api", "api2", "app", "blog", "docs", "help", "support", "status", "static", "cdn", "m"))

# Ports pools customarily serve stratum on (plain and TLS).
STRATUM_PORTS = frozenset((3333, 4444, 5555, 7777, 14433, 14444, 45700))

SHELLS_AND_WRAPPERS = frozenset((
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox", "fish", "tcsh", "csh",
    "sudo", "su", "runuser", "doas", "nohup", "setsid", "env", "timeout", "nice", "ionice",
    "xargs", "flock", "stdbuf", "chronic",
))

# Connects already reported, so a miner reconnecting every few seconds is
# one finding per process and destination; bounded so it cannot grow
# without limit on a busy host.
MAX_SEEN = 4096


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def under_domain(name: str, suffix: str) -> bool:
    """`name` is `suffix` or a subdomain of it (label boundary: evilsupportxmr.com is not)."""
    return name == suffix or name.endswith("." + suffix)


class Cryptominer(Detector):
    @classmethod
    def describe(cls):
        d = (
            describe("cryptominer", "Cryptocurrency mining", "0.1.0")
            .description(
                "A cryptocurrency miner was started (stratum URL, miner options or a miner's "
                "binary name) or a process connected to a mining pool."
            )
            .requires("process")
            .uses("dns", "container")
            .finding(
                finding("cryptocurrency_mining", "high")
                .description("Cryptocurrency mining on this machine")
                .mitre("Impact", "T1496.001")
                .fields(
                    "signals", "pathname", "argv", "pool", "pool_url", "remote_addr", "remote_port",
                    "domains", "ancestry", "service", "service_pid", "container_id",
                    "container_name", "container_image",
                )
            )
        )
        for scheme in URL_SELECTORS:
            d.selector(select("sched_process_exec").where("argv", "contains", scheme))
        for opt in MINER_ONLY_OPTIONS:
            d.selector(select("sched_process_exec").where("argv", "contains", opt))
        d.selector(select("sched_process_exec").where("argv", "contains", "rx/0"))
        # --coin/--algo alone are ordinary words; only with a pool option.
        for opt in ("--coin", "--algo"):
            d.selector(select("sched_process_exec").where("argv", "contains", opt).where("argv", "equal", "-o"))
            d.selector(select("sched_process_exec").where("argv", "contains", opt).where("argv", "prefix", "--url"))
        for name in MINER_BINARIES:
            d.selector(select("sched_process_exec").where("pathname", "suffix", "/" + name))
        # DNS lookups are the most frequent connects and never go to a pool.
        d.selector(select("security_socket_connect").where("remote_port", "not-equal", 53))
        return d

    def __init__(self, config):
        super().__init__(config)
        self.allow = frozenset(n[:COMM_LEN] for n in config.list("allow_comm"))
        pools = list(KNOWN_POOLS)
        for p in config.list("extra_pools"):
            p = p.strip(".").lower()
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", p):
                raise ValueError(f"config 'extra_pools': {p!r} is not a domain name")
            pools.append(p)
        self.pools = tuple(pools)
        self.seen = set()

    # -- the rule --------------------------------------------------------------

    def on_event(self, ev):
        # Fields are decoded when read: without an allow list the comm of a
        # connect that turns out not to be a pool is never decoded at all.
        if self.allow and ev.process.comm[:COMM_LEN] in self.allow:
            return None
        if ev.name == "sched_process_exec":
            return self.on_exec(ev)
        if ev.name == "security_socket_connect":
            return self.on_connect(ev)
        return None

    def on_exec(self, ev):
        pathname = ev.str("pathname") or ev.str("filename") or ev.process.exe
        if basename(pathname)[:COMM_LEN] in self.allow:
            return None
        argv = ev.list("argv", [])
        signals = []
        pool = pool_url = None

        for arg in argv:
            m = STRATUM_URL.search(arg)
            if m:
                pool_url = m.group(0)
                pool = m.group(2).strip("[]")
                signals.append("stratum_url")
                break
        options, endpoint = self.miner_options(argv)
        if options:
            signals.append("miner_options")
        if pool is None and endpoint is not None:
            pool = endpoint
        if basename(pathname).lower() in MINER_NAMES or (argv and basename(argv[0]).lower() in MINER_NAMES):
            signals.append("miner_binary")
        if not signals:
            return None
        if pool is not None and self.known_pool(pool.lower()):
            signals.append("known_pool")

        det = Detection(signals=signals, pathname=pathname, argv=argv)
        if pool is not None:
            det.field("pool", pool)
        if pool_url is not None:
            det.field("pool_url", pool_url)
        strong = "stratum_url" in signals or "miner_options" in signals
        det.with_severity("high" if strong else "medium")
        self.add_context(det, ev)
        return det

    @staticmethod
    def miner_options(argv):
        """(matched, pool endpoint) for options only a miner takes."""
        matched = False
        endpoint = None
        coin_or_algo = False
        for i, arg in enumerate(argv):
            name, eq, inline = arg.partition("=")
            value = inline if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            if name in MINER_ONLY_OPTIONS:
                matched = True
            elif name in ("-a", "--algo"):
                if value.lower().startswith(MINING_ALGOS):
                    matched = True
                coin_or_algo = coin_or_algo or bool(value)
            elif name == "--coin":
                coin_or_algo = coin_or_algo or bool(value)
            elif name in POOL_OPTIONS:
                m = HOST_PORT.match(value)
                if m and endpoint is None:
                    endpoint = m.group(1).strip("[]")
        # --coin/--algo are generic words: a miner only with a pool endpoint.
        if coin_or_algo and endpoint is not None:
            matched = True
        return matched, (endpoint if matched else None)

    def on_connect(self, ev):
        addr = ev.str("remote_addr")
        port = ev.int("remote_port")
        if not addr or addr.startswith(("/", "@")):  # unix sockets
            return None
        key = (ev.process.entity_id, addr, port)
        if key in self.seen:
            return None
        domains = self.names_of(addr)
        if not domains:
            return None

        pool = next((d for d in domains if self.known_pool(d)), None)
        signal = "known_pool"
        if pool is None and port in STRATUM_PORTS:
            pool = next((d for d in domains if any("pool" in label for label in d.split("."))), None)
            signal = "stratum_port"
        if pool is None:
            return None

        if len(self.seen) >= MAX_SEEN:
            self.seen.clear()
        self.seen.add(key)
        det = Detection(signals=[signal], pool=pool, remote_addr=addr, domains=domains)
        if port is not None:
            det.field("remote_port", port)
        det.with_severity("medium")
        self.add_context(det, ev)
        return det

    # -- lookups -----------------------------------------------------------------

    def known_pool(self, domain: str) -> bool:
        domain = domain.rstrip(".").lower()
        for suffix in self.pools:
            if domain != suffix and under_domain(domain, suffix):
                return domain[: -len(suffix) - 1].rsplit(".", 1)[-1] not in WEB_LABELS
        return False

    @staticmethod
    def names_of(addr: str) -> list:
        """Domains the DNS store saw resolve to `addr` (lower case, no root dot)."""
        queries = [addr]
        if addr.lower().startswith("::ffff:") and "." in addr:
            queries.append(addr[7:])  # an IPv4 peer of a dual-stack socket
        for q in queries:
            try:
                answer = stores.get_dns_response(q)
            except NotFound:
                continue
            except StoreError as e:
                log.debug(f"dns: {e}")
                return []
            names = []
            # Only the domains are decoded; the record's addresses are not.
            for d in answer.domains:
                d = d.rstrip(".").lower()
                if d and d not in names:
                    names.append(d)
            if names:
                return names
        return []

    @staticmethod
    def add_context(det, ev):
        """Ancestry, launching service and container: enrichment that must
        never cost the finding itself, so store failures only leave gaps."""
        try:
            chain = stores.get_ancestry(ev.process.entity_id, MAX_ANCESTRY)
        except NotFound:
            chain = []
        except StoreError as e:
            log.warn(f"ancestry of pid {ev.process.pid}: {e}")
            chain = []
        # Views of the answer's buffer: a field is decoded when read, so
        # each name is read once and an exe only when its name is empty.
        ancestors = [(p.name, p) for p in chain[1:]]  # [0] is the process itself
        det.field("ancestry", [f"{name}({p.pid})" for name, p in ancestors])
        for name, p in ancestors:
            service = name or basename(p.exe)
            if basename(service) not in SHELLS_AND_WRAPPERS:
                det.field("service", service)
                det.field("service_pid", p.pid)
                break

        cid = ev.container_id
        if cid:
            det.field("container_id", cid)
            try:
                c = stores.get_container(cid)
            except StoreError:
                return
            if c.name:
                det.field("container_name", c.name)
            if c.image:
                det.field("container_image", c.image)


Guest = sandtrap.export_detector(Cryptominer)
