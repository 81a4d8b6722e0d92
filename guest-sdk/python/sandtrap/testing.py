"""A small in-process mock host for unit tests of Python detectors, and
the encoders it feeds them with.

Building a component takes ~25 s and compiling it in the host several
more, so the inner loop of writing a rule is better spent in CPython:
`guest-sdk/python/unittest.sh DIR` puts the *stub* bindings
(`componentize-py bindings`) on the path, and this module replaces the
stub store functions and `host.report` with in-memory ones. Events and
store answers are encoded as in docs/wire-encoding.md exactly as the host
does it (`encode_event`, `encode_batch`, `encode_records`, checked byte for
byte against the vectors of guest-sdk/wire/testdata/), so unit tests go
through the same decoders as the component; what the glue reports is
decoded as strictly as the host does it (`decode_output`), so an encoder
bug fails a unit test the way it would trap the instance. `sandtrap test`
with YAML scenarios stays the acceptance test: it runs the real component
in the real sandbox. Never imported by a component.

    host = MockHost()
    host.add_process(1, name="systemd")
    host.add_process(700, ppid=1, name="cron")
    host.add_dns("pool.supportxmr.com", ["203.0.113.7"])
    out = host.run(Guest, [host.event("security_socket_connect", pid=700,
                                      args={"remote_addr": "203.0.113.7", "remote_port": 443})])
    assert out.detections[0]["fields"]["pool"] == "pool.supportxmr.com"
"""

import bisect
import ipaddress
import struct
from dataclasses import dataclass, field
from enum import Enum

from . import _wit
from . import output as _out
from . import records as _rec
from ._write import Writer as _Writer, frame as _frame
from .event import (
    ARG_LEN,
    AT_ARG_COUNT,
    AT_CGROUP_ID,
    AT_COMM,
    AT_CONTAINER_ID,
    AT_ENTITY_ID,
    AT_EXE,
    AT_GID,
    AT_NAME,
    AT_PARENT_ENTITY_ID,
    AT_PID,
    AT_PPID,
    AT_SEQ,
    AT_START_TICKS,
    AT_TID,
    AT_TIMESTAMP,
    AT_UID,
    HEADER_LEN,
    KIND_BOOL,
    KIND_BYTES,
    KIND_INT,
    KIND_STR,
    KIND_STR_LIST,
    KIND_UINT,
)
from .values import BY_KIND, Field, from_value, to_value

_U32 = struct.Struct("<I")
_PAIR = struct.Struct("<II")


def _pairs(args):
    """`args` as (name, value) pairs: a dict, or an iterable of pairs when
    a name must repeat (the host keeps duplicates; lookups see the first)."""
    if args is None:
        return []
    return list(args.items()) if isinstance(args, dict) else [tuple(a) for a in args]


def encode_event(name, *, seq=0, timestamp=0, entity_id=0, parent_entity_id=0, start_ticks=0,
                 cgroup_id=0, pid=0, tid=0, ppid=0, uid=0, gid=0, comm="", exe="", container_id="",
                 args=None) -> bytes:
    """One event encoded as in docs/wire-encoding.md.

    `args` is a dict or a list of (name, value) pairs. Values convert as
    detection fields do (`sandtrap.to_value`: a non-negative int is a
    `uint`, a negative one an `int`); pass a `sandtrap.Value_*`
    (`Value_Int(5)`) to choose the kind. Integers out of range raise
    `ValueError`, as does an event beyond the format's 4 GiB.
    """
    pairs = [(k, to_value(v)) for k, v in _pairs(args)]
    w = _Writer(HEADER_LEN + ARG_LEN * len(pairs))
    try:
        for at, v in ((AT_SEQ, seq), (AT_TIMESTAMP, timestamp), (AT_ENTITY_ID, entity_id),
                      (AT_PARENT_ENTITY_ID, parent_entity_id), (AT_START_TICKS, start_ticks),
                      (AT_CGROUP_ID, cgroup_id)):
            w.u64(at, v)
        for at, v in ((AT_PID, pid), (AT_TID, tid), (AT_PPID, ppid), (AT_UID, uid), (AT_GID, gid)):
            w.u32(at, v)
        for at, s in ((AT_NAME, name), (AT_COMM, comm), (AT_EXE, exe), (AT_CONTAINER_ID, container_id)):
            w.str(at, s)
        # The argument table is the output encoder's: batch.bin checks both.
        w.args(AT_ARG_COUNT, HEADER_LEN, pairs)
    except struct.error as e:
        raise ValueError(f"event {name!r}: {e}") from None
    return w.done(f"event {name!r}")


