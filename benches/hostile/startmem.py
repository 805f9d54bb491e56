#!/usr/bin/env python3
"""startmem.py TIMEOUT CMD...: starts CMD (which prints `mimeo: listening on URL`) and
reports the time to that line and the peak RSS (VmHWM) then; SIGTERMs it."""
import subprocess, sys, time, signal, threading
timeout = float(sys.argv[1]); cmd = sys.argv[2:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
errbuf = []; seen = threading.Event()
threading.Thread(target=lambda: errbuf.append(p.stderr.read()), daemon=True).start()
def out():
    for line in p.stdout:
        if "listening on" in line: seen.set()
    seen.set()
threading.Thread(target=out, daemon=True).start()
def hwm():
    try:
        for l in open(f"/proc/{p.pid}/status"):
            if l.startswith("VmHWM"): return int(l.split()[1]) // 1024
    except Exception: return -1
peak = 0
while not seen.is_set() and time.monotonic() - t0 < timeout:
    seen.wait(0.05); peak = max(peak, hwm())
ms = (time.monotonic() - t0) * 1000
peak = max(peak, hwm())
ok = p.poll() is None and seen.is_set()
p.send_signal(signal.SIGTERM)
try: p.wait(10)
except Exception: p.kill()
time.sleep(0.2); err = ("".join(errbuf))
nwarn = err.count("warning:")
print(f"{'started' if ok else 'NOT STARTED'} in {ms:.0f} ms, peak RSS {peak} MB, {nwarn} warnings" + ("" if ok else f" :: {err[-300:]}"))
