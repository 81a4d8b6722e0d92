"""Conformance of the SDK's store-answer views (and of the mock host's
record encoder) with contract 0.3: the answer vectors every SDK decodes,
guest-sdk/wire/testdata/{processes,containers,dns,symbols,reputation}.bin
with their expected decoding in answers.json, read through the public
store functions and views only; then malformed answers (every prefix,
corrupted bytes), which must read without raising — in the component an
exception there would be an error result for the event that asked.

Run by guest-sdk/python/unittest.sh (and so by ./dev test)."""

import json
import random
import unittest
from pathlib import Path

import sandtrap
from sandtrap import (ContainerRecord, DnsRecord, NotFound, ProcessRecord, Records, ReputationRecord,
                      StoreUnhealthy, SymbolRecord, _wit, stores)
from sandtrap.testing import (ContainerFields, DnsFields, MockHost, PodFields, ProcessFields, ReputationFields,
                              SymbolFields, encode_records)

T = _wit.types
RS = _wit.ip_reputation.ReputationStatus
# tests/ → python/ → guest-sdk/ → the repository.
TESTDATA = Path(__file__).resolve().parents[3] / "guest-sdk" / "wire" / "testdata"
ANSWERS = json.loads((TESTDATA / "answers.json").read_text(encoding="utf-8"))
KINDS = ("processes", "containers", "dns", "symbols", "reputation")
BIN = {k: (TESTDATA / ANSWERS[k]["file"]).read_bytes() for k in KINDS}

# answers.json writes 64-bit integers as decimal strings (JSON numbers lose
# precision past 2^53).
WIDE = {
    "processes": ("entity_id", "parent_entity_id", "start_time", "exit_time"),
    "containers": ("start_time",),
    "dns": (),
    "symbols": ("query", "address"),
    "reputation": ("last_updated",),
}
VIEW = {"processes": ProcessRecord, "containers": ContainerRecord, "dns": DnsRecord,
        "symbols": SymbolRecord, "reputation": ReputationRecord}


def observe(kind, r) -> dict:
    """Every field of view `r`, through its public properties, in the form
    of answers.json."""
    if kind == "processes":
        seen = {f: getattr(r, f) for f in ("entity_id", "parent_entity_id", "start_time", "exit_time", "pid",
                                           "ppid", "uid", "gid", "name", "exe", "container_id", "argv")}
    elif kind == "containers":
        seen = {f: getattr(r, f) for f in ("start_time", "id", "name", "image", "image_digest", "runtime")}
        pod = r.pod
        seen["pod"] = None if pod is None else {
            "name": pod.name, "uid": pod.uid, "namespace": pod.namespace, "sandbox": pod.sandbox}
    elif kind == "dns":
        seen = {"query": r.query, "ips": r.ips, "domains": r.domains}
    elif kind == "symbols":
        seen = {"query": r.query, "address": r.address, "name": r.name, "module": r.module}
    else:
        seen = {"last_updated": r.last_updated, "ip": r.ip, "source": r.source, "tags": r.tags,
                "status": r.status.name.lower(), "severity": r.severity}
    for f in WIDE[kind]:
        if seen[f] is not None:
            seen[f] = str(seen[f])
    repr(r)
    return seen


class _Handle:
    """A reputation `reader` resource answering with fixed bytes."""

    def __init__(self, data):
        self.data = data

    def get(self, ip):
        return self.data

    def get_all(self, ip):
        return self.data


def answer_through_stores(kind, data) -> list:
    """`data` decoded by every public store call that answers with this
    record kind: a list of (call, Records or single view)."""
    MockHost().install()
    fixed = lambda *a: data  # noqa: E731
    if kind == "processes":
        _wit.processes.get_process = _wit.processes.get_ancestry = _wit.processes.get_child_processes = fixed
        return [("get_ancestry", stores.get_ancestry(1, 8)), ("get_child_processes", stores.get_child_processes(1)),
                ("get_process", stores.get_process(1))]
    if kind == "containers":
        _wit.containers.get_container = _wit.containers.get_container_by_name = fixed
        _wit.containers.list_containers = fixed
        return [("list_containers", stores.list_containers(image="x")), ("get_container", stores.get_container("c" * 12)),
                ("get_container_by_name", stores.get_container_by_name("web"))]
    if kind == "dns":
        _wit.dns.get_dns_response = fixed
        return [("get_dns_response", stores.get_dns_response("www.example.com"))]
    if kind == "symbols":
        _wit.kernel_symbols.resolve_symbol_by_address = _wit.kernel_symbols.resolve_symbols_batch = fixed
        return [("resolve_symbols_batch", stores.resolve_symbols_batch([1, 2])),
                ("resolve_symbol_by_address", stores.resolve_symbol_by_address(1))]
    reader = sandtrap.ip_reputation.Reader("feed", _Handle(data))
    return [("get_all", reader.get_all("203.0.113.9")), ("get", reader.get("203.0.113.9"))]


