"""The host's stores as plain functions that raise Python exceptions.

Answers that carry records arrive as one buffer (since contract 0.3) and come
back as lazy views of it (records.py): a call that names one thing returns
the record itself (`ProcessRecord`, `ContainerRecord`, `DnsRecord`,
`ReputationRecord`), the others a `Records` sequence of views. A field is
decoded when it is read. The introspection answers (system info, registry)
and scalars stay the generated types.

A failure raises a `sandtrap.StoreError` subclass: `NotFound` is an
ordinary answer, `StoreUnhealthy` means missing or degraded,
`InvalidArgument` a malformed argument. Each call counts against the
host's `store_calls_per_event` budget (1000).
"""

from . import _wit
from .errors import NotFound, call
from .records import ContainerRecord, DnsRecord, ProcessRecord, Records, ReputationRecord, SymbolRecord, one

# -- processes ---------------------------------------------------------------


def get_process(entity_id: int) -> ProcessRecord:
    return one(call("process store: get-process", _wit.processes.get_process, entity_id), ProcessRecord)


def get_child_processes(entity_id: int) -> Records:
    """`Records` of `ProcessRecord`; empty for a leaf."""
    return Records(call("process store: get-child-processes", _wit.processes.get_child_processes, entity_id),
                   ProcessRecord)


def get_ancestry(entity_id: int, max_depth: int) -> Records:
    """`Records` of `ProcessRecord`: `[0]` is the process itself, `[1]` its
    parent, …; at most `max_depth` entries (the host caps it at 64)."""
    return Records(call("process store: get-ancestry", _wit.processes.get_ancestry, entity_id, max_depth),
                   ProcessRecord)


def process_is(p, name: str) -> bool:
    """True when the process's name or the basename of its exe is `name`."""
    return p.name == name or p.exe.rsplit("/", 1)[-1] == name


# -- containers --------------------------------------------------------------


def get_container(id_or_prefix: str) -> ContainerRecord:
    """By full id or a unique prefix of at least 12 characters."""
    return one(call("container store: get-container", _wit.containers.get_container, id_or_prefix),
               ContainerRecord)


def get_container_by_name(name: str) -> ContainerRecord:
    return one(call("container store: get-container-by-name", _wit.containers.get_container_by_name, name),
               ContainerRecord)


def list_containers(name=None, image=None, runtime=None) -> Records:
    """`Records` of `ContainerRecord`: running containers matching every
    given field."""
    f = None
    if name is not None or image is not None or runtime is not None:
        f = _wit.types.ContainerFilter(name=name, image=image, runtime=runtime)
    return Records(call("container store: list-containers", _wit.containers.list_containers, f), ContainerRecord)


# -- dns, system, syscalls, kernel symbols -----------------------------------


def get_dns_response(query: str) -> DnsRecord:
    """For a domain: its addresses and CNAME chain; for an IP address: the
    names that resolved to it (`.domains`). Expired answers are absent."""
    return one(call("dns store: get-dns-response", _wit.dns.get_dns_response, query), DnsRecord)


def get_system_info():
    return call("system store: get-system-info", _wit.system.get_system_info)


def get_syscall_name(id: int) -> str:
    return call("syscall store: get-syscall-name", _wit.syscalls.get_syscall_name, id)


def get_syscall_id(name: str) -> int:
    return call("syscall store: get-syscall-id", _wit.syscalls.get_syscall_id, name)


def resolve_symbol_by_address(address: int) -> Records:
    """`Records` of `SymbolRecord`: every alias at the start of the symbol
    whose code contains `address`."""
    return Records(call("symbol store: resolve-symbol-by-address",
                        _wit.kernel_symbols.resolve_symbol_by_address, address), SymbolRecord)


def get_symbol_address(name: str) -> int:
    return call("symbol store: get-symbol-address", _wit.kernel_symbols.get_symbol_address, name)


def resolve_symbols_batch(addresses) -> Records:
    """`Records` of `SymbolRecord`, flat: for each address that resolved,
    in the order asked, its aliases; `.query` says which address a record
    answers. Addresses that did not resolve have no record."""
    return Records(call("symbol store: resolve-symbols-batch", _wit.kernel_symbols.resolve_symbols_batch,
                        list(addresses)), SymbolRecord)


