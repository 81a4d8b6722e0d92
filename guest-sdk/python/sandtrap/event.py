"""Read-only views of the flat event batch (`on-events`, contract 0.4).

The host hands the detector one `bytes` per call, laid out as in
docs/wire-encoding.md. `Batch` and `Event` read it in place: a field is
decoded when a detector reads it, so the strings of an event the rule
rejects on its name or comm are never turned into Python objects.
`guest-sdk/wire/src/read.rs` is the reference; this module follows its
rules exactly, and its conformance vectors are decoded in tests/. The
bounds-checked readers are shared with the store-answer views
(records.py) in _read.py.

Every accessor checks its bounds and reads a malformed field as absent
(an empty string or zero for the fixed fields, no argument for
arguments) instead of raising: the buffer is input from outside, and an
exception here would turn a bad event into an error for every detector
that reads it.
"""

# Annotations stay strings: the accessors `str`, `int`, `bytes`, `list` …
# shadow the built-in types inside the class body.
from __future__ import annotations

from ._read import I64 as _I64, PAIR as _PAIR, U32 as _U32, U64 as _U64, Framed, View, as_buffer
from ._write import ARG_LEN
from .values import (  # noqa: F401  (the kinds are re-exported for sandtrap.testing)
    BY_KIND as _BY_KIND,
    KIND_BOOL,
    KIND_BYTES,
    KIND_INT,
    KIND_STR,
    KIND_STR_LIST,
    KIND_UINT,
    Field,
)

# The layout of docs/wire-encoding.md, shared with the encoder of
# sandtrap.testing.
HEADER_LEN = 104

AT_SEQ = 0
AT_TIMESTAMP = 8
AT_ENTITY_ID = 16
AT_PARENT_ENTITY_ID = 24
AT_START_TICKS = 32
AT_CGROUP_ID = 40
AT_PID = 48
AT_TID = 52
AT_PPID = 56
AT_UID = 60
AT_GID = 64
AT_NAME = 68
AT_COMM = 76
AT_EXE = 84
AT_CONTAINER_ID = 92
AT_ARG_COUNT = 100


