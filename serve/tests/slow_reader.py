"""A POP3 client that takes its answer at a set rate, for serve/tests/pop3_clients.rs.

    python3 slow_reader.py PORT USER PASSWORD RATE RCVBUF MSS SECONDS [THEN]

Logs in, asks RETR 1 and reads the answer at RATE octets a second at most, through a socket
whose receive buffer is RCVBUF octets and whose segments are at most MSS octets (set before
connecting), so that the server sees the client's progress in small steps, as over a slow
link. Stops after SECONDS. Prints one line: `complete`, `closed` (the server closed the
connection before the end of the answer) or `stopped`, then the octets read and the seconds
since RETR. THEN, commands separated by commas (`DELE 1,QUIT`), are sent one at a time
once the answer is complete, and the first line of each response is printed on a line of its
own (empty if the server closed the connection instead).
"""
import socket
import sys
import time

port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rate, rcvbuf, mss, seconds = float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
then = sys.argv[8].split(",") if len(sys.argv) > 8 else []

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
s.connect(("127.0.0.1", port))
s.settimeout(10)
f = s.makefile("rb")
assert f.readline().startswith(b"+OK")
for line in (f"USER {user}", f"PASS {password}"):
    s.sendall(line.encode() + b"\r\n")
    assert f.readline().startswith(b"+OK"), line
s.sendall(b"RETR 1\r\n")
start = time.monotonic()
got = 0
tail = b""
outcome = "stopped"
while time.monotonic() - start < seconds:
    allowed = int(rate * (time.monotonic() - start)) - got
    if allowed < 1:
        time.sleep(0.01)
        continue
    data = f.read1(min(allowed, 65536))
    if not data:
        outcome = "closed"
        break
    got += len(data)
    tail = (tail + data)[-5:]
    if tail == b"\r\n.\r\n":
        outcome = "complete"
        break
print(outcome, got, round(time.monotonic() - start, 2))
if outcome == "complete":
    for command in then:
        try:
            s.sendall(command.encode() + b"\r\n")
            print(f.readline().decode().rstrip("\r\n"))
        except OSError:
            print()