class Vectors(unittest.TestCase):
    def test_every_field_through_the_store_calls(self):
        for kind in KINDS:
            want = ANSWERS[kind]["records"]
            for call, answer in answer_through_stores(kind, BIN[kind]):
                with self.subTest(kind=kind, call=call):
                    if isinstance(answer, Records):
                        self.assertEqual(len(answer), len(want))
                        self.assertEqual([observe(kind, r) for r in answer], want)
                        # Indexing, negative indexing, slicing and first()
                        # read the same records as iteration.
                        self.assertEqual([observe(kind, answer[i]) for i in range(len(answer))], want)
                        self.assertEqual(observe(kind, answer[-1]), want[-1])
                        self.assertEqual([observe(kind, r) for r in answer[1:]], want[1:])
                        self.assertEqual([observe(kind, r) for r in reversed(answer)], want[::-1])
                        self.assertEqual(observe(kind, answer.first()), want[0])
                        with self.assertRaises(IndexError):
                            answer[len(want)]
                    else:
                        # A single-record call answers with its first record.
                        self.assertIsInstance(answer, VIEW[kind])
                        self.assertEqual(observe(kind, answer), want[0])

    def test_edge_values(self):
        procs = Records(BIN["processes"], ProcessRecord)
        self.assertEqual(procs[0].argv, ["sh", "-c", "", "écho ✓"])
        self.assertEqual(procs[0].entity_id, (1 << 63) + 1)
        self.assertIsNone(procs[1].exit_time)
        self.assertEqual(procs[2].start_time, (1 << 64) - 1)
        self.assertEqual(procs[2].pid, (1 << 32) - 1)
        self.assertTrue(sandtrap.process_is(procs[0], "bash"))
        c = Records(BIN["containers"], ContainerRecord)
        self.assertTrue(c[0].pod.sandbox)
        self.assertIsNone(c[1].pod)
        rep = Records(BIN["reputation"], ReputationRecord)
        self.assertIs(rep[0].status, RS.BLACKLISTED)
        self.assertIs(rep[1].status, RS.CLEAN)
        self.assertEqual(rep[1].tags, [])
        # The symbol batch is flat: each record names the address it answers.
        syms = Records(BIN["symbols"], SymbolRecord)
        self.assertEqual([s.query for s in syms], [syms[0].query, syms[0].query, syms[2].query])
        self.assertNotEqual(syms[0].query, syms[2].query)

    def test_lists_are_new_each_read(self):
        p = Records(BIN["processes"], ProcessRecord)[0]
        p.argv.append("mutated")
        self.assertEqual(len(p.argv), 4)

    def test_encoder_reproduces_the_vectors(self):
        def ints(rec, kind):
            return {k: (int(v) if k in WIDE[kind] and v is not None else v) for k, v in rec.items()}

        build = {
            "processes": lambda r: ProcessFields(**r),
            "containers": lambda r: ContainerFields(**{**r, "pod": None if r["pod"] is None else PodFields(**r["pod"])}),
            "dns": lambda r: DnsFields(**r),
            "symbols": lambda r: SymbolFields(**r),
            "reputation": lambda r: ReputationFields(**{**r, "status": RS[r["status"].upper()]}),
        }
        for kind in KINDS:
            with self.subTest(kind=kind):
                fields = [build[kind](ints(r, kind)) for r in ANSWERS[kind]["records"]]
                self.assertEqual(encode_records(fields), BIN[kind])

    def test_single_record_answer_that_is_empty_or_malformed(self):
        # The host always sends one record; anything else reads as an empty
        # record, never an exception.
        MockHost().install()
        for data in (b"", b"\x00\x00\x00\x00", b"\x01\x00\x00\x00", b"\x01\x00\x00\x00\xff\x00\x00\x00"):
            _wit.processes.get_process = lambda eid: data
            p = stores.get_process(1)
            self.assertEqual((p.entity_id, p.name, p.argv, p.exit_time), (0, "", [], None))
            _wit.dns.get_dns_response = lambda q: data
            self.assertEqual(stores.get_dns_response("x").ips, [])


