"""Read-only views of store answers (since contract 0.3).

Every store read that answers with records (processes, containers, DNS
responses, kernel symbols, IP reputation) returns one `bytes` buffer, a
record list laid out as in docs/wire-encoding.md ("Store answers").
`Records` and the views below read it in place, through the same
bounds-checked readers as events (_read.py): a field is decoded when the
detector reads the property, so the argv and paths of an ancestry the
rule only looks at for pids are never turned into Python objects. Reading
a property twice decodes it twice; keep it in a local inside a loop.

`guest-sdk/wire/src/records.rs` is the reference. As there, nothing here
raises on a malformed answer: a field that does not fit inside its record
reads as absent (0, "", an empty list, None for `exit_time` and `pod`),
and a count larger than the offset table that fits is cut.
"""

from . import _wit
from ._read import Framed, View

# Offsets of the fixed fields of each record kind, from the record's first
# byte; shared with the encoder of sandtrap.testing.
PROCESS_ENTITY_ID = 0
PROCESS_PARENT_ENTITY_ID = 8
PROCESS_START_TIME = 16
PROCESS_EXIT_TIME = 24
PROCESS_PID = 32
PROCESS_PPID = 36
PROCESS_UID = 40
PROCESS_GID = 44
PROCESS_NAME = 48
PROCESS_EXE = 56
PROCESS_CONTAINER_ID = 64
PROCESS_ARGV = 72
PROCESS_LEN = 80

CONTAINER_START_TIME = 0
CONTAINER_ID = 8
CONTAINER_NAME = 16
CONTAINER_IMAGE = 24
CONTAINER_IMAGE_DIGEST = 32
CONTAINER_RUNTIME = 40
CONTAINER_POD_NAME = 48
CONTAINER_POD_UID = 56
CONTAINER_POD_NAMESPACE = 64
CONTAINER_FLAGS = 72
CONTAINER_LEN = 80
FLAG_HAS_POD = 1
FLAG_SANDBOX = 2

DNS_QUERY = 0
DNS_IPS = 8
DNS_DOMAINS = 16
DNS_LEN = 24

SYMBOL_QUERY = 0
SYMBOL_ADDRESS = 8
SYMBOL_NAME = 16
SYMBOL_MODULE = 24
SYMBOL_LEN = 32

REPUTATION_LAST_UPDATED = 0
REPUTATION_IP = 8
REPUTATION_SOURCE = 16
REPUTATION_TAGS = 24
REPUTATION_STATUS = 32
REPUTATION_SEVERITY = 33
REPUTATION_LEN = 40

_RS = _wit.ip_reputation.ReputationStatus
# Indexed by wire code; a code past the end reads as UNKNOWN.
_STATUSES = (_RS.UNKNOWN, _RS.CLEAN, _RS.SUSPICIOUS, _RS.BLACKLISTED)


class Records(Framed):
    """The records of one store answer, in the store's order.

    A sequence of views of one kind: `len(r)`, `r[i]` (negative indices
    too), `r[1:]` (a list of views), iteration, `bool(r)`; `r.first()` is
    record 0 or None. Views share the answer's buffer: nothing is copied
    or decoded until a property is read. `Records(data, ProcessRecord)`
    views a buffer by hand (tests, tools).
    """

    __slots__ = ("_view",)

    def __init__(self, buf, view):
        Framed.__init__(self, buf)
        self._view = view

    def first(self):
        """Record 0, or None when the answer is empty."""
        return self._at(0) if self._count else None

    def __repr__(self) -> str:
        return f"Records({self._view.__name__}, {self._count} records)"


def one(buf, view):
    """The record of an answer that names one thing. The host always sends
    exactly one; an empty or malformed answer reads as an empty record
    (every field absent) rather than raising, as any malformed field does."""
    r = Records(buf, view)
    return r._at(0) if r._count else view(b"")


class ProcessRecord(View):
    """A process of the process tree (`get_process`, `get_ancestry`,
    `get_child_processes`)."""

    __slots__ = ()

    @property
    def entity_id(self) -> int:
        """The 64-bit entity id (the key of the process store)."""
        return self._u64(PROCESS_ENTITY_ID)

    @property
    def parent_entity_id(self) -> int:
        """The parent's entity id, 0 when unknown."""
        return self._u64(PROCESS_PARENT_ENTITY_ID)

    @property
    def start_time(self) -> int:
        """Start, in ns since the Unix epoch."""
        return self._u64(PROCESS_START_TIME)

    @property
    def exit_time(self):
        """Exit, in ns since the Unix epoch; None while the process runs."""
        return self._u64(PROCESS_EXIT_TIME) or None

    @property
    def pid(self) -> int:
        return self._u32(PROCESS_PID)

    @property
    def ppid(self) -> int:
        return self._u32(PROCESS_PPID)

    @property
    def uid(self) -> int:
        return self._u32(PROCESS_UID)

    @property
    def gid(self) -> int:
        return self._u32(PROCESS_GID)

    @property
    def name(self) -> str:
        """Binary name, e.g. `bash`."""
        return self._fixed_str(PROCESS_NAME)

    @property
    def exe(self) -> str:
        """Full executable path."""
        return self._fixed_str(PROCESS_EXE)

    @property
    def container_id(self) -> str:
        """"" outside containers."""
        return self._fixed_str(PROCESS_CONTAINER_ID)

    @property
    def argv(self) -> list:
        """Arguments of the last exec, a new list on each read."""
        return self._str_list(PROCESS_ARGV) or []

    def __repr__(self) -> str:
        return f"ProcessRecord(pid={self.pid}, name={self.name!r}, exe={self.exe!r}, entity_id={self.entity_id})"


