#!/usr/bin/env bash
# A small, harmless attack for the live demo: a "web server" that spawns a
# shell, a payload executed from memory, a DNS answer for a denied domain
# and connections to denied addresses. Everything stays on loopback; the
# connects are UDP, so no packet is even sent.
set -euo pipefail
work=$(mktemp -d /tmp/sandtrap-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

# 1. A shell under a process named nginx.
cp /bin/bash "$work/nginx"
"$work/nginx" -c '/bin/sh -c "id >/dev/null"; true'

# 2. A binary executed from a memfd.
python3 - <<'PY'
import os
fd = os.memfd_create("payload")
os.write(fd, open("/bin/true", "rb").read())
pid = os.fork()
if pid == 0:
    os.execve(f"/proc/self/fd/{fd}", ["payload"], {})
os.waitpid(pid, 0)
PY

# 3. A DNS answer for a denied domain (a tiny responder on 127.0.0.1:53),
#    then connections to the address it gave and to a listed address.
python3 - <<'PY'
import socket, struct
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 53))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
name = b"\x02c2\x04evil\x07example\x00"
cli.sendto(struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1), ("127.0.0.1", 53))
_, addr = srv.recvfrom(512)
answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([127, 66, 6, 7])
srv.sendto(struct.pack(">HHHHHH", 7, 0x8180, 1, 1, 0, 0) + name + struct.pack(">HH", 1, 1) + answer, addr)
cli.recvfrom(512)
for ip in ("127.66.6.7", "127.66.6.6"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((ip, 443))
    s.close()
PY
echo "live-activity: done" >&2