def absent_like(kind, key, v):
    """What field `key` reads as when its bytes are missing or malformed."""
    if key in ("exit_time", "pod"):
        return None
    if key in WIDE[kind]:  # a 64-bit integer, written as a string
        return "0"
    if key == "status":
        return "unknown"
    return {list: [], bool: False, int: 0, str: ""}[type(v)]


class Malformed(unittest.TestCase):
    full = {k: [observe(k, r) for r in Records(BIN[k], VIEW[k])] for k in KINDS}

    def check_field(self, kind, key, got, full, where):
        if got == full:
            return
        if key == "pod" and got is not None and full is not None:
            # A pod whose flags survived but whose strs were cut.
            for k, v in got.items():
                if v != full[k]:
                    self.assertEqual(v, absent_like(kind, k, full[k]), (*where, k))
            return
        if isinstance(got, list) and got and len(got) == len(full):
            # The table survived: an element whose bytes were cut reads as
            # "", and the others keep their positions.
            for x, y in zip(got, full):
                self.assertIn(x, (y, ""), where)
            return
        self.assertEqual(got, absent_like(kind, key, full), where)

    def test_every_prefix_reads_true_or_absent(self):
        # A prefix keeps the bytes that are left, so every field reads as
        # in the whole answer or as absent; a list never loses elements in
        # the middle.
        for kind in KINDS:
            data = BIN[kind]
            for n in range(len(data) + 1):
                rs = Records(data[:n], VIEW[kind])
                self.assertLessEqual(len(rs), len(self.full[kind]))
                for i, r in enumerate(rs):
                    for key, v in observe(kind, r).items():
                        self.check_field(kind, key, v, self.full[kind][i][key], (kind, n, i, key))

    def test_corrupted_bytes(self):
        def check(kind, buf):
            for r in Records(buf, VIEW[kind]):
                seen = observe(kind, r)
                for v in seen.values():
                    self.assertIsInstance(v, (str, int, list, dict, type(None)))
            # The single-record calls read the same buffer.
            observe(kind, sandtrap.records.one(buf, VIEW[kind]))

        rng = random.Random(20240603)
        for kind in KINDS:
            data = BIN[kind]
            with self.subTest(kind=kind):
                for at in range(len(data)):
                    for b in (0x00, 0xFF, 0x80, 0x7F, data[at] ^ 0x01):
                        buf = bytearray(data)
                        buf[at] = b
                        check(kind, bytes(buf))
                for _ in range(300):
                    buf = bytearray(data)
                    for _ in range(rng.randint(1, 8)):
                        buf[rng.randrange(len(buf))] = rng.randrange(256)
                    check(kind, bytes(buf))
                for buf in (b"", b"\x01", b"\xff\xff\xff\xff", b"\xff\xff\xff\xff" + b"\x00" * 12,
                            data + b"\xff" * 9, b"\x01\x00\x00\x00\x08\x00\x00\x00" + b"\xff" * 90):
                    check(kind, buf)

    def test_a_bad_field_does_not_spoil_the_others(self):
        # Fields are read independently: invalid UTF-8 in `exe` reads as ""
        # and leaves `name` and `argv` intact.
        one = ProcessFields(entity_id=7, name="bash", exe="/usr/bin/bash", argv=["a", "b"]).encode()
        buf = bytearray(encode_records([one]))
        at = bytes(buf).index(b"/usr/bin/bash")
        buf[at] = 0xFF
        p = Records(bytes(buf), ProcessRecord)[0]
        self.assertEqual((p.entity_id, p.name, p.exe, p.argv), (7, "bash", "", ["a", "b"]))
        # A status code the SDK does not know reads as UNKNOWN.
        rep = bytearray(ReputationFields(ip="192.0.2.1", status=3, severity=4).encode())
        rep[32] = 9
        r = ReputationRecord(bytes(rep))
        self.assertEqual((r.status, r.severity, r.ip), (RS.UNKNOWN, 4, "192.0.2.1"))


