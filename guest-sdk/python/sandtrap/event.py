"""Read-only view of a contract `event` with typed argument accessors.

Each accessor returns `default` (None unless given) when the argument is
absent *or* of another type, so a detector never crashes on an event that
a different collector version decoded differently.
"""

from . import _wit


class Event:
    """An event that matched one of the detector's selectors.

    Attributes: `seq`, `timestamp`, `name`, `process` (the generated
    `ProcessContext`: `entity_id`, `parent_entity_id`, `pid`, `tid`,
    `ppid`, `start_ticks`, `comm`, `exe`, `uid`, `gid`, `cgroup_id`,
    `container_id`), `raw` (the generated `Event`).
    """

    __slots__ = ("raw", "_args")

    def __init__(self, raw):
        self.raw = raw
        self._args = None

    @property
    def seq(self) -> int:
        return self.raw.seq

    @property
    def timestamp(self) -> int:
        return self.raw.timestamp

    @property
    def name(self) -> str:
        return self.raw.name

    @property
    def process(self):
        return self.raw.process

    @property
    def container_id(self) -> str:
        """The container of the process, "" outside containers."""
        return self.raw.process.container_id

    def _index(self) -> dict:
        # Built on first use: most detectors read two or three arguments of
        # events that carry a handful, and the first occurrence wins, as in
        # the Rust SDK.
        if self._args is None:
            args = {}
            for f in self.raw.args:
                args.setdefault(f.name, f.value)
            self._args = args
        return self._args

    def has(self, name: str) -> bool:
        return name in self._index()

    def arg(self, name: str):
        """The raw generated `Value_*` of argument `name`, or None."""
        return self._index().get(name)

    def get(self, name: str, default=None):
        """The plain Python value of argument `name`, whatever its type."""
        v = self._index().get(name)
        return default if v is None else v.value

    def str(self, name: str, default=None):
        v = self._index().get(name)
        return v.value if isinstance(v, _wit.types.Value_Str) else default

    def int(self, name: str, default=None):
        """An integer argument of either signedness."""
        v = self._index().get(name)
        if isinstance(v, (_wit.types.Value_Uint, _wit.types.Value_Int)):
            return v.value
        return default

    def bool(self, name: str, default=None):
        v = self._index().get(name)
        return v.value if isinstance(v, _wit.types.Value_Boolean) else default

    def bytes(self, name: str, default=None):
        v = self._index().get(name)
        return bytes(v.value) if isinstance(v, _wit.types.Value_Bytes) else default

    def list(self, name: str, default=None):
        """A string-list argument (e.g. `argv`), as a new Python list."""
        v = self._index().get(name)
        return list(v.value) if isinstance(v, _wit.types.Value_StrList) else default

    def args(self) -> dict:
        """All arguments as a name → plain value dict."""
        return {k: v.value for k, v in self._index().items()}

    def __repr__(self) -> str:
        p = self.raw.process
        return f"Event(seq={self.seq}, name={self.name!r}, pid={p.pid}, comm={p.comm!r}, args={self.args()!r})"
