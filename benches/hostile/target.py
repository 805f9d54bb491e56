#!/usr/bin/env python3
"""A misbehaving target for the memory measurements: /endless streams chunks
forever; /v1/.../email?n=N&kind=wrong|good answers FetchProfileIdentifier's 200
with N values (wrong: numbers where strings belong). Usage: target.py PORT"""
import socket, sys, threading, re
port = int(sys.argv[1])
cache = {}
def body(kind, n):
    key = (kind, n)
    if key not in cache:
        item = b"1" if kind == "wrong" else b'"a@x.io"'
        cache[key] = b'{"idType":"email","values":[' + b",".join([item]*n) + b"]}"
    return cache[key]
def serve(conn):
    f = conn.makefile("rb")
    try:
        while True:
            line = f.readline()
            if not line: return
            target = line.split()[1].decode()
            while True:
                h = f.readline()
                if h in (b"\r\n", b"\n", b""): break
            if target.startswith("/endless"):
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                chunk = b"a" * 65536
                while True:
                    conn.sendall(b"10000\r\n" + chunk + b"\r\n")
            m = re.search(r"n=(\d+)", target); n = int(m.group(1)) if m else 1
            kind = "wrong" if "kind=wrong" in target else "good"
            b = body(kind, n)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(b) + b)
    except Exception:
        pass
    finally:
        conn.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(512)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
