"""Conversion between Python values and the contract's `value` variant.

The variant distinguishes `int` (s64) from `uint` (u64) and `boolean`;
Python's `bool` is a subclass of `int`, so it is tested first, and an
integer is sent as `uint` when non-negative (as the host's JSON decoder
does) so that fields compare equal in scenarios whatever produced them.
"""

from . import _wit

_U64_MAX = (1 << 64) - 1
_S64_MIN = -(1 << 63)


def to_value(v):
    """The `value` for a Python value; `TypeError`/`ValueError` otherwise.

    str → str, bool → boolean, int ≥ 0 → uint, int < 0 → int,
    bytes/bytearray/memoryview → bytes, list/tuple of str → str-list.
    A value that is already a generated `Value_*` passes through.
    """
    t = _wit.types
    if isinstance(v, (t.Value_Str, t.Value_Int, t.Value_Uint, t.Value_Boolean, t.Value_Bytes, t.Value_StrList)):
        return v
    if isinstance(v, str):
        return t.Value_Str(v)
    if isinstance(v, bool):
        return t.Value_Boolean(v)
    if isinstance(v, int):
        if 0 <= v <= _U64_MAX:
            return t.Value_Uint(v)
        if _S64_MIN <= v < 0:
            return t.Value_Int(v)
        raise ValueError(f"integer {v} does not fit in 64 bits")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return t.Value_Bytes(bytes(v))
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, str) for x in v):
            return t.Value_StrList(list(v))
        raise TypeError("a list field must contain only strings")
    raise TypeError(f"cannot send a {type(v).__name__} as a field value")


def from_value(v):
    """The plain Python value carried by a `value` variant."""
    # Every case of the variant is a dataclass with one `value` member.
    return v.value


def field(name: str, value):
    """A contract `field` record."""
    return _wit.types.Field(name=name, value=to_value(value))