class Pod:
    """The pod of a container (`ContainerRecord.pod`), read from the
    container's record."""

    __slots__ = ("_rec", "sandbox")

    def __init__(self, rec: "ContainerRecord", sandbox: bool):
        self._rec = rec
        #: Whether this container is the pod's sandbox (pause) container.
        self.sandbox = sandbox

    @property
    def name(self) -> str:
        return self._rec._fixed_str(CONTAINER_POD_NAME)

    @property
    def uid(self) -> str:
        return self._rec._fixed_str(CONTAINER_POD_UID)

    @property
    def namespace(self) -> str:
        return self._rec._fixed_str(CONTAINER_POD_NAMESPACE)

    def __repr__(self) -> str:
        return f"Pod(name={self.name!r}, namespace={self.namespace!r}, sandbox={self.sandbox})"


class ContainerRecord(View):
    """A container known to the host (`get_container`,
    `get_container_by_name`, `list_containers`)."""

    __slots__ = ()

    @property
    def start_time(self) -> int:
        """Start, in ns since the Unix epoch."""
        return self._u64(CONTAINER_START_TIME)

    @property
    def id(self) -> str:
        """The full container id."""
        return self._fixed_str(CONTAINER_ID)

    @property
    def name(self) -> str:
        return self._fixed_str(CONTAINER_NAME)

    @property
    def image(self) -> str:
        return self._fixed_str(CONTAINER_IMAGE)

    @property
    def image_digest(self) -> str:
        return self._fixed_str(CONTAINER_IMAGE_DIGEST)

    @property
    def runtime(self) -> str:
        """`docker`, `containerd`, `crio` or `podman`."""
        return self._fixed_str(CONTAINER_RUNTIME)

    @property
    def pod(self):
        """The pod the container belongs to (a `Pod`), or None."""
        if CONTAINER_FLAGS >= self._len:
            return None
        flags = self._buf[self._base + CONTAINER_FLAGS]
        if not flags & FLAG_HAS_POD:
            return None
        return Pod(self, bool(flags & FLAG_SANDBOX))

    def __repr__(self) -> str:
        return f"ContainerRecord(id={self.id!r}, name={self.name!r}, image={self.image!r})"


class DnsRecord(View):
    """The DNS cache's answer for a name or an address
    (`get_dns_response`)."""

    __slots__ = ()

    @property
    def query(self) -> str:
        """The name or address that was asked about."""
        return self._fixed_str(DNS_QUERY)

    @property
    def ips(self) -> list:
        """Addresses the name resolved to, after following CNAMEs."""
        return self._str_list(DNS_IPS) or []

    @property
    def domains(self) -> list:
        """The CNAME chain of a domain query, or the names that resolved to
        the address of an IP query."""
        return self._str_list(DNS_DOMAINS) or []

    def __repr__(self) -> str:
        return f"DnsRecord(query={self.query!r}, ips={self.ips!r}, domains={self.domains!r})"


class SymbolRecord(View):
    """A kernel symbol, with the address that was resolved to it
    (`resolve_symbol_by_address`, `resolve_symbols_batch`)."""

    __slots__ = ()

    @property
    def query(self) -> int:
        """The address that was asked about."""
        return self._u64(SYMBOL_QUERY)

    @property
    def address(self) -> int:
        """The symbol's start address."""
        return self._u64(SYMBOL_ADDRESS)

    @property
    def name(self) -> str:
        return self._fixed_str(SYMBOL_NAME)

    @property
    def module(self) -> str:
        """The owning module; `system` for the core kernel."""
        return self._fixed_str(SYMBOL_MODULE)

    def __repr__(self) -> str:
        return f"SymbolRecord(query={self.query:#x}, address={self.address:#x}, name={self.name!r}, module={self.module!r})"


class ReputationRecord(View):
    """An entry of an IP-reputation store with the source that wrote it
    (`Reader.get`, `Reader.get_all`)."""

    __slots__ = ()

    @property
    def last_updated(self) -> int:
        """Last update, in ns since the Unix epoch."""
        return self._u64(REPUTATION_LAST_UPDATED)

    @property
    def ip(self) -> str:
        """The address or CIDR prefix the entry was written for."""
        return self._fixed_str(REPUTATION_IP)

    @property
    def source(self) -> str:
        return self._fixed_str(REPUTATION_SOURCE)

    @property
    def tags(self) -> list:
        """Free-form tags, e.g. `c2`; a new list on each read."""
        return self._str_list(REPUTATION_TAGS) or []

    @property
    def status(self):
        """The generated `ReputationStatus`; an unknown code reads as
        UNKNOWN."""
        code = self._u8(REPUTATION_STATUS)
        return _STATUSES[code] if code < len(_STATUSES) else _RS.UNKNOWN

    @property
    def severity(self) -> int:
        """1 (lowest) to 10 (highest); 0 when absent."""
        return self._u8(REPUTATION_SEVERITY)

    def __repr__(self) -> str:
        return (f"ReputationRecord(ip={self.ip!r}, source={self.source!r}, status={self.status.name}, "
                f"severity={self.severity})")
