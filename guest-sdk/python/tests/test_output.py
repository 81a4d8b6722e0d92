"""Conformance of what the glue reports (contract 0.4: `on-events` returns
nothing, and the batch's detections and errors leave as one output record
list through `host.report`): the encoder reproduces
guest-sdk/wire/testdata/output.bin byte for byte from the items described
under `output` in answers.json, the mock host's strict reader decodes that
vector back to them, detections of every value kind and errors survive the
round trip through the glue, a batch that found nothing makes no report
call, and nothing a detector returns can make the glue send a buffer the
host would trap on.

Run by guest-sdk/python/unittest.sh (and so by ./dev test)."""

import json
import unittest
from pathlib import Path

import sandtrap
from sandtrap import Detection, Detector, Field, _wit, describe, finding, select
from sandtrap import output as out_mod
from sandtrap import values as V
from sandtrap.testing import HostTrap, MockHost, decode_output, encode_batch

# tests/ → python/ → guest-sdk/ → the repository.
TESTDATA = Path(__file__).resolve().parents[3] / "guest-sdk" / "wire" / "testdata"
ANSWERS = json.loads((TESTDATA / "answers.json").read_text(encoding="utf-8"))
OUTPUT = ANSWERS["output"]
OUTPUT_BIN = (TESTDATA / OUTPUT["file"]).read_bytes()

# answers.json writes values as batch.json writes arguments: 64-bit
# integers as decimal strings, bytes as hex, str-lists as arrays.
KIND_CLS = {"str": V.Value_Str, "int": V.Value_Int, "uint": V.Value_Uint, "bool": V.Value_Boolean,
            "bytes": V.Value_Bytes, "str-list": V.Value_StrList}
KIND_NAME = {cls: name for name, cls in KIND_CLS.items()}
SEVERITY_NAME = {0: None, 1: "info", 2: "low", 3: "medium", 4: "high", 5: "critical"}


def json_value(f):
    kind, v = f["kind"], f["value"]
    if kind in ("int", "uint"):
        v = int(v)
    elif kind == "bytes":
        v = bytes.fromhex(v)
    return KIND_CLS[kind](v)


def as_json(r):
    """A decoded `Reported` in the form of answers.json."""
    if r.kind == "error":
        return {"index": r.index, "kind": "error", "message": r.message}
    fields = []
    for f in r.fields:
        v = f.value.value
        if isinstance(f.value, (V.Value_Int, V.Value_Uint)):
            v = str(v)
        elif isinstance(f.value, V.Value_Bytes):
            v = v.hex()
        fields.append({"name": f.name, "kind": KIND_NAME[type(f.value)], "value": v})
    return {"index": r.index, "kind": "detection", "severity": r.severity, "fields": fields}


def vector_items():
    """The vector's items as the glue collects them: (index, Detection made
    through the public API, or an error message)."""
    items = []
    for r in OUTPUT["records"]:
        if r["kind"] == "error":
            items.append((r["index"], r["message"]))
            continue
        d = Detection(severity=SEVERITY_NAME[r["severity"]])
        for f in r["fields"]:
            d.field(f["name"], json_value(f))
        items.append((r["index"], d))
    return items


class Vector(unittest.TestCase):
    def test_encoder_reproduces_output_bin(self):
        self.assertEqual(out_mod.encode_output(vector_items()), OUTPUT_BIN)

    def test_plain_python_values_encode_the_same(self):
        # What a detector writes: plain values, converted by to_value (a
        # non-negative int is a uint, a negative one an int).
        items = []
        for index, item in vector_items():
            if isinstance(item, Detection):
                d = Detection(severity=item.severity)
                for f in item.fields:
                    d.field(f.name, f.value.value)
                item = d
            items.append((index, item))
        self.assertEqual(out_mod.encode_output(items), OUTPUT_BIN)

    def test_strict_reader_decodes_output_bin(self):
        self.assertEqual([as_json(r) for r in decode_output(OUTPUT_BIN)], OUTPUT["records"])

    def test_strict_reader_refuses_damage(self):
        # Every proper prefix is malformed (the count no longer fits, or a
        # record is cut), and the mock host must say so, as the host would.
        for n in range(len(OUTPUT_BIN)):
            with self.assertRaises(HostTrap, msg=n):
                decode_output(OUTPUT_BIN[:n])
        bad = bytearray(OUTPUT_BIN)
        bad[0x14 + 5] = 6  # severity of record 0
        with self.assertRaisesRegex(HostTrap, "severity 6"):
            decode_output(bytes(bad))
        bad = bytearray(OUTPUT_BIN)
        bad[0x14 + 4] = 2  # kind of record 0
        with self.assertRaisesRegex(HostTrap, "unknown kind 2"):
            decode_output(bytes(bad))


ALL_KINDS = {
    "path": "/tmp/x ✓",
    "empty": "",
    "neg": -(1 << 63),
    "big": (1 << 64) - 1,
    "zero": 0,
    "yes": True,
    "no": False,
    "raw": b"\x00\xff",
    "argv": ["sh", "", "é"],
    "none": [],
}


