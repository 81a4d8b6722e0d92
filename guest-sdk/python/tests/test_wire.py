"""Conformance of the SDK's event decoder (and of the mock host's encoder)
with the flat event batch (contract 0.4; store answers are in
test_records.py, output in test_output.py): the vectors every SDK decodes,
guest-sdk/wire/testdata/batch.bin and its expected decoding batch.json,
read through the public accessors only; then malformed buffers (every
prefix, corrupted bytes), which must decode without raising — in the
component an exception there would be an error for every event of the
batch, or a trap.

Run by guest-sdk/python/unittest.sh (and so by ./dev test)."""

import json
import random
import unittest
from pathlib import Path

import sandtrap
from sandtrap import Batch, Detection, Detector, Event, describe, finding, select
from sandtrap import values as T
from sandtrap.testing import MockHost, encode_batch, encode_event

# tests/ → python/ → guest-sdk/ → the repository.
TESTDATA = Path(__file__).resolve().parents[3] / "guest-sdk" / "wire" / "testdata"
BATCH_BIN = (TESTDATA / "batch.bin").read_bytes()
BATCH_JSON = json.loads((TESTDATA / "batch.json").read_text(encoding="utf-8"))

KIND_OF = {
    T.Value_Str: "str", T.Value_Int: "int", T.Value_Uint: "uint",
    T.Value_Boolean: "bool", T.Value_Bytes: "bytes", T.Value_StrList: "str-list",
}
# batch.json writes 64-bit integers as decimal strings (JSON numbers lose
# precision past 2^53) and bytes as lowercase hex.
WIDE = ("seq", "timestamp", "entity_id", "parent_entity_id", "start_ticks", "cgroup_id")
PROCESS_FIELDS = ("entity_id", "parent_entity_id", "start_ticks", "cgroup_id", "pid", "tid",
                  "ppid", "uid", "gid", "comm", "exe", "container_id")


def expected_value(arg):
    kind, v = arg["kind"], arg["value"]
    if kind in ("int", "uint"):
        return int(v)
    if kind == "bytes":
        return bytes.fromhex(v)
    return v


def wit_value(arg):
    cls = {v: k for k, v in KIND_OF.items()}[arg["kind"]]
    return cls(expected_value(arg))


def fixed(obj, name):
    v = obj[name]
    return int(v) if name in WIDE else v


def observe(ev: Event, names) -> dict:
    """Everything the public API says about `ev`: the fixed fields, every
    argument in order, and a lookup of each of `names` by every accessor."""
    p = ev.process
    seen = {"seq": ev.seq, "timestamp": ev.timestamp, "name": ev.name, "container_id": ev.container_id}
    for f in PROCESS_FIELDS:
        seen["process." + f] = getattr(p, f)
    seen["fields"] = [(f.name, KIND_OF[type(f.value)], f.value.value) for f in ev.fields()]
    for n in names:
        seen["arg " + n] = (ev.has(n), ev.arg(n), ev.get(n), ev.str(n), ev.int(n), ev.bool(n),
                            ev.bytes(n), ev.list(n))
    seen["args"] = ev.args()
    repr(ev)
    return seen


ALL_NAMES = sorted({a["name"] for e in BATCH_JSON for a in e["args"]} | {"absent", "pathname\x00"})