def encode_batch(events) -> bytes:
    """Encoded events framed as one `on-events` buffer."""
    return _frame(events, "event batch")


# -- store answers -------------------------------------------------------------
#
# One dataclass per record kind, with the fields of the layout (the Rust
# encoder's ProcessFields, ContainerFields, …). `encode()` gives one
# record, `encode_records` frames them as the answer a store call returns.
# Integers out of range raise ValueError.


def _record_encoder(what):
    """Turns `fill(self, writer)` into `encode(self) -> bytes`: one place
    for the fixed part, the range errors and the size check."""
    def wrap(fill):
        def encode(self) -> bytes:
            w = _Writer(self.LEN)
            try:
                fill(self, w)
            except struct.error as e:
                raise ValueError(f"{what}: {e}") from None
            return w.done(what)
        encode.__doc__ = f"The {what} encoded alone (docs/wire-encoding.md)."
        return encode
    return wrap


@dataclass
class ProcessFields:
    entity_id: int = 0
    parent_entity_id: int = 0
    start_time: int = 0
    exit_time: int = None  # None while the process runs
    pid: int = 0
    ppid: int = 0
    uid: int = 0
    gid: int = 0
    name: str = ""
    exe: str = ""
    container_id: str = ""
    argv: list = field(default_factory=list)

    LEN = _rec.PROCESS_LEN

    @_record_encoder("process record")
    def encode(self, w):
        w.u64(_rec.PROCESS_ENTITY_ID, self.entity_id)
        w.u64(_rec.PROCESS_PARENT_ENTITY_ID, self.parent_entity_id)
        w.u64(_rec.PROCESS_START_TIME, self.start_time)
        w.u64(_rec.PROCESS_EXIT_TIME, self.exit_time or 0)
        w.u32(_rec.PROCESS_PID, self.pid)
        w.u32(_rec.PROCESS_PPID, self.ppid)
        w.u32(_rec.PROCESS_UID, self.uid)
        w.u32(_rec.PROCESS_GID, self.gid)
        w.str(_rec.PROCESS_NAME, self.name)
        w.str(_rec.PROCESS_EXE, self.exe)
        w.str(_rec.PROCESS_CONTAINER_ID, self.container_id)
        w.str_list(_rec.PROCESS_ARGV, self.argv)


@dataclass
class PodFields:
    name: str = ""
    uid: str = ""
    namespace: str = ""
    sandbox: bool = False


@dataclass
class ContainerFields:
    start_time: int = 0
    id: str = ""
    name: str = ""
    image: str = ""
    image_digest: str = ""
    runtime: str = ""
    pod: PodFields = None

    LEN = _rec.CONTAINER_LEN

    @_record_encoder("container record")
    def encode(self, w):
        w.u64(_rec.CONTAINER_START_TIME, self.start_time)
        w.str(_rec.CONTAINER_ID, self.id)
        w.str(_rec.CONTAINER_NAME, self.name)
        w.str(_rec.CONTAINER_IMAGE, self.image)
        w.str(_rec.CONTAINER_IMAGE_DIGEST, self.image_digest)
        w.str(_rec.CONTAINER_RUNTIME, self.runtime)
        if self.pod is not None:
            w.str(_rec.CONTAINER_POD_NAME, self.pod.name)
            w.str(_rec.CONTAINER_POD_UID, self.pod.uid)
            w.str(_rec.CONTAINER_POD_NAMESPACE, self.pod.namespace)
            w.u8(_rec.CONTAINER_FLAGS, _rec.FLAG_HAS_POD | (_rec.FLAG_SANDBOX if self.pod.sandbox else 0))


@dataclass
class DnsFields:
    query: str = ""
    ips: list = field(default_factory=list)
    domains: list = field(default_factory=list)

    LEN = _rec.DNS_LEN

    @_record_encoder("dns record")
    def encode(self, w):
        w.str(_rec.DNS_QUERY, self.query)
        w.str_list(_rec.DNS_IPS, self.ips)
        w.str_list(_rec.DNS_DOMAINS, self.domains)


@dataclass
class SymbolFields:
    query: int = 0
    address: int = 0
    name: str = ""
    module: str = ""

    LEN = _rec.SYMBOL_LEN

    @_record_encoder("symbol record")
    def encode(self, w):
        w.u64(_rec.SYMBOL_QUERY, self.query)
        w.u64(_rec.SYMBOL_ADDRESS, self.address)
        w.str(_rec.SYMBOL_NAME, self.name)
        w.str(_rec.SYMBOL_MODULE, self.module)


