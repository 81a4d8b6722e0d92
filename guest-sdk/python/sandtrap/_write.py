"""Writing the flat wire encoding (docs/wire-encoding.md): one item (an
event, a store record, an output record) and the framing of a list of
them.

Shared by the output encoder the glue uses in the component (output.py)
and the mock host's event and record encoders (testing.py), so the one
argument-table writer that tests check against batch.bin is also the one
that writes every detection. Data is appended in the order of the Rust
encoder (guest-sdk/wire/src/write.rs), so the bytes are the reference
encoder's, not merely equivalent: the conformance vectors compare byte for
byte.
"""

import re
import struct

from .values import KIND_BOOL, KIND_BYTES, KIND_INT, KIND_STR, KIND_STR_LIST, KIND_UINT

U32_MAX = (1 << 32) - 1

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_PAIR = struct.Struct("<II")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Bytes of an argument entry (name str, kind, padding, payload).
ARG_LEN = 24


def utf8(s: str) -> bytes:
    """`s` as UTF-8. A lone surrogate (which Python strings may hold and
    UTF-8 cannot) becomes U+FFFD: the host refuses a buffer that is not
    UTF-8 by trapping, and one odd character must not cost the instance."""
    try:
        return s.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", s).encode()


class Writer:
    """One item under construction: its fixed part zeroed up front, data
    appended after it. Offsets count from the item's first byte. Integers
    out of range raise `struct.error`; callers turn that into their own
    error."""

    __slots__ = ("out",)

    def __init__(self, fixed_len: int):
        self.out = bytearray(fixed_len)

    def u8(self, at, v):
        self.out[at] = v

    def u32(self, at, v):
        _U32.pack_into(self.out, at, v)

    def u64(self, at, v):
        _U64.pack_into(self.out, at, v)

    def data(self, at, b):
        # The empty string stays (0, 0), as the format prescribes.
        if b:
            _PAIR.pack_into(self.out, at, len(self.out), len(b))
            self.out += b

    def str(self, at, s):
        self.data(at, utf8(s))

    def str_list(self, at, items):
        # The table first, then its strings; an empty list still records
        # where its table would start.
        table = len(self.out)
        _PAIR.pack_into(self.out, at, table, len(items))
        self.out += bytes(8 * len(items))
        for j, s in enumerate(items):
            self.data(table + 8 * j, utf8(s))

    def args(self, count_at, table, fields):
        """Fills the argument table at `table` (zeroed by the caller, one
        entry per field) with `fields`, `Field`s or (name, `Value`) pairs in
        order, and the count at `count_at`: the event layout and the
        output record layout share it."""
        out = self.out
        for i, f in enumerate(fields):
            name, v = f if isinstance(f, tuple) else (f.name, f.value)
            entry = table + i * ARG_LEN
            self.data(entry, utf8(name))
            payload = entry + 16
            kind = v.KIND
            if kind == KIND_STR:
                self.data(payload, utf8(v.value))
            elif kind == KIND_UINT:
                _U64.pack_into(out, payload, v.value)
            elif kind == KIND_INT:
                _I64.pack_into(out, payload, v.value)
            elif kind == KIND_BOOL:
                _U64.pack_into(out, payload, 1 if v.value else 0)
            elif kind == KIND_BYTES:
                self.data(payload, bytes(v.value))
            elif kind == KIND_STR_LIST:
                self.str_list(payload, v.value)
            else:
                raise TypeError(f"field {name!r}: {type(v).__name__} is not a value")
            out[entry + 8] = kind
        self.u32(count_at, len(fields))

    def done(self, what) -> bytes:
        if len(self.out) > U32_MAX:
            raise ValueError(f"{what} is larger than 4 GiB")
        return bytes(self.out)


def frame(items, what) -> bytes:
    """Encoded items framed as a batch or a record list: the count, the
    start of each item, then the items."""
    items = [bytes(e) for e in items]
    table = 4 + 4 * len(items)
    if table + sum(map(len, items)) > U32_MAX:
        raise ValueError(f"{what} larger than 4 GiB")
    starts = []
    start = table
    for e in items:
        starts.append(start)
        start += len(e)
    return struct.pack("<%dI" % (1 + len(items)), len(items), *starts) + b"".join(items)
