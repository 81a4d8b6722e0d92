"""The SDK's typed values: what event arguments read as (`Event.arg`,
`Event.fields`) and what detection fields are sent as.

Since contract 0.4 the WIT has no `value` variant any more (events,
answers and output all cross as flat buffers), so the SDK owns these
types. They keep the names and shape of the generated classes they
replace (`Value_Str(…)`, `.value`, equality by kind and value), so code
written against 0.3 only changes where it imported them from.

Each kind carries its wire code (`KIND`, the argument-entry kind of
docs/wire-encoding.md), so the encoder never tests types one by one.
Python's `bool` is a subclass of `int`, so it is tested first, and an
integer is sent as `uint` when non-negative (as the host's JSON decoder
does) so that fields compare equal in scenarios whatever produced them.
"""

from dataclasses import dataclass
from typing import ClassVar

# Argument-entry kinds (docs/wire-encoding.md), shared by the event views,
# the output encoder and the mock host's event encoder.
KIND_STR = 0
KIND_INT = 1
KIND_UINT = 2
KIND_BOOL = 3
KIND_BYTES = 4
KIND_STR_LIST = 5

_U64_MAX = (1 << 64) - 1
_S64_MIN = -(1 << 63)
_S64_MAX = (1 << 63) - 1


class Value:
    """Base of the six value kinds; `isinstance(v, sandtrap.Value)`."""

    __slots__ = ()
    KIND: ClassVar[int] = -1


@dataclass(slots=True)
class Value_Str(Value):
    value: str
    KIND: ClassVar[int] = KIND_STR


@dataclass(slots=True)
class Value_Int(Value):
    """A signed 64-bit integer; `Value_Int(5)` forces the signed kind."""

    value: int
    KIND: ClassVar[int] = KIND_INT


@dataclass(slots=True)
class Value_Uint(Value):
    value: int
    KIND: ClassVar[int] = KIND_UINT


@dataclass(slots=True)
class Value_Boolean(Value):
    value: bool
    KIND: ClassVar[int] = KIND_BOOL


@dataclass(slots=True)
class Value_Bytes(Value):
    value: bytes
    KIND: ClassVar[int] = KIND_BYTES


@dataclass(slots=True)
class Value_StrList(Value):
    value: list
    KIND: ClassVar[int] = KIND_STR_LIST


@dataclass(slots=True)
class Field:
    """One named value: an event argument or a detection field."""

    name: str
    value: Value


# Decoded (kind, plain value) → Value, for the event views.
BY_KIND = (Value_Str, Value_Int, Value_Uint, Value_Boolean, Value_Bytes, Value_StrList)


def to_value(v) -> Value:
    """The `Value` for a Python value; `TypeError`/`ValueError` otherwise.

    str → str, bool → boolean, int ≥ 0 → uint, int < 0 → int,
    bytes/bytearray/memoryview → bytes, list/tuple of str → str-list.
    A `Value` passes through once its payload is checked, so a detection
    that cannot be encoded fails in `on_event`, as that event's error.
    """
    if isinstance(v, str):
        return Value_Str(v)
    if isinstance(v, bool):
        return Value_Boolean(v)
    if isinstance(v, int):
        if 0 <= v <= _U64_MAX:
            return Value_Uint(v)
        if _S64_MIN <= v < 0:
            return Value_Int(v)
        raise ValueError(f"integer {v} does not fit in 64 bits")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return Value_Bytes(bytes(v))
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, str) for x in v):
            return Value_StrList(list(v))
        raise TypeError("a list field must contain only strings")
    if isinstance(v, Value):
        return _checked(v)
    raise TypeError(f"cannot send a {type(v).__name__} as a field value")


def _checked(v: Value) -> Value:
    """`v` when its payload fits its kind, so a hand-made `Value_Int(1 << 70)`
    or `Value_Str(5)` is refused where the detector made it, not later in
    the encoder."""
    x = v.value
    k = v.KIND
    if k == KIND_STR:
        ok = isinstance(x, str)
    elif k == KIND_INT:
        ok = isinstance(x, int) and not isinstance(x, bool) and _S64_MIN <= x <= _S64_MAX
    elif k == KIND_UINT:
        ok = isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= _U64_MAX
    elif k == KIND_BOOL:
        ok = isinstance(x, bool)
    elif k == KIND_BYTES:
        ok = isinstance(x, (bytes, bytearray, memoryview))
        if ok and not isinstance(x, bytes):
            return Value_Bytes(bytes(x))
    else:
        ok = isinstance(x, (list, tuple)) and all(isinstance(s, str) for s in x)
        if ok:
            # A copy: the detector may keep mutating its list.
            return Value_StrList(list(x))
    if not ok:
        raise TypeError(f"{type(v).__name__} cannot carry a {type(x).__name__} ({x!r:.40})")
    return v


def from_value(v):
    """The plain Python value carried by a `Value`."""
    return v.value


def field(name: str, value) -> Field:
    """A `Field` with `value` converted by `to_value`."""
    if not isinstance(name, str):
        raise TypeError(f"a field name must be a str, not {type(name).__name__}")
    return Field(name=name, value=to_value(value))