@dataclass
class ReputationFields:
    last_updated: int = 0
    ip: str = ""
    source: str = ""
    tags: list = field(default_factory=list)
    status: object = 0  # a generated ReputationStatus, or its wire code
    severity: int = 0

    LEN = _rec.REPUTATION_LEN

    @_record_encoder("reputation record")
    def encode(self, w):
        w.u64(_rec.REPUTATION_LAST_UPDATED, self.last_updated)
        w.str(_rec.REPUTATION_IP, self.ip)
        w.str(_rec.REPUTATION_SOURCE, self.source)
        w.str_list(_rec.REPUTATION_TAGS, self.tags)
        w.u8(_rec.REPUTATION_STATUS, self.status.value if isinstance(self.status, Enum) else self.status)
        w.u8(_rec.REPUTATION_SEVERITY, self.severity)


def encode_records(records) -> bytes:
    """Records (`ProcessFields`, `ContainerFields`, … or already encoded
    bytes) framed as one store answer."""
    return _frame((r if isinstance(r, (bytes, bytearray)) else r.encode() for r in records), "record list")


# -- output ------------------------------------------------------------------------


class HostTrap(BaseException):
    """What the host would answer by trapping the instance: a `report`
    outside `on-events`, over 4 MiB in one call, or a buffer it cannot
    read. A `BaseException`, so the glue's per-event `except Exception`
    cannot swallow it: it ends `on_events` as a trap would."""


@dataclass
class Reported:
    """One output record: a detection (`fields`, a list of
    `sandtrap.Field`, and `severity`, the byte: 0 the definition's, 1 info
    … 5 critical) or an error (`message`) of event `index`."""

    index: int
    kind: str  # "detection" or "error"
    severity: int = 0
    fields: list = field(default_factory=list)
    message: str = ""


# The host whose imports the stub bindings point to (they are global).
_installed = None

_SEVERITY_NAMES = (None, "info", "low", "medium", "high", "critical")


def decode_output(data) -> list:
    """What a `report` call sent, as `Reported` records in order.

    As strict as the host (host/runtime/src/convert.rs): a count that does
    not match its offset table, an item out of bounds or out of order, an
    unknown kind or severity, a str that is not UTF-8, or a field table that
    does not fit raises `HostTrap` naming the record. The SDK's readers are
    lenient on purpose; this one is not, so an encoder bug fails here
    instead of losing a field."""
    buf = bytes(data)
    n = len(buf)
    if n < 4:
        raise HostTrap(f"an output of {n} bytes has no record count")
    count = _U32.unpack_from(buf, 0)[0]
    table = 4 + 4 * count
    if table > n:
        raise HostTrap(f"a list of {count} records does not fit in {n} bytes")
    starts = list(struct.unpack_from("<%dI" % count, buf, 4)) + [n]
    out = []
    for j in range(count):
        start, end = starts[j], starts[j + 1]
        if not table <= start <= end <= n:
            raise HostTrap(f"record {j}: bounds {start}..{end} outside {table}..{n}")
        out.append(_decode_record(buf[start:end], j))
    return out


