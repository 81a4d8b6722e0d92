"""Builders for `describe()`: selectors, the finding, the description, and
the detections `on_event` returns (the SDK's own type since contract 0.4,
which reports detections as one flat buffer instead of generated records).

Severities and filter operators may be given as the generated enums or as
their contract names (`"high"`, `"contains"`, `"not-equal"`), so detector
code reads like the WIT file.
"""

from . import _wit
from .values import field as _field

SEVERITIES = ("info", "low", "medium", "high", "critical")
# `blacklisted-in`: the field is an address the reputation store named by
# the value blacklists; the host answers it from the store. `in-config`:
# the field equals an item of the configuration list named by the value;
# `domain-in-config`: the field is a domain listed there, or a subdomain of
# one. The host reads those lists from each instance's configuration.
FILTER_OPS = (
    "equal",
    "not-equal",
    "prefix",
    "suffix",
    "contains",
    "blacklisted-in",
    "in-config",
    "domain-in-config",
)


def to_severity(s):
    """The generated `Severity` for an enum member or a name."""
    if isinstance(s, _wit.guest.Severity):
        return s
    if isinstance(s, str) and s.lower() in SEVERITIES:
        return _wit.guest.Severity[s.upper()]
    raise ValueError(f"unknown severity {s!r}; one of {', '.join(SEVERITIES)}")


def to_filter_op(op):
    """The generated `FilterOp` for an enum member or a name."""
    if isinstance(op, _wit.guest.FilterOp):
        return op
    if isinstance(op, str):
        key = op.lower().replace("_", "-")
        if key in FILTER_OPS:
            return _wit.guest.FilterOp[key.upper().replace("-", "_")]
    raise ValueError(f"unknown filter op {op!r}; one of {', '.join(FILTER_OPS)}")


class Selector:
    """Events named `event` (`"*"` for all) whose fields pass every filter."""

    def __init__(self, event: str):
        self.event = event
        self.filters = []

    def where(self, field: str, op, value) -> "Selector":
        """Adds a filter `field op value`. `field` is an argument name or
        `process.comm`, `process.exe`, `process.uid`, `process.pid`,
        `container.id`; numbers and booleans compare as text."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        self.filters.append(_wit.guest.FieldFilter(field=field, op=to_filter_op(op), value=str(value)))
        return self

    filter = where  # the Rust SDK's name

    def build(self):
        return _wit.guest.Selector(event=self.event, filters=list(self.filters))


def select(event: str) -> Selector:
    return Selector(event)


class Finding:
    """The definition of the one finding a detector produces."""

    def __init__(self, name: str, sev="medium"):
        self.name = name
        self._severity = to_severity(sev)
        self._description = ""
        self._tactic = ""
        self._technique = ""
        self._fields = []

    def description(self, text: str) -> "Finding":
        self._description = text
        return self

    def mitre(self, tactic: str, technique: str) -> "Finding":
        self._tactic = tactic
        self._technique = technique
        return self

    def fields(self, *names) -> "Finding":
        """Names of the fields detections carry: `fields("a", "b")` or
        `fields(["a", "b"])`."""
        if len(names) == 1 and isinstance(names[0], (list, tuple)):
            names = names[0]
        self._fields = [str(n) for n in names]
        return self

    def build(self):
        return _wit.guest.FindingDefinition(
            name=self.name,
            description=self._description,
            severity=self._severity,
            mitre_tactic=self._tactic,
            mitre_technique=self._technique,
            fields=list(self._fields),
        )


def finding(name: str, sev="medium") -> Finding:
    return Finding(name, sev)


class DescriptionBuilder:
    def __init__(self, id: str, name: str, version: str):
        self.id = id
        self.name = name
        self.version = version
        self._description = ""
        self._selectors = []
        self._required = []
        self._optional = []
        self._finding = None

    def description(self, text: str) -> "DescriptionBuilder":
        self._description = text
        return self

    def selector(self, sel) -> "DescriptionBuilder":
        self._selectors.append(sel)
        return self

    def requires(self, *stores) -> "DescriptionBuilder":
        """Stores without which the host refuses to load the detector."""
        self._required.extend(stores)
        return self

    def uses(self, *stores) -> "DescriptionBuilder":
        """Stores the detector uses when they are available."""
        self._optional.extend(stores)
        return self

    def finding(self, f) -> "DescriptionBuilder":
        self._finding = f
        return self

    def build(self):
        if self._finding is None:
            raise ValueError(f"detector {self.id!r}: describe() has no finding")
        fdef = self._finding.build() if isinstance(self._finding, Finding) else self._finding
        return _wit.guest.Description(
            id=self.id,
            name=self.name,
            version=self.version,
            description=self._description,
            selectors=[s.build() if isinstance(s, Selector) else s for s in self._selectors],
            required_stores=list(self._required),
            optional_stores=list(self._optional),
            finding=fdef,
        )


def describe(id: str, name: str, version: str) -> DescriptionBuilder:
    """Starts a description. The host refuses an id that is not 1–64
    characters of `[A-Za-z0-9._-]`."""
    return DescriptionBuilder(id, name, version)


class Detection:
    """One positive result: ordered fields and an optional severity that
    overrides the definition's.

        Detection(pathname=p, argv=argv).field("service.name", s)

    `fields` (a list of `sandtrap.Field`) and `severity` (a `Severity` or
    None) are what the glue encodes into the call's output. A value is
    converted when it is added, so a field that cannot be sent raises in
    `on_event`, where it becomes that event's error.
    """

    __slots__ = ("fields", "severity")

    def __init__(self, severity=None, **fields):
        self.fields = []
        self.severity = None if severity is None else to_severity(severity)
        for name, value in fields.items():
            self.field(name, value)

    def field(self, name: str, value) -> "Detection":
        """Adds a field; see `sandtrap.to_value` for the accepted types. A
        repeated name keeps its first value (the host's rule)."""
        self.fields.append(_field(name, value))
        return self

    def with_severity(self, sev) -> "Detection":
        self.severity = to_severity(sev)
        return self

    def build(self) -> "Detection":
        """The detection itself. Contract 0.3 had a generated detection
        record to build; 0.4 reports the SDK's own, so this is kept only
        for code written against 0.3."""
        return self

    def __eq__(self, other):
        if not isinstance(other, Detection):
            return NotImplemented
        return self.fields == other.fields and self.severity == other.severity

    __hash__ = None

    def __repr__(self) -> str:
        sev = "" if self.severity is None else f"severity={self.severity.name.lower()!r}, "
        return f"Detection({sev}{', '.join(f'{f.name}={f.value.value!r}' for f in self.fields)})"
