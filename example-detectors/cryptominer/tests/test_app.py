"""Host-side unit tests of the cryptominer rule (CPython, stub bindings):
  guest-sdk/python/unittest.sh example-detectors/cryptominer/tests
The YAML scenarios run the same cases against the real component."""

import unittest

from app import Cryptominer, Guest
from sandtrap.testing import MockHost

CID = "4f1c2a9be0d84c6f8a7b3e2d1c0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"


def exec_ev(h, pid, path, argv, ppid=1, **kw):
    return h.event("sched_process_exec", {"pathname": path, "argv": argv}, pid=pid, ppid=ppid, **kw)


def connect(h, pid, addr, port, comm="curl", **kw):
    return h.event("security_socket_connect", {"remote_addr": addr, "remote_port": port}, pid=pid, comm=comm, **kw)


class Exec(unittest.TestCase):
    def setUp(self):
        self.h = MockHost()
        self.h.add_process(1, name="systemd", exe="/usr/lib/systemd/systemd")
        self.h.add_process(700, 1, name="cron", exe="/usr/sbin/cron")
        self.h.add_process(5000, 700, name="sh", exe="/usr/bin/dash")
        self.h.add_process(5001, 5000, name="bash", exe="/usr/bin/bash")

    def run_one(self, ev, config=None):
        out = self.h.run(Guest, [ev], config)
        self.assertEqual(out.errors, [])
        return out.detections

    def test_xmrig_with_url_under_cron(self):
        argv = ["/tmp/.x/xmrig", "-o", "stratum+tcp://pool.supportxmr.com:3333", "-u", "44AFFq5k", "--donate-level=1"]
        [d] = self.run_one(exec_ev(self.h, 5002, "/tmp/.x/xmrig", argv, ppid=5001))
        self.assertEqual(d["severity"], "high")
        f = d["fields"]
        self.assertEqual(f["signals"], ["stratum_url", "miner_options", "miner_binary", "known_pool"])
        self.assertEqual(f["pool"], "pool.supportxmr.com")
        self.assertEqual(f["pool_url"], "stratum+tcp://pool.supportxmr.com:3333")
        self.assertEqual(f["ancestry"], ["bash(5001)", "sh(5000)", "cron(700)", "systemd(1)"])
        self.assertEqual((f["service"], f["service_pid"]), ("cron", 700))
        self.assertNotIn("container_id", f)

    def test_renamed_binary(self):
        argv = ["kworker", "--url=stratum+ssl://203.0.113.9:14433", "-k"]
        [d] = self.run_one(exec_ev(self.h, 5003, "/var/tmp/kworker", argv, ppid=5001))
        self.assertEqual(d["fields"]["signals"], ["stratum_url"])
        self.assertEqual(d["fields"]["pool"], "203.0.113.9")

    def test_wallet_in_url(self):
        argv = ["ethminer", "-P", "stratum1+tcp://0xA1b2.rig1:x@eu1.ethermine.org:4444"]
        [d] = self.run_one(exec_ev(self.h, 5009, "/usr/bin/ethminer", argv))
        self.assertEqual(d["fields"]["pool"], "eu1.ethermine.org")
        self.assertEqual(d["fields"]["signals"], ["stratum_url", "miner_binary", "known_pool"])

    def test_name_alone_is_medium(self):
        [d] = self.run_one(exec_ev(self.h, 5004, "/opt/bin/cpuminer", ["cpuminer", "--help"]))
        self.assertEqual((d["severity"], d["fields"]["signals"]), ("medium", ["miner_binary"]))

    def test_options_without_url(self):
        [d] = self.run_one(exec_ev(self.h, 5005, "/tmp/x", ["x", "-a", "rx/0", "-o", "198.51.100.4:80"]))
        self.assertEqual((d["severity"], d["fields"]["signals"], d["fields"]["pool"]), ("high", ["miner_options"], "198.51.100.4"))
        [d] = self.run_one(exec_ev(self.h, 5006, "/tmp/y", ["y", "--coin", "monero", "--url", "gulf.moneroocean.stream:10128"]))
        self.assertEqual(d["fields"]["signals"], ["miner_options", "known_pool"])

    def test_look_alikes(self):
        for argv in (
            ["grep", "-rn", "stratum+tcp://", "/var/log"],
            ["tar", "--algo", "zstd", "-o", "out.tar"],
            ["convert", "--coin", "x", "-o", "out.png"],
            ["git", "pull"],
            ["python3", "-m", "pip", "install", "miner-utils"],
        ):
            self.assertEqual(self.run_one(exec_ev(self.h, 5007, "/usr/bin/" + argv[0], argv)), [], argv)

    def test_allow_comm(self):
        argv = ["xmrig", "-o", "stratum+tcp://pool.example:3333"]
        self.assertEqual(self.run_one(exec_ev(self.h, 5008, "/opt/xmrig/xmrig", argv), {"allow_comm": "ethminer, xmrig"}), [])

    def test_container(self):
        self.h.add_container(CID, name="shop-frontend", image="registry.example/shop/frontend:2.4.1")
        ev = exec_ev(self.h, 6001, "/usr/local/bin/xmrig", ["xmrig", "-c", "/tmp/c.json"], container_id=CID)
        [d] = self.run_one(ev)
        self.assertEqual(d["fields"]["container_id"], CID)
        self.assertEqual(d["fields"]["container_image"], "registry.example/shop/frontend:2.4.1")