def _decode_record(rec: bytes, j: int) -> Reported:
    size = len(rec)

    def fail(why):
        raise HostTrap(f"record {j}: {why}")

    def text(at, what):
        off, length = _PAIR.unpack_from(rec, at)
        if off + length > size:
            fail(f"{what} is out of bounds")
        try:
            return rec[off:off + length].decode()
        except UnicodeDecodeError:
            fail(f"{what} is not UTF-8")

    if size < _out.RECORD_LEN:
        fail(f"{size} bytes are shorter than the fixed part")
    index = _U32.unpack_from(rec, _out.AT_INDEX)[0]
    kind = rec[_out.AT_KIND]
    if kind == _out.KIND_ERROR:
        return Reported(index=index, kind="error", message=text(_out.AT_MESSAGE, "the message"))
    if kind != _out.KIND_DETECTION:
        fail(f"unknown kind {kind}")
    severity = rec[_out.AT_SEVERITY]
    if severity >= len(_SEVERITY_NAMES):
        fail(f"severity {severity} is not 0..=5")
    count = _U32.unpack_from(rec, _out.AT_FIELD_COUNT)[0]
    if _out.RECORD_LEN + ARG_LEN * count > size:
        fail(f"{count} fields do not fit in {size} bytes")
    fields = []
    for i in range(count):
        entry = _out.RECORD_LEN + ARG_LEN * i
        name = text(entry, f"field {i}'s name")
        k = rec[entry + 8]
        p = entry + 16
        if k == KIND_STR:
            v = text(p, f"field {name!r}")
        elif k == KIND_INT:
            v = struct.unpack_from("<q", rec, p)[0]
        elif k == KIND_UINT:
            v = struct.unpack_from("<Q", rec, p)[0]
        elif k == KIND_BOOL:
            v = struct.unpack_from("<Q", rec, p)[0]
            if v > 1:
                fail(f"field {name!r}: boolean {v}")
            v = v == 1
        elif k == KIND_BYTES:
            off, length = _PAIR.unpack_from(rec, p)
            if off + length > size:
                fail(f"field {name!r} is out of bounds")
            v = rec[off:off + length]
        elif k == KIND_STR_LIST:
            off, n = _PAIR.unpack_from(rec, p)
            if off + 8 * n > size:
                fail(f"field {name!r}: its table is out of bounds")
            v = [text(off + 8 * e, f"field {name!r}[{e}]") for e in range(n)]
        else:
            fail(f"field {name!r}: unknown kind {k}")
        fields.append(Field(name=name, value=BY_KIND[k](v)))
    return Reported(index=index, kind="detection", severity=severity, fields=fields)


@dataclass
class Result:
    """What `MockHost.run` (or `.call`) saw, as a detector's user reads it:
    each detection as a dict (`index`, `severity`: None for the
    definition's or its name, `fields`: name → plain value, the first of a
    repeated name as the host keeps it), errors as (index, message), and
    `reports`, the raw buffers the glue sent (none when nothing was
    found)."""

    detections: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    init_error: str = None
    reports: list = field(default_factory=list)

    def add(self, buf: bytes) -> None:
        self.reports.append(buf)
        for r in decode_output(buf):
            if r.kind == "error":
                self.errors.append((r.index, r.message))
                continue
            fields = {}
            for f in r.fields:
                fields.setdefault(f.name, from_value(f.value))
            self.detections.append({"index": r.index, "severity": _SEVERITY_NAMES[r.severity],
                                    "fields": fields})


class _ReputationStore:
    """A read-only reputation store for `MockHost.add_reputation`: exact
    address, then the longest prefix containing it; the winner is the
    newest entry (last-write-wins), ties to the first source name in sort
    order. Entries keep source order (first write of each source)."""

    def __init__(self, name):
        self.name = name
        self.entries = {}  # key → {source: ReputationFields}, sources in order

    def lookup(self, ip):
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise _wit.Err(_wit.types.StoreError_InvalidArgument(f"{ip!r} is not an IP address")) from None
        if ip in self.entries:
            return self.entries[ip]
        best, best_len = None, -1
        for key, by_source in self.entries.items():
            try:
                net = ipaddress.ip_network(key, strict=False)
            except ValueError:
                continue
            if addr.version == net.version and addr in net and net.prefixlen > best_len:
                best, best_len = by_source, net.prefixlen
        if best is None:
            raise _wit.Err(_wit.types.StoreError_NotFound())
        return best

    def winner(self, ip):
        entries = list(self.lookup(ip).values())
        newest = max(e.last_updated for e in entries)
        return min((e for e in entries if e.last_updated == newest), key=lambda e: e.source)


class _ReputationReader:
    """What the stub's `ip_reputation.Reader` resource answers, from a
    `_ReputationStore`."""

    def __init__(self, store):
        self._store = store

    def get(self, ip):
        return encode_records([self._store.winner(ip)])

    def get_all(self, ip):
        return encode_records(self._store.lookup(ip).values())

    def is_blacklisted(self, ip):
        try:
            status = self._store.winner(ip).status
        except _wit.Err as e:
            if isinstance(e.value, _wit.types.StoreError_NotFound):
                return False
            raise
        code = status.value if isinstance(status, Enum) else status
        return code == _wit.ip_reputation.ReputationStatus.BLACKLISTED.value

    def list_sources(self):
        seen = []
        for by_source in self._store.entries.values():
            seen += [s for s in by_source if s not in seen]
        return seen


