"""Unit tests of the sandtrap helper package, run in CPython against the
stub bindings by guest-sdk/python/unittest.sh."""

import unittest

import sandtrap
from sandtrap import Config, Detection, Detector, NotFound, StoreUnhealthy, describe, finding, select, stores
from sandtrap import _wit
from sandtrap import values as T
from sandtrap.testing import HostTrap, MockHost

W = _wit.types


class Values(unittest.TestCase):
    def test_scalar_types(self):
        self.assertEqual(sandtrap.to_value("x"), T.Value_Str("x"))
        self.assertEqual(sandtrap.to_value(7), T.Value_Uint(7))
        self.assertEqual(sandtrap.to_value(-7), T.Value_Int(-7))
        self.assertEqual(sandtrap.to_value(b"\x00\x01"), T.Value_Bytes(b"\x00\x01"))
        self.assertEqual(sandtrap.to_value(["a", "b"]), T.Value_StrList(["a", "b"]))
        self.assertEqual(sandtrap.to_value(("a",)), T.Value_StrList(["a"]))

    def test_bool_is_not_an_int(self):
        self.assertEqual(sandtrap.to_value(True), T.Value_Boolean(True))
        self.assertEqual(sandtrap.to_value(False), T.Value_Boolean(False))

    def test_refused(self):
        for bad in (1.5, None, {"a": 1}, [1, 2], 1 << 64, -(1 << 63) - 1):
            with self.assertRaises((TypeError, ValueError)):
                sandtrap.to_value(bad)
        self.assertEqual(sandtrap.to_value((1 << 64) - 1), T.Value_Uint((1 << 64) - 1))
        self.assertEqual(sandtrap.to_value(-(1 << 63)), T.Value_Int(-(1 << 63)))

    def test_hand_made_values_are_checked(self):
        self.assertEqual(sandtrap.to_value(sandtrap.Value_Int(5)), T.Value_Int(5))
        self.assertNotEqual(T.Value_Int(5), T.Value_Uint(5))
        lst = ["a"]
        v = sandtrap.to_value(T.Value_StrList(lst))
        lst.append("b")
        self.assertEqual(v, T.Value_StrList(["a"]))
        self.assertEqual(sandtrap.to_value(T.Value_Bytes(bytearray(b"x"))), T.Value_Bytes(b"x"))
        for bad in (T.Value_Int(1 << 63), T.Value_Uint(-1), T.Value_Int(True), T.Value_Str(5),
                    T.Value_Boolean(1), T.Value_StrList(["a", 1]), T.Value_Bytes("x")):
            with self.assertRaises(TypeError, msg=repr(bad)):
                sandtrap.to_value(bad)
        with self.assertRaises(TypeError):
            sandtrap.field(5, "x")


class Events(unittest.TestCase):
    def setUp(self):
        self.ev = sandtrap.Event(MockHost().event(
            "x", args={"s": "v", "n": 5, "neg": -1, "b": False, "l": ["a"], "raw": b"\x01"}))

    def test_typed_accessors(self):
        ev = self.ev
        self.assertEqual(ev.str("s"), "v")
        self.assertEqual(ev.int("n"), 5)
        self.assertEqual(ev.int("neg"), -1)
        self.assertIs(ev.bool("b"), False)
        self.assertEqual(ev.list("l"), ["a"])
        self.assertEqual(ev.bytes("raw"), b"\x01")

    def test_duplicates_first_wins(self):
        ev = sandtrap.Event(MockHost().event("x", [("a", "first"), ("b", 1), ("a", "second")]))
        self.assertEqual(ev.str("a"), "first")
        self.assertEqual(ev.args(), {"a": "first", "b": 1})
        self.assertEqual([(f.name, f.value) for f in ev.fields()],
                         [("a", T.Value_Str("first")), ("b", T.Value_Uint(1)), ("a", T.Value_Str("second"))])

    def test_cached_list_is_not_shared(self):
        ev = self.ev
        ev.list("l").append("mutated")
        self.assertEqual(ev.list("l"), ["a"])
        self.assertEqual(ev.get("l"), ["a"])

    def test_process_and_header(self):
        data = MockHost().event("x", pid=42, ppid=7, comm="a-very-long-command-name", uid=1000,
                                container_id="c0ffee")
        ev = sandtrap.Event(data)
        p = ev.process
        self.assertEqual((ev.name, ev.seq, ev.timestamp), ("x", 1, MockHost.CLOCK))
        self.assertEqual((p.pid, p.tid, p.ppid, p.entity_id, p.parent_entity_id), (42, 42, 7, 42, 7))
        self.assertEqual((p.comm, p.uid, p.gid), ("a-very-long-com", 1000, 1000))
        self.assertEqual((ev.container_id, p.container_id), ("c0ffee", "c0ffee"))
        self.assertEqual(bytes(ev.raw), data)

    def test_wrong_type_or_absent_is_default(self):
        ev = self.ev
        self.assertIsNone(ev.str("n"))
        self.assertIsNone(ev.int("s"))
        self.assertIsNone(ev.int("b"))  # a boolean is not an integer argument
        self.assertIsNone(ev.list("s"))
        self.assertEqual(ev.list("missing", []), [])
        self.assertEqual(ev.get("missing", 3), 3)