class Emitter(Detector):
    """Returns what each event's `mode` asks for."""

    @classmethod
    def describe(cls):
        return describe("emitter", "Emitter", "0").selector(select("*")).finding(finding("f", "low"))

    def on_event(self, ev):
        mode = ev.str("mode")
        if mode == "all":
            d = Detection(severity="critical")
            for k, v in ALL_KINDS.items():
                d.field(k, v)
            return [d, Detection(signed=V.Value_Int(5))]
        if mode == "raise":
            raise ValueError("bad ✗")
        if mode == "unencodable":
            # Bypasses to_value, as code touching `fields` directly could.
            d = Detection(ok="x")
            d.fields.append(Field("huge", V.Value_Int(1 << 70)))
            return d
        if mode == "surrogate":
            return Detection(**{"s": "a\udc80b", "n\udc80": 1})
        if mode == "dup":
            return Detection().field("a", "first").field("a", "second")
        if mode == "flood":
            return [Detection(blob="x" * 100_000) for _ in range(int(ev.int("n", 0)))]
        return None


class Glue(unittest.TestCase):
    Guest = sandtrap.export_detector(Emitter)

    def setUp(self):
        self.h = MockHost()
        self.g = self.Guest()
        self.h.install()
        self.g.init([])

    def call(self, *modes, **args):
        return self.h.call(self.g, [self.h.event("e", {"mode": m, **args}) for m in modes])

    def test_every_value_kind_and_an_error_round_trip(self):
        out = self.call("none", "all", "raise", "all")
        self.assertEqual(len(out.reports), 1)
        self.assertEqual([d["index"] for d in out.detections], [1, 1, 3, 3])
        self.assertEqual(out.detections[0], {"index": 1, "severity": "critical", "fields": ALL_KINDS})
        self.assertEqual(out.detections[1], {"index": 1, "severity": None, "fields": {"signed": 5}})
        self.assertEqual(len(out.errors), 1)
        self.assertEqual(out.errors[0][0], 2)
        self.assertRegex(out.errors[0][1], r"^ValueError: bad ✗ \(test_output.py:\d+ in on_event\)$")
        # The buffer itself: kinds (int against uint) and order as sent.
        recs = decode_output(out.reports[0])
        self.assertEqual([(r.index, r.kind) for r in recs],
                         [(1, "detection"), (1, "detection"), (2, "error"), (3, "detection"), (3, "detection")])
        self.assertEqual(recs[0].severity, 5)
        self.assertEqual(recs[0].fields, [sandtrap.field(k, v) for k, v in ALL_KINDS.items()])
        self.assertEqual(recs[1].fields, [Field("signed", V.Value_Int(5))])
        self.assertEqual(recs[1].severity, 0)

    def test_nothing_found_makes_no_report_call(self):
        calls = []
        real = _wit.host.report
        _wit.host.report = lambda buf: calls.append(buf) or real(buf)
        out = self.call("none", "none", "other")
        self.assertEqual((out.reports, out.detections, out.errors), ([], [], []))
        out = self.h.call(self.g, encode_batch([]))
        self.assertEqual(out.reports, [])
        self.assertEqual(calls, [])
        self.call("raise")
        self.assertEqual(len(calls), 1)

    def test_each_severity(self):
        for code, name in SEVERITY_NAME.items():
            d = Detection(severity=name)
            buf = out_mod.encode_output([(0, d)])
            self.assertEqual(buf[8 + 5], code)
            self.assertEqual(decode_output(buf)[0].severity, code)

    def test_unencodable_detection_is_its_events_error(self):
        out = self.call("all", "unencodable", "all")
        self.assertEqual([d["index"] for d in out.detections], [0, 0, 2, 2])
        [(index, message)] = out.errors
        self.assertEqual(index, 1)
        self.assertIn("detection not reported", message)

    def test_lone_surrogates_are_replaced_not_trapped(self):
        out = self.call("surrogate")
        self.assertEqual(out.errors, [])
        self.assertEqual(out.detections[0]["fields"], {"s": "a\ufffdb", "n\ufffd": 1})

    def test_repeated_name_keeps_the_first(self):
        out = self.call("dup")
        self.assertEqual(out.detections[0]["fields"], {"a": "first"})
        # Both are sent; the host (and the mock) keep the first.
        self.assertEqual(len(decode_output(out.reports[0])[0].fields), 2)

    def test_output_over_the_limit_is_cut_with_an_error(self):
        # 60 detections of 100 kB each: 6 MB, beyond the host's 4 MiB. The
        # host would trap; the glue reports what fits and says what not.
        out = self.call("none", "flood", n=60)
        self.assertLessEqual(len(out.reports[0]), out_mod.MAX_REPORT_BYTES)
        kept = len(out.detections)
        self.assertTrue(30 < kept < 60, kept)
        self.assertEqual(len(out.errors), 1)
        index, message = out.errors[0]
        self.assertEqual(index, 1)
        self.assertIn(f"{60 - kept} detections and errors", message)
        self.assertIn("4 MiB", message)

    def test_mock_host_traps_like_the_host(self):
        with self.assertRaises(HostTrap):
            _wit.host.report(OUTPUT_BIN)  # outside on-events

        class Rogue(Emitter):
            def on_event(self, ev):
                _wit.host.report(b"\x01\x00\x00\x00")
                return None

        g = sandtrap.export_detector(Rogue)()
        g.init([])
        with self.assertRaisesRegex(HostTrap, "does not fit"):
            self.h.call(g, [self.h.event("e")])


if __name__ == "__main__":
    unittest.main()
