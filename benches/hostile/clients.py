#!/usr/bin/env python3
"""clients.py URL N: N concurrent GETs of URL, each read to the end; prints bytes."""
import sys, threading, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
sizes = []
def one():
    try:
        with urllib.request.urlopen(url, timeout=300) as r:
            total = 0
            while True:
                b = r.read(1 << 20)
                if not b: break
                total += len(b)
            sizes.append(total)
    except Exception as e:
        sizes.append(f"error {e}")
ts = [threading.Thread(target=one) for _ in range(n)]
[t.start() for t in ts]; [t.join() for t in ts]
ok = [s for s in sizes if isinstance(s, int)]
print(f"{len(ok)} answers of {min(ok) if ok else 0}..{max(ok) if ok else 0} bytes; {len(sizes)-len(ok)} errors {[s for s in sizes if not isinstance(s,int)][:2]}")