class Config_(unittest.TestCase):
    def test_access(self):
        c = Config([("a", "1"), ("l", "x, y  z,,"), ("a", "0x10"), ("f", "Yes")])
        self.assertEqual(c.get("a"), "0x10")
        self.assertEqual(c.int("a", 0), 16)
        self.assertEqual(c.list("l"), ["x", "y", "z"])
        self.assertTrue(c.bool("f", False))
        self.assertEqual(c.int("none", 4), 4)
        with self.assertRaisesRegex(ValueError, "'l'"):
            c.int("l", 0)


class Describe(unittest.TestCase):
    def test_builders(self):
        d = (describe("t", "T", "1")
             .selector(select("e").where("n", "not-equal", 53).where("b", "equal", True))
             .requires("process").uses("dns", "container")
             .finding(finding("f", "critical").mitre("Impact", "T1496.001").fields("a", "b"))
             .build())
        self.assertEqual(d.selectors[0].filters[0], _wit.guest.FieldFilter("n", _wit.guest.FilterOp.NOT_EQUAL, "53"))
        self.assertEqual(d.selectors[0].filters[1].value, "true")
        self.assertEqual(d.optional_stores, ["dns", "container"])
        self.assertEqual(d.finding.severity, _wit.guest.Severity.CRITICAL)
        self.assertEqual(d.finding.fields, ["a", "b"])
        with self.assertRaises(ValueError):
            finding("f", "severe")
        with self.assertRaises(ValueError):
            select("e").where("a", "startswith", "x")

    def test_detection(self):
        d = Detection(severity="low", a="x", n=1).field("l", [])
        self.assertEqual([f.name for f in d.fields], ["a", "n", "l"])
        self.assertEqual(d.fields[1], sandtrap.Field("n", T.Value_Uint(1)))
        self.assertEqual(d.severity, _wit.guest.Severity.LOW)
        self.assertIsNone(Detection().severity)
        # build() is kept for 0.3 code: the detection is its own record now.
        self.assertIs(d.build(), d)
        self.assertEqual(Detection(a=1), Detection(a=1))
        self.assertNotEqual(Detection(a=1), Detection(a=-1))
        self.assertIn("a=1", repr(Detection(a=1)))


class Stores(unittest.TestCase):
    def test_errors_become_exceptions(self):
        host = MockHost().install()
        host.add_process(1, name="init")
        self.assertEqual(stores.get_process(1).name, "init")
        with self.assertRaises(NotFound):
            stores.get_process(2)
        _wit.processes.get_process = lambda eid: (_ for _ in ()).throw(_wit.Err(W.StoreError_StoreUnhealthy()))
        with self.assertRaisesRegex(StoreUnhealthy, "process store"):
            stores.get_process(1)
        with self.assertRaises(sandtrap.InvalidArgument):
            stores.get_container("short")


class Faulty(Detector):
    @classmethod
    def describe(cls):
        return describe("faulty", "Faulty", "0").selector(select("*")).finding(finding("f"))

    def __init__(self, config):
        super().__init__(config)
        if config.get("refuse"):
            raise ValueError("refused by config")

    def on_event(self, ev):
        if ev.str("mode") == "raise":
            return {}["missing"]
        if ev.str("mode") == "bad-return":
            return ["not a detection"]
        if ev.str("mode") == "many":
            return [Detection(i=1), Detection(i=2)]
        return Detection(mode=ev.str("mode"))


class Glue(unittest.TestCase):
    Guest = sandtrap.export_detector(Faulty)

    def test_exceptions_are_indexed_errors(self):
        h = MockHost()
        evs = [h.event("e", {"mode": m}) for m in ("ok", "raise", "bad-return", "many")]
        out = h.run(self.Guest, evs)
        self.assertEqual([(d["index"], d["fields"]) for d in out.detections],
                         [(0, {"mode": "ok"}), (3, {"i": 1}), (3, {"i": 2})])
        self.assertEqual([i for i, _ in out.errors], [1, 2])
        self.assertRegex(out.errors[0][1], r"^KeyError: 'missing' \(test_sandtrap.py:\d+ in on_event\)$")
        self.assertIn("TypeError", out.errors[1][1])

    def test_every_event_gets_its_own_result(self):
        h = MockHost()
        g = self.Guest()
        g.init([])
        out = h.call(g, [h.event("e", {"mode": m}) for m in ("raise", "ok", "raise")])
        self.assertEqual([d["index"] for d in out.detections], [1])
        self.assertEqual([(i, m.split(":")[0]) for i, m in out.errors], [(0, "KeyError"), (2, "KeyError")])
        # Detections and errors of the whole batch leave in one report.
        self.assertEqual(len(out.reports), 1)

    def test_init_error_and_call_before_init(self):
        h = MockHost()
        self.assertEqual(h.run(self.Guest, [], {"refuse": "1"}).init_error,
                         "ValueError: refused by config (test_sandtrap.py:%d in __init__)" % (Faulty.__init__.__code__.co_firstlineno + 3))
        g = self.Guest()
        g.close()
        out = h.call(g, [h.event("e"), h.event("e")])
        self.assertEqual(out.detections, [])
        self.assertEqual([i for i, _ in out.errors], [0, 1])
        self.assertIn("before init", out.errors[0][1])

    def test_report_outside_on_events_traps(self):
        # The mock host is as strict as the host, so a detector (or SDK)
        # that reports from elsewhere fails its unit tests.
        MockHost().install()
        with self.assertRaises(HostTrap):
            _wit.host.report(b"\x00\x00\x00\x00")


if __name__ == "__main__":
    unittest.main()