class MockHost:
    CLOCK = 1_700_000_000_000_000_000

    def __init__(self):
        self.processes = {}   # entity id → ProcessFields
        self.containers = {}  # id → ContainerFields
        self.dns = {}         # query → DnsFields
        self.symbols = []     # SymbolFields (query unset), sorted by address
        self.reputation = {}  # store name → _ReputationStore
        self.logs = []
        self._seq = 0
        # The Result of the on-events call in progress; None between calls,
        # when the host traps a report.
        self._call = None

    # -- fixtures --------------------------------------------------------------

    def add_process(self, pid, ppid=0, name="", exe="", argv=(), uid=0, container_id=""):
        """Entity ids are the pids here: unit tests do not reuse pids."""
        self.processes[pid] = ProcessFields(
            entity_id=pid, parent_entity_id=ppid, pid=pid, ppid=ppid,
            name=name or exe.rsplit("/", 1)[-1], exe=exe, argv=list(argv),
            start_time=self.CLOCK, uid=uid, gid=uid, container_id=container_id, exit_time=None,
        )

    def add_container(self, id, name="", image="", runtime="docker", image_digest="", pod=None):
        """`pod` is a `PodFields`, or None outside Kubernetes."""
        self.containers[id] = ContainerFields(
            id=id, name=name, image=image, image_digest=image_digest, runtime=runtime,
            start_time=self.CLOCK, pod=pod,
        )

    def add_dns(self, domain, ips, cnames=()):
        """`domain` resolved to `ips` (through `cnames`), answering both the
        domain and each address, like the host's cache."""
        chain = [domain, *cnames]
        self.dns[domain] = DnsFields(query=domain, ips=list(ips), domains=list(cnames))
        for ip in ips:
            prev = self.dns.get(ip)
            names = list(prev.domains) if prev else []
            names += [d for d in chain if d not in names]
            self.dns[ip] = DnsFields(query=ip, ips=[], domains=names)

    def add_symbol(self, address, name, module="system"):
        """A kernel symbol starting at `address`. An address resolves to the
        symbols that start at the greatest start at or below it (every
        alias there); below the first symbol it is `not-found`."""
        bisect.insort(self.symbols, SymbolFields(address=address, name=name, module=module),
                      key=lambda s: s.address)

    def add_reputation(self, store, ip, status, severity=5, tags=(), source="feed", last_updated=None):
        """An entry of reputation store `store` (created on first use, as if
        another detector had registered it) for an address or CIDR prefix;
        `status` is a generated `ReputationStatus` or its name."""
        if isinstance(status, str):
            status = _wit.ip_reputation.ReputationStatus[status.upper()]
        s = self.reputation.setdefault(store, _ReputationStore(store))
        s.entries.setdefault(ip, {})[source] = ReputationFields(
            last_updated=self.CLOCK if last_updated is None else last_updated, ip=ip, source=source,
            tags=list(tags), status=status, severity=severity,
        )

    def event(self, name, args=None, pid=100, ppid=1, comm=None, exe="", uid=0, container_id=""):
        """An encoded event from process `pid` (bytes; `sandtrap.Event(b)`
        views it), recorded in the process tree the way the host does
        before detectors see it (an exec renames the process). `args` is a
        dict, or (name, value) pairs to repeat a name; see `encode_event`."""
        pairs = _pairs(args)
        first = {}
        for k, v in pairs:
            first.setdefault(k, from_value(to_value(v)))
        if name == "sched_process_exec":
            path = first.get("pathname", exe)
            exe = exe or path
            self.add_process(pid, ppid, name=(comm or path.rsplit("/", 1)[-1]), exe=exe,
                             argv=first.get("argv", ()), uid=uid, container_id=container_id)
        elif pid not in self.processes:
            self.add_process(pid, ppid, name=comm or "", exe=exe, uid=uid, container_id=container_id)
        self._seq += 1
        return encode_event(
            name, seq=self._seq, timestamp=self.CLOCK, entity_id=pid, parent_entity_id=ppid,
            pid=pid, tid=pid, ppid=ppid, start_ticks=0, uid=uid, gid=uid, cgroup_id=0,
            comm=(comm or self.processes[pid].name)[:15], exe=exe or self.processes[pid].exe,
            container_id=container_id, args=pairs,
        )

    # -- the imports -------------------------------------------------------------

    def install(self):
        """Points the stub bindings' imports at this host. Answers are
        encoded record lists, as the host sends them."""
        t = _wit.types

        def err(e):
            raise _wit.Err(e)

        def get_process(eid):
            if eid not in self.processes:
                err(t.StoreError_NotFound())
            return encode_records([self.processes[eid]])

        def get_ancestry(eid, depth):
            chain, seen = [], set()
            while eid in self.processes and eid not in seen and len(chain) < min(depth, 64):
                seen.add(eid)
                chain.append(self.processes[eid])
                eid = self.processes[eid].parent_entity_id
            return encode_records(chain)

        def get_children(eid):
            return encode_records(p for p in self.processes.values() if p.parent_entity_id == eid)

        def get_container(cid):
            if cid in self.containers:
                return encode_records([self.containers[cid]])
            if len(cid) < 12:
                err(t.StoreError_InvalidArgument("a container id prefix has at least 12 characters"))
            hits = [c for k, c in self.containers.items() if k.startswith(cid)]
            return encode_records(hits) if len(hits) == 1 else err(t.StoreError_NotFound())

        def get_container_by_name(name):
            hits = [c for c in self.containers.values() if c.name == name]
            return encode_records(hits[:1]) if hits else err(t.StoreError_NotFound())

        def list_containers(f):
            def ok(c):
                return f is None or all(want is None or have == want for want, have in (
                    (f.name, c.name), (f.image, c.image), (f.runtime, c.runtime)))
            return encode_records(c for c in self.containers.values() if ok(c))

        def get_dns(q):
            return encode_records([self.dns[q]]) if q in self.dns else err(t.StoreError_NotFound())

        def resolve(address):
            """The aliases at the greatest start ≤ address, as records."""
            starts = [s.address for s in self.symbols]
            i = bisect.bisect_right(starts, address)
            if i == 0:
                return []
            at = starts[i - 1]
            return [SymbolFields(query=address, address=at, name=s.name, module=s.module)
                    for s in self.symbols if s.address == at]

        def resolve_symbol(address):
            found = resolve(address)
            return encode_records(found) if found else err(t.StoreError_NotFound())

        def get_symbol_address(name):
            hit = next((s.address for s in self.symbols if s.name == name), None)
            return hit if hit is not None else err(t.StoreError_NotFound())

        def resolve_batch(addresses):
            return encode_records([r for a in addresses for r in resolve(a)])

        def open_reputation(name):
            return _ReputationReader(self.reputation[name]) if name in self.reputation else err(t.StoreError_NotFound())

        def register_reputation(name, policy, priorities):
            # Writers are not simulated: fixtures come from add_reputation.
            err(t.StoreError_NotImplemented())

        _wit.processes.get_process = get_process
        _wit.processes.get_ancestry = get_ancestry
        _wit.processes.get_child_processes = get_children
        _wit.containers.get_container = get_container
        _wit.containers.get_container_by_name = get_container_by_name
        _wit.containers.list_containers = list_containers
        _wit.dns.get_dns_response = get_dns
        _wit.kernel_symbols.resolve_symbol_by_address = resolve_symbol
        _wit.kernel_symbols.get_symbol_address = get_symbol_address
        _wit.kernel_symbols.resolve_symbols_batch = resolve_batch
        _wit.ip_reputation.open = open_reputation
        _wit.ip_reputation.register = register_reputation
        _wit.host.log = lambda level, msg: self.logs.append((level.name.lower(), msg))
        _wit.host.now = lambda: self.CLOCK
        _wit.host.report = self._report
        global _installed
        _installed = self
        return self

    def _report(self, output):
        res = self._call
        if res is None:
            raise HostTrap("report called outside on-events")
        if not isinstance(output, (bytes, bytearray)):
            raise HostTrap(f"report takes bytes, not {type(output).__name__}")
        if sum(map(len, res.reports)) + len(output) > _out.MAX_REPORT_BYTES:
            raise HostTrap(f"reported more than {_out.MAX_REPORT_BYTES} bytes in one call")
        res.add(bytes(output))

    def call(self, guest, events) -> Result:
        """One `on-events` call of `guest` (an instance of the exported
        class, initialised) with `events`: encoded events, framed here, or
        an already framed batch. Returns what it reported. Installs this
        host's imports unless `install()` already did (so a test may
        replace one of them in between)."""
        if _installed is not self:
            self.install()
        batch = events if isinstance(events, (bytes, bytearray)) else encode_batch(events)
        self._call = res = Result()
        try:
            guest.on_events(bytes(batch))
        finally:
            self._call = None
        return res

    def run(self, guest_cls, events, config=None) -> Result:
        """init with `config`, then one `on-events` call, then close.
        `events` is a list of encoded events (`event`, `encode_event`),
        framed here, or an already framed batch (bytes)."""
        self.install()
        g = guest_cls()
        g.describe()
        try:
            g.init(list((config or {}).items()))
        except _wit.Err as e:
            return Result(init_error=e.value)
        res = self.call(g, events)
        g.close()
        return res
