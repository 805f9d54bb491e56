#!/usr/bin/env python3
"""Cold start of a server: time from launching the process to its first 2xx.

    coldstart.py --port PORT --path /some/path [--header 'K: V'] [--runs N]
                 [--timeout SECONDS] [--stderr FILE] -- COMMAND ARGS...

Launches COMMAND (which must listen on 127.0.0.1:PORT), polls with a plain
HTTP/1.1 GET every half millisecond until the answer is 2xx, then reads the peak
resident memory (VmHWM, summed over the process and its children) and stops the
process. With --stderr, what the process wrote on stderr goes to FILE (the last
run's). Prints one line per run:

    COLD ms=12.3 hwm_kb=14000
or
    COLD failed=REASON ms=... hwm_kb=...
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def tree(pid):
    """The pid and all its descendants."""
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out.extend(tree(int(child)))
    except OSError:
        pass
    return out


def hwm_kb(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def probe(port, request):
    """The status code of one GET, or None when nothing answers yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(request)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                data += chunk
            parts = data.split(b" ", 2)
            return int(parts[1]) if len(parts) > 1 else None
    except (ConnectionRefusedError, ConnectionResetError, socket.timeout, ValueError):
        return None


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_once(args):
    headers = "".join(f"{h}\r\n" for h in args.header)
    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n{headers}"
        "Connection: close\r\n\r\n"
    ).encode()
    if probe(args.port, request) is not None:
        return f"failed=port-{args.port}-already-in-use ms=0 hwm_kb=0"
    err = open(args.stderr, "wb") if args.stderr else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(
        args.command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=err,
    )
    status = None
    why = None
    try:
        while True:
            status = probe(args.port, request)
            if status is not None and 200 <= status < 300:
                break
            if proc.poll() is not None:
                why = f"exited-{proc.returncode}"
                break
            if time.perf_counter() - start > args.timeout:
                why = f"timeout-{args.timeout:g}s"
                break
            if status is not None:
                why = f"status-{status}"  # answering, but not yet (or never) with 2xx
            time.sleep(0.0005)
        elapsed = (time.perf_counter() - start) * 1000
        memory = hwm_kb(proc.pid)
    finally:
        stop(proc)
        if args.stderr:
            err.close()
    if status is not None and 200 <= status < 300:
        return f"ms={elapsed:.1f} hwm_kb={memory}"
    return f"failed={why} ms={elapsed:.1f} hwm_kb={memory}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--stderr", help="keep the process's stderr in this file")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    for _ in range(args.runs):
        print("COLD", run_once(args), flush=True)


if __name__ == "__main__":
    sys.exit(main())
