"""The output of one `on-events` call as the record list the glue hands
to `host.report` (docs/wire-encoding.md, "Output"; contract 0.4).

The host is strict about this buffer: anything it cannot read, or more
than 4 MiB in one call, traps the instance. So nothing a detector returns
may turn into such a buffer: a detection that cannot be encoded becomes
its event's error record, and records past the limit are dropped and
counted in one last error record, instead of costing the detector its
state. The reference encoder is `OutputFields` in
guest-sdk/wire/src/write.rs; `output.bin` is reproduced byte for byte in
tests/test_output.py.
"""

import struct

from . import _wit
from ._write import ARG_LEN, Writer, frame, utf8
from .describe import Detection

# The output record's fixed part (docs/wire-encoding.md).
AT_INDEX = 0
AT_KIND = 4
AT_SEVERITY = 5
AT_MESSAGE = 8
AT_FIELD_COUNT = 16
RECORD_LEN = 20

KIND_DETECTION = 0
KIND_ERROR = 1

# Most bytes the host accepts from one call (MAX_REPORT_BYTES).
MAX_REPORT_BYTES = 4 << 20
# Kept free for the record that says what was dropped, and its offset.
_RESERVED = 1024

# 0 keeps the definition's severity; the enum's order is the contract's.
SEVERITY_CODES = {s: i + 1 for i, s in enumerate(_wit.guest.Severity)}


def severity_code(sev) -> int:
    """The output record's severity byte for a `Severity` or None."""
    return 0 if sev is None else SEVERITY_CODES[sev]


def encode_error(index: int, message: str) -> bytes:
    """One error record."""
    w = Writer(RECORD_LEN)
    w.u32(AT_INDEX, index)
    w.out[AT_KIND] = KIND_ERROR
    w.data(AT_MESSAGE, utf8(message))
    return bytes(w.out)


def encode_detection(index: int, fields, severity: int = 0) -> bytes:
    """One detection record: `fields` are `Field`s (or (name, `Value`)
    pairs) in the detector's order, `severity` the byte (0 to 5). Raises
    `TypeError`/`ValueError` for a field that cannot be encoded."""
    fields = fields if isinstance(fields, list) else list(fields)
    w = Writer(RECORD_LEN + ARG_LEN * len(fields))
    try:
        w.u32(AT_INDEX, index)
        w.out[AT_SEVERITY] = severity
        w.args(AT_FIELD_COUNT, RECORD_LEN, fields)
    except struct.error as e:
        raise ValueError(f"detection field out of range: {e}") from None
    return bytes(w.out)


def encode_output(found) -> bytes:
    """The record list for `found`, a list of (event index, item) in the
    order the detector produced them, where an item is a `Detection` or an
    error message (str). Never raises for what a detector returned, and
    never exceeds `MAX_REPORT_BYTES`."""
    records = []
    size = 4  # the count
    budget = MAX_REPORT_BYTES - _RESERVED
    dropped = 0
    first_dropped = 0
    for index, item in found:
        if isinstance(item, Detection):
            try:
                rec = encode_detection(index, item.fields, severity_code(item.severity))
            except Exception as e:  # noqa: BLE001  (reported, never a trap)
                rec = encode_error(index, f"detection not reported: {type(e).__name__}: {e}")
        else:
            rec = encode_error(index, str(item))
        if size + 4 + len(rec) > budget:
            if not dropped:
                first_dropped = index
            dropped += 1
            continue
        records.append(rec)
        size += 4 + len(rec)
    if dropped:
        records.append(encode_error(
            first_dropped,
            f"{dropped} detections and errors from event {first_dropped} on not reported: "
            f"the call's output would exceed the host's {MAX_REPORT_BYTES >> 20} MiB limit",
        ))
    return frame(records, "output")
