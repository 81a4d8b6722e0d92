"""Bounds-checked reads of the flat wire encoding, shared by the event
views (event.py) and the store-answer views (records.py).

Both buffers follow the conventions of docs/wire-encoding.md: a framed
list (a count, a table of starts, then the items), and inside an item
little-endian unaligned integers, strs as (offset, length) and str-lists
as (offset, count) of a str table, offsets counted from the item's first
byte. `View` is one item, `Framed` the list; every read checks its bounds
and answers None (the caller's "absent") instead of raising, because the
buffer comes from outside the detector and an exception in a reader would
become an error for every rule that touches the field.
"""

from collections.abc import Sequence
import struct

# Compiled once: unpack_from on a precompiled Struct is the cheapest
# unaligned little-endian read CPython has, and it copies nothing.
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
I64 = struct.Struct("<q")
PAIR = struct.Struct("<II")


def as_buffer(buf):
    # bytes.startswith(prefix, start) compares argument names without a
    # copy, and a slice of exactly the bytes of a string then .decode() is
    # the fastest way CPython has to make that string (about half the cost
    # of str(memoryview_slice, "utf-8"), measured). memoryview has neither,
    # so anything but bytes/bytearray is copied once; componentize-py
    # passes `bytes`, which takes the first branch.
    if isinstance(buf, (bytes, bytearray)):
        return buf
    return bytes(buf)


class View:
    """One item of a framed buffer (an event or a record), read in place.

    `View(data)` views a whole buffer; a framed list passes its own buffer
    and the item's bounds instead of slicing, so building a view copies
    nothing. Bounds that do not fit make an empty view, whose every field
    reads as absent.
    """

    __slots__ = ("_buf", "_base", "_len")

    def __init__(self, data=b"", start=0, end=None):
        buf = data if type(data) is bytes else as_buffer(data)
        end = len(buf) if end is None else end
        if not 0 <= start <= end <= len(buf):
            buf, start, end = b"", 0, 0
        self._buf = buf
        self._base = start
        self._len = end - start

    @property
    def raw(self) -> memoryview:
        """The item's encoded bytes (docs/wire-encoding.md), not copied."""
        return memoryview(self._buf)[self._base:self._base + self._len]

    # Offsets below are from the item's first byte, as in the format.

    def _u8(self, at: int) -> int:
        return self._buf[self._base + at] if at < self._len else 0

    def _u32(self, at: int) -> int:
        if at + 4 > self._len:
            return 0
        return U32.unpack_from(self._buf, self._base + at)[0]

    def _u64(self, at: int) -> int:
        if at + 8 > self._len:
            return 0
        return U64.unpack_from(self._buf, self._base + at)[0]

    def _str(self, at: int):
        """The str at `at`, or None when malformed (out of the item, or not
        UTF-8)."""
        if at + 8 > self._len:
            return None
        off, n = PAIR.unpack_from(self._buf, self._base + at)
        if off + n > self._len:
            return None
        if n == 0:
            return ""
        a = self._base + off
        try:
            return self._buf[a:a + n].decode()
        except UnicodeDecodeError:
            return None

    def _fixed_str(self, at: int) -> str:
        s = self._str(at)
        return "" if s is None else s

    def _str_list(self, at: int):
        """The str-list at `at` as a new list, or None when its table does
        not fit in the item. A malformed element reads as "", keeping the
        others' positions."""
        if at + 8 > self._len:
            return None
        off, count = PAIR.unpack_from(self._buf, self._base + at)
        if off + 8 * count > self._len:
            return None
        fixed_str = self._fixed_str
        return [fixed_str(e) for e in range(off, off + 8 * count, 8)]


_EMPTY = b""


class Framed(Sequence):
    """A framed list (an event batch or a store answer): `len`, indexing
    (negative indices too; a slice gives a list of views) and iteration
    give views made by `_view(buf, start, end)`.

    A count larger than the offset table that fits in the buffer is cut to
    what fits, and an item whose bounds are malformed reads as an empty
    view, as in guest-sdk/wire/src/read.rs (`frame_count`, `frame`).
    """

    __slots__ = ("_buf", "_count")

    def __init__(self, buf):
        buf = as_buffer(buf)
        self._buf = buf
        n = len(buf)
        announced = U32.unpack_from(buf, 0)[0] if n >= 4 else 0
        self._count = min(announced, max(0, (n - 4) // 4))

    def __len__(self) -> int:
        return self._count

    def _at(self, i: int):
        buf = self._buf
        start = U32.unpack_from(buf, 4 + 4 * i)[0]
        end = U32.unpack_from(buf, 8 + 4 * i)[0] if i + 1 < self._count else len(buf)
        if not start <= end <= len(buf):
            return self._view(_EMPTY)
        return self._view(buf, start, end)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("index out of range")
        return self._at(i)

    def __iter__(self):
        # The whole offset table in one unpack: the glue walks every batch
        # this way, and per-item struct calls are most of a small
        # detector's overhead.
        buf, count, make = self._buf, self._count, self._view
        n = len(buf)
        starts = struct.unpack_from("<%dI" % count, buf, 4) if count else ()
        last = count - 1
        for i, start in enumerate(starts):
            end = starts[i + 1] if i < last else n
            yield make(buf, start, end) if start <= end <= n else make(_EMPTY)

    def __reversed__(self):
        for i in range(self._count - 1, -1, -1):
            yield self._at(i)

    @property
    def raw(self) -> bytes:
        """The whole encoded buffer."""
        return self._buf