class Event(View):
    """One event that matched a selector of the detector, read in place.

    Attributes: `seq`, `timestamp`, `name`, `process` (a `Process`:
    `entity_id`, `parent_entity_id`, `pid`, `tid`, `ppid`, `start_ticks`,
    `comm`, `exe`, `uid`, `gid`, `cgroup_id`, `container_id`),
    `container_id`, `raw` (the event's encoded bytes, a memoryview).

    Typed accessors return `default` (None unless given) when the argument
    is absent *or* of another type, so a detector never crashes on an event
    that a different collector version decoded differently. When two
    arguments share a name the first one is the argument (the host's rule).

    `Event(data)` views one encoded event (what `sandtrap.testing.MockHost
    .event` returns); `Batch` passes its own buffer and the event's bounds
    instead of slicing, so building an event copies nothing.
    """

    __slots__ = ("_name", "_comm", "_exe", "_cid", "_process", "_found")

    def __init__(self, data=b"", start=0, end=None):
        # View.__init__, inlined: one event is built per event of every
        # batch, and the extra call measured ~250 ns each in CPython.
        buf = data if type(data) is bytes else as_buffer(data)
        end = len(buf) if end is None else end
        if not 0 <= start <= end <= len(buf):
            buf, start, end = b"", 0, 0
        self._buf = buf
        self._base = start
        self._len = end - start
        # Decoded on first read (None: not read yet; a read never yields None).
        self._name = self._comm = self._exe = self._cid = None
        self._process = None
        # Argument name → (kind, plain value), or None when absent.
        self._found = None

    # -- reads at an offset inside the event (the bounds-checked readers
    # _u32, _u64, _str, _fixed_str and _str_list come from View) -------------

    def _arg_count(self) -> int:
        # No more entries than fit: a huge announced count must not make a
        # lookup walk past the event.
        size = self._len
        if size <= HEADER_LEN:
            return 0
        announced = _U32.unpack_from(self._buf, self._base + AT_ARG_COUNT)[0]
        fits = (size - HEADER_LEN) // ARG_LEN
        return announced if announced < fits else fits

    def _value(self, entry: int):
        """(kind, plain value) of the argument entry at `entry`, or None
        when its kind is unknown or its payload malformed. The entry itself
        lies inside the event (`_arg_count` guarantees it)."""
        buf, base = self._buf, self._base
        kind = buf[base + entry + 8]
        p = base + entry + 16
        if kind == KIND_STR:
            # _str inlined: string arguments are most of what rules read.
            off, n = _PAIR.unpack_from(buf, p)
            if off + n > self._len:
                return None
            if n == 0:
                return kind, ""
            a = base + off
            try:
                return kind, buf[a:a + n].decode()
            except UnicodeDecodeError:
                return None
        if kind == KIND_INT:
            return kind, _I64.unpack_from(buf, p)[0]
        if kind == KIND_UINT:
            return kind, _U64.unpack_from(buf, p)[0]
        if kind == KIND_BOOL:
            return kind, _U64.unpack_from(buf, p)[0] != 0
        if kind == KIND_BYTES:
            off, n = _PAIR.unpack_from(buf, p)
            if off + n > self._len:
                return None
            return kind, bytes(buf[base + off:base + off + n])
        if kind == KIND_STR_LIST:
            lst = self._str_list(entry + 16)
            return None if lst is None else (kind, lst)
        return None

    def _lookup(self, name: str):
        """(kind, plain value) of the first argument named `name`, or None;
        remembered, so a second read of a name costs a dict lookup."""
        found = self._found
        if found is None:
            found = self._found = {}
        else:
            v = found.get(name, _ABSENT)
            if v is not _ABSENT:
                return v
        try:
            want = name.encode()
        except (UnicodeEncodeError, AttributeError):
            return None
        # Names are compared as bytes, in place: no other argument is
        # decoded on the way.
        wlen = len(want)
        buf, base, size = self._buf, self._base, self._len
        v = None
        for entry in range(HEADER_LEN, HEADER_LEN + ARG_LEN * self._arg_count(), ARG_LEN):
            off, n = _PAIR.unpack_from(buf, base + entry)
            if n == wlen and off + n <= size and buf.startswith(want, base + off):
                # As in read.rs, a first argument that is malformed makes
                # the name absent: a later duplicate is never the answer.
                v = self._value(entry)
                break
        found[name] = v
        return v

    # -- the fixed fields ---------------------------------------------------------

    @property
    def seq(self) -> int:
        """Position in the host's event stream."""
        return self._u64(AT_SEQ)

    @property
    def timestamp(self) -> int:
        """Nanoseconds since the Unix epoch."""
        return self._u64(AT_TIMESTAMP)

    @property
    def name(self) -> str:
        """Tracee-style event name, e.g. `sched_process_exec`."""
        if self._name is None:
            self._name = self._fixed_str(AT_NAME)
        return self._name

    @property
    def process(self) -> "Process":
        if self._process is None:
            self._process = Process(self)
        return self._process

    @property
    def container_id(self) -> str:
        """The container of the process, "" outside containers."""
        if self._cid is None:
            self._cid = self._fixed_str(AT_CONTAINER_ID)
        return self._cid

    # -- arguments ------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return self._lookup(name) is not None

    def arg(self, name: str):
        """The `sandtrap.Value_*` of argument `name` (which keeps `int` and
        `uint` apart), or None."""
        v = self._lookup(name)
        return None if v is None else _to_value(v)

    def get(self, name: str, default=None):
        """The plain Python value of argument `name`, whatever its type."""
        v = self._lookup(name)
        if v is None:
            return default
        return list(v[1]) if v[0] == KIND_STR_LIST else v[1]

    def str(self, name: str, default=None):
        v = self._lookup(name)
        return v[1] if v is not None and v[0] == KIND_STR else default

    def int(self, name: str, default=None):
        """An integer argument of either signedness."""
        v = self._lookup(name)
        return v[1] if v is not None and (v[0] == KIND_UINT or v[0] == KIND_INT) else default

    def bool(self, name: str, default=None):
        v = self._lookup(name)
        return v[1] if v is not None and v[0] == KIND_BOOL else default

    def bytes(self, name: str, default=None):
        v = self._lookup(name)
        return v[1] if v is not None and v[0] == KIND_BYTES else default

    def list(self, name: str, default=None):
        """A string-list argument (e.g. `argv`), as a new Python list."""
        v = self._lookup(name)
        # A copy: the decoded list is cached, and the caller may mutate it.
        return list(v[1]) if v is not None and v[0] == KIND_STR_LIST else default

    def fields(self) -> list:
        """Every argument as a `sandtrap.Field` (`name`, `Value_*`), in the
        producer's order, duplicates included; malformed ones are skipped.
        Decodes the whole event."""
        out = []
        for i in range(self._arg_count()):
            entry = HEADER_LEN + i * ARG_LEN
            name = self._str(entry)
            v = None if name is None else self._value(entry)
            if v is not None:
                out.append(Field(name=name, value=_to_value(v)))
        return out

    def args(self) -> dict:
        """All arguments as a name → plain value dict (the first of
        duplicates, as every lookup). Decodes the whole event."""
        out = {}
        for i in range(self._arg_count()):
            name = self._str(HEADER_LEN + i * ARG_LEN)
            if name is not None and name not in out:
                v = self.get(name, _ABSENT)
                if v is not _ABSENT:
                    out[name] = v
        return out

    def __repr__(self) -> str:
        p = self.process
        return f"Event(seq={self.seq}, name={self.name!r}, pid={p.pid}, comm={p.comm!r}, args={self.args()!r})"