class Connect(unittest.TestCase):
    def setUp(self):
        self.h = MockHost()
        self.h.add_dns("pool.supportxmr.com", ["203.0.113.50"])
        self.h.add_dns("poolparty.example.com", ["198.51.100.77"])
        self.h.add_dns("eu.pool.example.net", ["198.51.100.78"])
        self.h.add_dns("www.nicehash.com", ["198.51.100.79"])
        self.h.add_dns("xmr.gulf.moneroocean.stream", ["2001:db8::5"])

    def test_known_pool_on_443_once_per_process(self):
        evs = [connect(self.h, 300, "203.0.113.50", 443, comm="kworker"),
               connect(self.h, 300, "203.0.113.50", 443, comm="kworker")]
        out = self.h.run(Guest, evs)
        [d] = out.detections
        self.assertEqual(d["fields"]["signals"], ["known_pool"])
        self.assertEqual(d["fields"]["domains"], ["pool.supportxmr.com"])
        self.assertEqual(d["severity"], "medium")

    def test_stratum_port_and_pool_label(self):
        out = self.h.run(Guest, [connect(self.h, 301, "198.51.100.78", 3333),
                                 connect(self.h, 302, "198.51.100.77", 3333),
                                 connect(self.h, 303, "198.51.100.77", 443),
                                 connect(self.h, 304, "198.51.100.79", 443),
                                 connect(self.h, 305, "::ffff:203.0.113.50", 443),
                                 connect(self.h, 306, "2001:db8::5", 443),
                                 connect(self.h, 307, "192.0.2.1", 3333),
                                 self.h.event("security_socket_connect", {"remote_addr": "/run/docker.sock"})])
        self.assertEqual([(d["index"], d["fields"]["signals"][0], d["fields"]["pool"]) for d in out.detections], [
            (0, "stratum_port", "eu.pool.example.net"),
            (1, "stratum_port", "poolparty.example.com"),
            (4, "known_pool", "pool.supportxmr.com"),
            (5, "known_pool", "xmr.gulf.moneroocean.stream"),
        ])

    def test_extra_pools_and_bad_config(self):
        out = self.h.run(Guest, [connect(self.h, 310, "198.51.100.77", 443)], {"extra_pools": "example.com"})
        self.assertEqual([d["fields"]["pool"] for d in out.detections], ["poolparty.example.com"])
        self.assertIn("extra_pools", self.h.run(Guest, [], {"extra_pools": "not a/domain"}).init_error)

    def test_describe(self):
        d = Guest().describe()
        self.assertEqual(d.finding.mitre_technique, "T1496.001")
        self.assertTrue(all(s.filters for s in d.selectors))
        self.assertIsNotNone(Cryptominer)


if __name__ == "__main__":
    unittest.main()
