"""A small in-process mock host for unit tests of Python detectors, and
the event encoder it feeds them with.

Building a component takes ~25 s and compiling it in the host several
more, so the inner loop of writing a rule is better spent in CPython:
`guest-sdk/python/unittest.sh DIR` puts the *stub* bindings
(`componentize-py bindings`) on the path, and this module replaces the
stub store functions with in-memory ones. Events are encoded into the
flat batch of docs/event-encoding.md exactly as the host does it
(`encode_event`, `encode_batch`, checked byte for byte against
guest-sdk/wire/testdata/batch.bin), so unit tests go through the same
decoder as the component. `sandtrap test` with YAML scenarios stays the
acceptance test: it runs the real component in the real sandbox. Never
imported by a component.

    host = MockHost()
    host.add_process(1, name="systemd")
    host.add_process(700, ppid=1, name="cron")
    host.add_dns("pool.supportxmr.com", ["203.0.113.7"])
    out = host.run(Guest, [host.event("security_socket_connect", pid=700,
                                      args={"remote_addr": "203.0.113.7", "remote_port": 443})])
    assert out.detections[0]["fields"]["pool"] == "pool.supportxmr.com"
"""

import struct
from dataclasses import dataclass, field

from . import _wit
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
from .values import from_value, to_value

_U32_MAX = (1 << 32) - 1


class _Writer:
    """One event under construction: a fixed part and argument table
    zeroed up front, strings appended to the data area in the order the
    Rust encoder (guest-sdk/wire/src/write.rs) appends them, so the bytes
    are the host's, not merely equivalent."""

    def __init__(self, table_len):
        self.out = bytearray(table_len)

    def u32(self, at, v):
        struct.pack_into("<I", self.out, at, v)

    def u64(self, at, v):
        struct.pack_into("<Q", self.out, at, v)

    def data(self, at, b):
        # The empty string stays (0, 0), as the format prescribes.
        if b:
            self.u32(at, len(self.out))
            self.u32(at + 4, len(b))
            self.out += b


def _pairs(args):
    """`args` as (name, value) pairs: a dict, or an iterable of pairs when
    a name must repeat (the host keeps duplicates; lookups see the first)."""
    if args is None:
        return []
    return list(args.items()) if isinstance(args, dict) else [tuple(a) for a in args]