_ABSENT = object()


class Process:
    """The process context of an event, read from the event's bytes."""

    __slots__ = ("_ev",)

    def __init__(self, ev: Event):
        self._ev = ev

    @property
    def entity_id(self) -> int:
        """64-bit entity id, unique for the host's lifetime (the key of the
        process store)."""
        return self._ev._u64(AT_ENTITY_ID)

    @property
    def parent_entity_id(self) -> int:
        return self._ev._u64(AT_PARENT_ENTITY_ID)

    @property
    def start_ticks(self) -> int:
        """Start in clock ticks since boot."""
        return self._ev._u64(AT_START_TICKS)

    @property
    def cgroup_id(self) -> int:
        return self._ev._u64(AT_CGROUP_ID)

    @property
    def pid(self) -> int:
        return self._ev._u32(AT_PID)

    @property
    def tid(self) -> int:
        return self._ev._u32(AT_TID)

    @property
    def ppid(self) -> int:
        return self._ev._u32(AT_PPID)

    @property
    def uid(self) -> int:
        return self._ev._u32(AT_UID)

    @property
    def gid(self) -> int:
        return self._ev._u32(AT_GID)

    @property
    def comm(self) -> str:
        """Task command name (at most 15 bytes, as the kernel keeps it)."""
        ev = self._ev
        if ev._comm is None:
            ev._comm = ev._fixed_str(AT_COMM)
        return ev._comm

    @property
    def exe(self) -> str:
        """Executable path, when known."""
        ev = self._ev
        if ev._exe is None:
            ev._exe = ev._fixed_str(AT_EXE)
        return ev._exe

    @property
    def container_id(self) -> str:
        return self._ev.container_id

    def __repr__(self) -> str:
        return f"Process(pid={self.pid}, comm={self.comm!r}, exe={self.exe!r}, entity_id={self.entity_id})"


class Batch(Framed):
    """The events of one `on-events` call, in the host's order.

    `len(batch)`, `batch[i]` and iteration give `Event` views; index `i`
    is the index detections and errors are reported under. A count larger
    than the offset table that fits in the buffer is cut to what fits, and
    an event whose bounds are malformed reads as an empty event.
    """

    __slots__ = ()
    _view = Event


def _to_value(v):
    """The `Value_*` for a decoded (kind, plain value); a str-list is
    copied, since the decoded one is cached and the caller may mutate it."""
    kind, value = v
    return _BY_KIND[kind](list(value) if kind == KIND_STR_LIST else value)