# -- registry ----------------------------------------------------------------


def list_stores() -> list:
    return _wit.registry.list_stores()


def is_available(name: str) -> bool:
    return _wit.registry.is_available(name)


def get_metadata(name: str):
    return call(f"registry: get-metadata {name}", _wit.registry.get_metadata, name)


def get_health(name: str):
    return call(f"registry: get-health {name}", _wit.registry.get_health, name)


def get_metrics(name: str):
    return call(f"registry: get-metrics {name}", _wit.registry.get_metrics, name)


# -- writable ip-reputation stores -------------------------------------------


class ip_reputation:  # noqa: N801  (a namespace, named like the Rust module)
    """`register` makes the caller the owner and returns its only `Writer`;
    anyone may `open` a `Reader`. Reads answer with `ReputationRecord` views
    (which add the source); writes take the generated `Reputation`. Enums
    and the other records are the generated ones: `ReputationStatus`,
    `ConflictPolicy`, `SourcePriority`."""

    Reputation = _wit.ip_reputation.Reputation
    ReputationRecord = ReputationRecord
    ReputationStatus = _wit.ip_reputation.ReputationStatus
    ConflictPolicy = _wit.ip_reputation.ConflictPolicy
    SourcePriority = _wit.ip_reputation.SourcePriority

    class Reader:
        """Read access; lookups match the exact address, then the longest
        prefix that contains it."""

        def __init__(self, name: str, handle):
            self.name = name
            self._h = handle

        def get(self, ip: str) -> ReputationRecord:
            """The winning entry under the store's conflict policy."""
            return one(call(f"ip-reputation {self.name}: get", self._h.get, ip), ReputationRecord)

        def get_all(self, ip: str) -> Records:
            """`Records` of `ReputationRecord`: every source's entry for the
            matched key, in source order."""
            return Records(call(f"ip-reputation {self.name}: get-all", self._h.get_all, ip), ReputationRecord)

        def is_blacklisted(self, ip: str) -> bool:
            return call(f"ip-reputation {self.name}: is-blacklisted", self._h.is_blacklisted, ip)

        def list_sources(self) -> list:
            return self._h.list_sources()

    class Writer:
        """Owner-only write access; every write is tagged with its source."""

        def __init__(self, name: str, handle):
            self.name = name
            self._h = handle

        def write(self, source: str, entry) -> None:
            call(f"ip-reputation {self.name}: write", self._h.write, source, entry)

        def write_batch(self, source: str, entries) -> int:
            return call(f"ip-reputation {self.name}: write-batch", self._h.write_batch, source, list(entries))

        def delete(self, source: str, ip: str) -> bool:
            return call(f"ip-reputation {self.name}: delete", self._h.delete, source, ip)

        def clear(self, source: str) -> int:
            return call(f"ip-reputation {self.name}: clear", self._h.clear, source)

        def list_sources(self) -> list:
            return self._h.list_sources()

        def reader(self) -> "ip_reputation.Reader":
            return ip_reputation.Reader(self.name, self._h.reader())

    @staticmethod
    def register(name: str, policy=None, priorities=()) -> "ip_reputation.Writer":
        """Creates store `name` (default policy: last-write-wins)."""
        if policy is None:
            policy = _wit.ip_reputation.ConflictPolicy.LAST_WRITE_WINS
        h = call(f"ip-reputation {name}: register", _wit.ip_reputation.register, name, policy, list(priorities))
        return ip_reputation.Writer(name, h)

    @staticmethod
    def open(name: str) -> "ip_reputation.Reader":
        """`NotFound` until some detector registered `name`."""
        return ip_reputation.Reader(name, call(f"ip-reputation {name}: open", _wit.ip_reputation.open, name))

    class LazyReader:
        """A reader opened on first use, so a detector can start before the
        owner of the store registered it (`sandtrap replay` starts detectors
        in file-name order)."""

        def __init__(self, name: str):
            self.name = name
            self._reader = None

        def get(self):
            """The reader, or None while the store does not exist."""
            if self._reader is None:
                try:
                    self._reader = ip_reputation.open(self.name)
                except NotFound:
                    return None
            return self._reader
