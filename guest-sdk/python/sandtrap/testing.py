"""A small in-process mock host for unit tests of Python detectors.

Building a component takes ~25 s and compiling it in the host several
more, so the inner loop of writing a rule is better spent in CPython:
`guest-sdk/python/unittest.sh DIR` puts the *stub* bindings
(`componentize-py bindings`) on the path, and this module replaces the
stub store functions with in-memory ones. `sandtrap test` with YAML
scenarios stays the acceptance test: it runs the real component in the
real sandbox. Never imported by a component.

    host = MockHost()
    host.add_process(1, name="systemd")
    host.add_process(700, ppid=1, name="cron")
    host.add_dns("pool.supportxmr.com", ["203.0.113.7"])
    out = host.run(Guest, [host.event("security_socket_connect", pid=700,
                                      args={"remote_addr": "203.0.113.7", "remote_port": 443})])
    assert out.detections[0]["fields"]["pool"] == "pool.supportxmr.com"
"""

from dataclasses import dataclass, field

from . import _wit
from .values import field as _field


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
        """An event from process `pid`, recorded in the process tree the way
        the host does before detectors see it (an exec renames the process)."""
        t = _wit.types
        args = dict(args or {})
        if name == "sched_process_exec":
            path = args.get("pathname", exe)
            exe = exe or path
            self.add_process(pid, ppid, name=(comm or path.rsplit("/", 1)[-1]), exe=exe,
                             argv=args.get("argv", ()), uid=uid, container_id=container_id)
        elif pid not in self.processes:
            self.add_process(pid, ppid, name=comm or "", exe=exe, uid=uid, container_id=container_id)
        self._seq += 1
        ctx = t.ProcessContext(
            entity_id=pid, parent_entity_id=ppid, pid=pid, tid=pid, ppid=ppid, start_ticks=0,
            comm=(comm or self.processes[pid].name)[:15], exe=exe or self.processes[pid].exe,
            uid=uid, gid=uid, cgroup_id=0, container_id=container_id,
        )
        return t.Event(seq=self._seq, timestamp=self.CLOCK, name=name, process=ctx,
                       args=[_field(k, v) for k, v in args.items()])

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
        """init with `config`, then `on-batch` over `events`, then close."""
        self.install()
        g = guest_cls()
        g.describe()
        try:
            g.init(list((config or {}).items()))
        except _wit.Err as e:
            return Result(init_error=e.value)
        out = g.on_batch(list(events))
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