class Vectors(unittest.TestCase):
    def test_fixed_fields(self):
        batch = Batch(BATCH_BIN)
        self.assertEqual(len(batch), len(BATCH_JSON))
        for i, (ev, want) in enumerate(zip(batch, BATCH_JSON)):
            with self.subTest(event=i):
                self.assertEqual(ev.seq, fixed(want, "seq"))
                self.assertEqual(ev.timestamp, fixed(want, "timestamp"))
                self.assertEqual(ev.name, want["name"])
                for f in PROCESS_FIELDS:
                    self.assertEqual(getattr(ev.process, f), fixed(want["process"], f), f)
                self.assertEqual(ev.container_id, want["process"]["container_id"])

    def test_every_argument_in_order(self):
        for i, (ev, want) in enumerate(zip(Batch(BATCH_BIN), BATCH_JSON)):
            with self.subTest(event=i):
                got = [(f.name, KIND_OF[type(f.value)], f.value.value) for f in ev.fields()]
                self.assertEqual(got, [(a["name"], a["kind"], expected_value(a)) for a in want["args"]])

    def test_lookups_first_wins(self):
        for i, (ev, want) in enumerate(zip(Batch(BATCH_BIN), BATCH_JSON)):
            first = {}
            for a in want["args"]:
                first.setdefault(a["name"], a)
            for name, a in first.items():
                with self.subTest(event=i, arg=name):
                    v = expected_value(a)
                    self.assertTrue(ev.has(name))
                    self.assertEqual(ev.arg(name), wit_value(a))
                    self.assertEqual(ev.get(name), v)
                    typed = {"str": ev.str, "int": ev.int, "uint": ev.int, "bool": ev.bool,
                             "bytes": ev.bytes, "str-list": ev.list}[a["kind"]]
                    self.assertEqual(typed(name), v)
                    # Every other typed accessor answers its default.
                    for other in {ev.str, ev.int, ev.bool, ev.bytes, ev.list} - {typed}:
                        self.assertEqual(other(name, "dflt"), "dflt", other.__name__)
            self.assertEqual(ev.args(), {n: expected_value(a) for n, a in first.items()})
            self.assertFalse(ev.has("absent"))
            self.assertIsNone(ev.get("absent"))
            self.assertEqual(ev.list("absent", []), [])

    def test_duplicated_pathname(self):
        ev = Batch(BATCH_BIN)[0]
        dups = [a["value"] for a in BATCH_JSON[0]["args"] if a["name"] == "pathname"]
        self.assertEqual(len(dups), 2)
        self.assertEqual(ev.str("pathname"), dups[0])
        self.assertEqual([f.value.value for f in ev.fields() if f.name == "pathname"], dups)

    def test_edge_values(self):
        ev = Batch(BATCH_BIN)[0]
        self.assertEqual(ev.int("flags"), -1)
        self.assertEqual(ev.int("inode"), (1 << 64) - 1)
        self.assertEqual(ev.int("min"), -(1 << 63))
        self.assertIs(ev.bool("fileless"), True)
        self.assertEqual(ev.bytes("blob"), b"\x00\x01\xfe\xff")
        self.assertEqual(ev.list("argv"), ["sh", "-c", "", "écho ✓"])
        self.assertEqual(ev.list("empty_list"), [])
        self.assertEqual(ev.str("empty_str"), "")
        self.assertTrue(ev.has("empty_str"))
        self.assertEqual(ev.arg("flags"), T.Value_Int(-1))
        self.assertEqual(ev.arg("inode"), T.Value_Uint((1 << 64) - 1))
        # An argument with an empty name is still an argument.
        self.assertIs(Batch(BATCH_BIN)[2].bool(""), False)
        self.assertEqual(Batch(BATCH_BIN)[-1].process.comm, "ünïcødé")

    def test_fields_read_on_access(self):
        ev = Batch(BATCH_BIN)[0]
        self.assertEqual(ev.name, "sched_process_exec")
        self.assertEqual(ev.str("flags"), None)
        # White box: nothing but the name and the one argument looked up
        # has been decoded.
        self.assertIsNone(ev._comm)
        self.assertIsNone(ev._exe)
        self.assertIsNone(ev._cid)
        self.assertEqual(set(ev._found), {"flags"})

    def test_encoder_reproduces_batch_bin(self):
        events = []
        for e in BATCH_JSON:
            header = {k: fixed(e["process"], k) for k in PROCESS_FIELDS}
            events.append(encode_event(e["name"], seq=fixed(e, "seq"), timestamp=fixed(e, "timestamp"),
                                       args=[(a["name"], wit_value(a)) for a in e["args"]], **header))
        self.assertEqual(encode_batch(events), BATCH_BIN)

    def test_mock_host_round_trip(self):
        args = [("s", "v"), ("n", 5), ("neg", -5), ("b", True), ("raw", b"\x00"), ("l", ["x", ""]), ("s", "w")]
        ev = Event(MockHost().event("e", args))
        self.assertEqual([(f.name, f.value.value) for f in ev.fields()],
                         [(k, v) for k, v in args])