def encode_event(name, *, seq=0, timestamp=0, entity_id=0, parent_entity_id=0, start_ticks=0,
                 cgroup_id=0, pid=0, tid=0, ppid=0, uid=0, gid=0, comm="", exe="", container_id="",
                 args=None) -> bytes:
    """One event encoded as in docs/event-encoding.md.

    `args` is a dict or a list of (name, value) pairs. Values convert as
    detection fields do (`sandtrap.to_value`: a non-negative int is a
    `uint`, a negative one an `int`); pass a generated `Value_*`
    (`_wit.types.Value_Int(5)`) to choose the kind. Integers out of range
    raise `ValueError`, as does an event beyond the format's 4 GiB.
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
            w.data(at, s.encode())
        w.u32(AT_ARG_COUNT, len(pairs))
        t = _wit.types
        for i, (arg_name, v) in enumerate(pairs):
            entry = HEADER_LEN + i * ARG_LEN
            w.data(entry, arg_name.encode())
            payload = entry + 16
            if isinstance(v, t.Value_Str):
                w.out[entry + 8] = KIND_STR
                w.data(payload, v.value.encode())
            elif isinstance(v, t.Value_Int):
                w.out[entry + 8] = KIND_INT
                struct.pack_into("<q", w.out, payload, v.value)
            elif isinstance(v, t.Value_Uint):
                w.out[entry + 8] = KIND_UINT
                w.u64(payload, v.value)
            elif isinstance(v, t.Value_Boolean):
                w.out[entry + 8] = KIND_BOOL
                w.u64(payload, 1 if v.value else 0)
            elif isinstance(v, t.Value_Bytes):
                w.out[entry + 8] = KIND_BYTES
                w.data(payload, bytes(v.value))
            else:  # Value_StrList: to_value admits nothing else
                w.out[entry + 8] = KIND_STR_LIST
                # The table's offset is written even for an empty list.
                table = len(w.out)
                w.u32(payload, table)
                w.u32(payload + 4, len(v.value))
                w.out += bytes(8 * len(v.value))
                for j, s in enumerate(v.value):
                    w.data(table + 8 * j, s.encode())
    except struct.error as e:
        raise ValueError(f"event {name!r}: {e}") from None
    if len(w.out) > _U32_MAX:
        raise ValueError(f"event {name!r} is larger than 4 GiB")
    return bytes(w.out)


def encode_batch(events) -> bytes:
    """Encoded events framed as one `on-events` buffer: the count, the
    start of each event, then the events."""
    events = [bytes(e) for e in events]
    table = 4 + 4 * len(events)
    if table + sum(map(len, events)) > _U32_MAX:
        raise ValueError("event batch larger than 4 GiB")
    head = bytearray(struct.pack("<I", len(events)))
    start = table
    for e in events:
        head += struct.pack("<I", start)
        start += len(e)
    return bytes(head) + b"".join(events)


@dataclass
class Result:
    """What `MockHost.run` saw: detections as plain dicts, and errors."""

    detections: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    init_error: str = None


class MockHost:
    CLOCK = 1_700_000_000_000_000_000

    def __init__(self):
        self.processes = {}
        self.containers = {}
        self.dns = {}
        self.logs = []
        self._seq = 0

    # -- fixtures --------------------------------------------------------------

    def add_process(self, pid, ppid=0, name="", exe="", argv=(), uid=0, container_id=""):
        """Entity ids are the pids here: unit tests do not reuse pids."""
        t = _wit.types
        self.processes[pid] = t.ProcessInfo(
            entity_id=pid, parent_entity_id=ppid, pid=pid, ppid=ppid,
            name=name or exe.rsplit("/", 1)[-1], exe=exe, argv=list(argv),
            start_time=self.CLOCK, uid=uid, gid=uid, container_id=container_id, exit_time=None,
        )

    def add_container(self, id, name="", image="", runtime="docker"):
        self.containers[id] = _wit.types.ContainerInfo(
            id=id, name=name, image=image, image_digest="", runtime=runtime, start_time=self.CLOCK, pod=None,
        )

    def add_dns(self, domain, ips, cnames=()):
        """`domain` resolved to `ips` (through `cnames`), answering both the
        domain and each address, like the host's cache."""
        chain = [domain, *cnames]
        self.dns[domain] = _wit.types.DnsResponse(query=domain, ips=list(ips), domains=list(cnames))
        for ip in ips:
            prev = self.dns.get(ip)
            names = list(prev.domains) if prev else []
            names += [d for d in chain if d not in names]
            self.dns[ip] = _wit.types.DnsResponse(query=ip, ips=[], domains=names)

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
        """Points the stub bindings' imports at this host."""
        t = _wit.types

        def err(e):
            raise _wit.Err(e)

        def get_process(eid):
            return self.processes[eid] if eid in self.processes else err(t.StoreError_NotFound())

        def get_ancestry(eid, depth):
            chain, seen = [], set()
            while eid in self.processes and eid not in seen and len(chain) < min(depth, 64):
                seen.add(eid)
                chain.append(self.processes[eid])
                eid = self.processes[eid].parent_entity_id
            return chain

        def get_children(eid):
            return [p for p in self.processes.values() if p.parent_entity_id == eid]

        def get_container(cid):
            if len(cid) < 12:
                err(t.StoreError_InvalidArgument("a container id prefix has at least 12 characters"))
            hits = [c for k, c in self.containers.items() if k.startswith(cid)]
            return hits[0] if len(hits) == 1 else err(t.StoreError_NotFound())

        def get_dns(q):
            return self.dns[q] if q in self.dns else err(t.StoreError_NotFound())

        _wit.processes.get_process = get_process
        _wit.processes.get_ancestry = get_ancestry
        _wit.processes.get_child_processes = get_children
        _wit.containers.get_container = get_container
        _wit.dns.get_dns_response = get_dns
        _wit.host.log = lambda level, msg: self.logs.append((level.name.lower(), msg))
        _wit.host.now = lambda: self.CLOCK
        return self

    def run(self, guest_cls, events, config=None):
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
        batch = events if isinstance(events, (bytes, bytearray)) else encode_batch(events)
        out = g.on_events(bytes(batch))
        g.close()
        res = Result()
        for d in out.detections:
            res.detections.append({
                "index": d.index,
                "severity": None if d.detection.severity is None else d.detection.severity.name.lower(),
                "fields": {f.name: f.value.value for f in d.detection.fields},
            })
        res.errors = [(e.index, e.message) for e in out.errors]
        return res