class MockHostAnswers(unittest.TestCase):
    """The mock host answers through the same encoder and views."""

    def setUp(self):
        self.h = MockHost()
        self.h.add_process(1, name="systemd", exe="/usr/lib/systemd/systemd")
        self.h.add_process(700, 1, name="cron", exe="/usr/sbin/cron", argv=["/usr/sbin/cron", "-f"])
        self.h.add_process(701, 700, exe="/usr/bin/dash")
        self.h.install()

    def test_processes(self):
        p = stores.get_process(700)
        self.assertEqual((p.pid, p.ppid, p.name, p.argv, p.exit_time), (700, 1, "cron", ["/usr/sbin/cron", "-f"], None))
        self.assertEqual([a.name for a in stores.get_ancestry(701, 8)], ["dash", "cron", "systemd"])
        self.assertEqual([a.pid for a in stores.get_ancestry(701, 2)], [701, 700])
        self.assertEqual(len(stores.get_ancestry(999, 8)), 0)
        self.assertEqual([c.pid for c in stores.get_child_processes(700)], [701])
        self.assertFalse(stores.get_child_processes(701))
        with self.assertRaises(NotFound):
            stores.get_process(2)

    def test_containers(self):
        cid = "ab" * 32
        self.h.add_container(cid, name="web", image="nginx:1", pod=PodFields("web-0", "u-1", "shop"))
        self.h.add_container("cd" * 32, name="db", image="postgres:16", runtime="containerd")
        c = stores.get_container(cid[:12])
        self.assertEqual((c.id, c.name, c.image, c.runtime), (cid, "web", "nginx:1", "docker"))
        self.assertEqual((c.pod.name, c.pod.uid, c.pod.namespace, c.pod.sandbox), ("web-0", "u-1", "shop", False))
        self.assertIsNone(stores.get_container_by_name("db").pod)
        self.assertEqual([x.name for x in stores.list_containers(runtime="containerd")], ["db"])
        self.assertEqual(len(stores.list_containers()), 2)
        with self.assertRaises(sandtrap.InvalidArgument):
            stores.get_container("short")

    def test_dns(self):
        self.h.add_dns("pool.example", ["203.0.113.7"], cnames=["edge.example"])
        d = stores.get_dns_response("pool.example")
        self.assertEqual((d.query, d.ips, d.domains), ("pool.example", ["203.0.113.7"], ["edge.example"]))
        self.assertEqual(stores.get_dns_response("203.0.113.7").domains, ["pool.example", "edge.example"])

    def test_symbols(self):
        self.h.add_symbol(0xFFFF0000, "_text")
        self.h.add_symbol(0xFFFF0000, "_stext")
        self.h.add_symbol(0xFFFF9000, "hook", "rootkit")
        self.assertEqual([(s.query, s.name) for s in stores.resolve_symbol_by_address(0xFFFF0010)],
                         [(0xFFFF0010, "_text"), (0xFFFF0010, "_stext")])
        batch = stores.resolve_symbols_batch([0xFFFF9004, 0x10, 0xFFFF0001])
        self.assertEqual([(hex(s.query), s.name, s.module) for s in batch], [
            ("0xffff9004", "hook", "rootkit"), ("0xffff0001", "_text", "system"), ("0xffff0001", "_stext", "system")])
        self.assertEqual(stores.get_symbol_address("hook"), 0xFFFF9000)
        with self.assertRaises(NotFound):
            stores.resolve_symbol_by_address(0x10)

    def test_reputation(self):
        self.h.add_reputation("feed", "203.0.113.0/24", "suspicious", 5, ["scanner"], source="a", last_updated=1)
        self.h.add_reputation("feed", "203.0.113.0/24", "blacklisted", 9, ["c2"], source="b", last_updated=2)
        self.h.add_reputation("feed", "203.0.113.9", "clean", 1, source="a")
        r = sandtrap.ip_reputation.open("feed")
        w = r.get("203.0.113.7")
        self.assertEqual((w.ip, w.source, w.status, w.severity, w.tags),
                         ("203.0.113.0/24", "b", RS.BLACKLISTED, 9, ["c2"]))
        self.assertEqual([(e.source, e.status) for e in r.get_all("203.0.113.7")],
                         [("a", RS.SUSPICIOUS), ("b", RS.BLACKLISTED)])
        self.assertEqual(r.get("203.0.113.9").status, RS.CLEAN)
        self.assertTrue(r.is_blacklisted("203.0.113.7"))
        self.assertFalse(r.is_blacklisted("198.51.100.1"))
        self.assertEqual(r.list_sources(), ["a", "b"])
        with self.assertRaises(NotFound):
            r.get("198.51.100.1")
        with self.assertRaises(NotFound):
            sandtrap.ip_reputation.open("other")
        self.assertIsNone(sandtrap.ip_reputation.LazyReader("other").get())

    def test_errors_keep_their_mapping(self):
        _wit.processes.get_ancestry = lambda eid, d: (_ for _ in ()).throw(_wit.Err(T.StoreError_StoreUnhealthy()))
        with self.assertRaisesRegex(StoreUnhealthy, "process store: get-ancestry"):
            stores.get_ancestry(1, 4)


if __name__ == "__main__":
    unittest.main()