def absent_like(v):
    """What a field reads as when its bytes are missing or malformed."""
    if isinstance(v, tuple) and len(v) == 8:  # the lookups of one name
        return (False, None, None, None, None, None, None, None)
    return {int: 0, str: ""}[type(v)]


def is_subsequence(part, whole):
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


class Malformed(unittest.TestCase):
    full = [observe(ev, ALL_NAMES) for ev in Batch(BATCH_BIN)]

    def test_every_prefix_reads_true_or_absent(self):
        # Cutting the buffer never changes bytes that are left, so every
        # field either reads as in the whole batch or as absent.
        for n in range(len(BATCH_BIN) + 1):
            batch = Batch(BATCH_BIN[:n])
            self.assertLessEqual(len(batch), len(self.full))
            for i, ev in enumerate(batch):
                seen, full = observe(ev, ALL_NAMES), self.full[i]
                for key, v in seen.items():
                    if key == "fields":
                        self.assertTrue(is_subsequence(v, full[key]), (n, i))
                    elif key == "args":
                        self.assertTrue(all(full[key][k] == x for k, x in v.items()), (n, i))
                    elif v != full[key]:
                        self.assertEqual(v, absent_like(full[key]), (n, i, key))

    def test_corrupted_bytes(self):
        def check(buf):
            for ev in Batch(buf):
                seen = observe(ev, ALL_NAMES)
                self.assertIsInstance(seen["name"], str)
                self.assertTrue(0 <= seen["seq"] < 1 << 64)

        for at in range(len(BATCH_BIN)):
            for b in (0x00, 0xFF, 0x80, BATCH_BIN[at] ^ 0x01):
                buf = bytearray(BATCH_BIN)
                buf[at] = b
                check(bytes(buf))
        rng = random.Random(20240601)
        for _ in range(300):
            buf = bytearray(BATCH_BIN)
            for _ in range(rng.randint(1, 8)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            check(bytes(buf))
        for buf in (b"", b"\x01", b"\xff\xff\xff\xff", b"\xff\xff\xff\xff" + b"\x00" * 12, BATCH_BIN + b"\xff" * 9):
            check(buf)

    def test_glue_answers_malformed_batches(self):
        class ReadsEverything(Detector):
            @classmethod
            def describe(cls):
                return describe("reads-all", "Reads all", "0").selector(select("*")).finding(finding("f"))

            def on_event(self, ev):
                observe(ev, ALL_NAMES)
                return Detection(n=len(ev.fields()))

        h = MockHost()
        guest = sandtrap.export_detector(ReadsEverything)()
        guest.init([])
        rng = random.Random(7)
        bufs = [BATCH_BIN[:n] for n in range(0, len(BATCH_BIN) + 1, 7)]
        for _ in range(100):
            buf = bytearray(BATCH_BIN)
            buf[rng.randrange(len(buf))] = rng.randrange(256)
            bufs.append(bytes(buf))
        for buf in bufs:
            # The mock host decodes every report as strictly as the host:
            # whatever the events, the output must be well formed.
            out = h.call(guest, buf)
            self.assertEqual(out.errors, [])
            self.assertEqual([d["index"] for d in out.detections], list(range(len(Batch(buf)))))
            self.assertEqual(len(out.reports), 1 if len(Batch(buf)) else 0)
        out = h.call(guest, BATCH_BIN)
        self.assertEqual([d["fields"]["n"] for d in out.detections], [len(e["args"]) for e in BATCH_JSON])


if __name__ == "__main__":
    unittest.main()
