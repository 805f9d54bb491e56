#!/usr/bin/env python3
"""Tables for benches/compare.sh.

    report.py table RESULTS.tsv   markdown: medians, ratios, targets, per-round numbers
    report.py steps REPLAY.json   total step count of a `mimeo replay --json` report
"""

import json
import os
import statistics
import sys
from collections import defaultdict

SERVERS = ["prism", "mimeo", "mimeo-quiet", "mimeo-stateful", "bare-hyper"]

# (metric, label, decimals, lower is better)
ROWS = [
    ("rps", "throughput, mixed requests (req/s)", 0, False),
    ("p50_ms", "latency p50 (ms)", 3, True),
    ("p99_ms", "latency p99 (ms)", 3, True),
    ("cpu_us_per_req", "server CPU per request (µs)", 2, True),
    ("ir_per_req", "instructions per request (callgrind)", 0, True),
    ("rss_mb", "peak RSS under load (MB)", 1, True),
    ("cold_ms", "cold start to first 200 (ms)", 1, True),
    ("cold_rss_mb", "RSS at first 200 (MB)", 1, True),
    ("bigdoc_ms", "large document: start-up to first 200 (ms)", 0, True),
    ("bigdoc_rss_mb", "large document: RSS at first 200 (MB)", 1, True),
    ("replay_steps_per_s", "`mimeo replay`: steps per second", 0, False),
]


def load(path):
    samples = defaultdict(list)  # (server, metric) -> [values]
    fails = defaultdict(list)
    rounds = defaultdict(dict)  # (server, metric) -> {round: value}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            rnd, server, metric, value = parts
            if value.startswith("fail"):
                fails[(server, metric.removesuffix("_ms") + "_ms")].append(value[5:] or "failed")
                continue
            try:
                v = float(value)
            except ValueError:
                continue
            samples[(server, metric)].append(v)
            rounds[(server, metric)].setdefault(rnd, []).append(v)
    return samples, fails, rounds


def med(samples, key):
    values = samples.get(key)
    return statistics.median(values) if values else None


def fmt(v, decimals):
    if v is None:
        return "–"
    return f"{v:,.{decimals}f}"


def ratio(a, b, lower_better):
    if a is None or b is None or b == 0:
        return "–"
    r = a / b
    return f"{r:.3g}x"


LOAD_METRICS = {"rps", "p50_ms", "p99_ms", "cpu_us_per_req", "rss_mb", "unexpected", "errors"}


def clean_rounds(rounds, servers, threshold):
    """Rounds in which every server kept at least `threshold` of its core busy."""
    measured = sorted({r for s in servers for r in rounds.get((s, "rps"), {})}, key=int)
    loaded = [s for s in servers if rounds.get((s, "rps"))]
    return measured, [
        r
        for r in measured
        if all(rounds.get((s, "core_share"), {}).get(r, [0])[0] >= threshold for s in loaded)
    ]


def table(path):
    samples, fails, rounds = load(path)
    servers = [s for s in SERVERS if any(k[0] == s for k in list(samples) + list(fails))]
    threshold = float(os.environ.get("CLEAN_SHARE", "0.85"))
    measured, clean = clean_rounds(rounds, servers, threshold)
    out = []
    out.append("## Medians")
    out.append("")
    if clean:
        for (s, m), by_round in rounds.items():
            if m in LOAD_METRICS and m not in ("unexpected", "errors"):
                samples[(s, m)] = [v for r, vs in by_round.items() if r in clean for v in vs]
        disturbed = [r for r in measured if r not in clean]
        out.append(
            f"Load rows: medians over the clean rounds ({', '.join(clean)} of {len(measured)}: every server "
            f"kept at least {threshold:g} of its core busy)"
            + (f"; rounds {', '.join(disturbed)} were disturbed by other work on the machine." if disturbed else ".")
        )
    elif measured:
        out.append(
            f"**No round was clean** (no round in which every server kept {threshold:g} of its core busy): "
            "the load rows are medians over all rounds, disturbed by other work on the machine; "
            "trust the CPU-per-request and instruction rows more than requests per second."
        )
    out.append("")
    head = ["", *servers, "mimeo / prism", "mimeo / bare-hyper"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for metric, label, dec, lower in ROWS:
        if not any((s, metric) in samples or (s, metric) in fails for s in servers):
            continue
        cells = [label]
        for s in servers:
            v = med(samples, (s, metric))
            cell = fmt(v, dec)
            if v is None and fails.get((s, metric)):
                cell = "failed: " + ", ".join(sorted(set(fails[(s, metric)])))
            cells.append(cell)
        m = med(samples, ("mimeo", metric))
        cells.append(ratio(m, med(samples, ("prism", metric)), lower))
        cells.append(ratio(m, med(samples, ("bare-hyper", metric)), lower))
        out.append("| " + " | ".join(cells) + " |")
    # Correctness of the answers: totals over all rounds.
    for metric, label in [("unexpected", "wrong statuses (all rounds)"), ("errors", "socket errors + timeouts (all rounds)")]:
        cells = [label]
        for s in servers:
            v = samples.get((s, metric))
            cells.append(fmt(sum(v), 0) if v else "–")
        out.append("| " + " | ".join(cells + ["", ""]) + " |")
    out.append("")

    # Targets, from the same run.
    def get(s, m):
        return med(samples, (s, m))

    mimeo_rps, prism_rps, bare_rps = get("mimeo", "rps"), get("prism", "rps"), get("bare-hyper", "rps")
    targets = [
        ("throughput >= 100x Prism's", mimeo_rps / prism_rps if mimeo_rps and prism_rps else None, "x", lambda r: r >= 100),
        ("throughput >= 0.7x bare hyper's", mimeo_rps / bare_rps if mimeo_rps and bare_rps else None, "x", lambda r: r >= 0.7),
        (f"p99 < 1 ms at the run's connections", get("mimeo", "p99_ms"), " ms", lambda v: v < 1.0),
        ("cold start < 50 ms (embedded contract)", get("mimeo", "cold_ms"), " ms", lambda v: v < 50),
        ("cold start < 2 s (large document)", get("mimeo", "bigdoc_ms"), " ms", lambda v: v < 2000),
        ("peak RSS < 30 MB under load", get("mimeo", "rss_mb"), " MB", lambda v: v < 30),
        ("`mimeo replay` >= 2,000 steps/s", get("mimeo", "replay_steps_per_s"), " steps/s", lambda v: v >= 2000),
    ]
    out.append("## Targets (mimeo with its default per-request log)")
    out.append("")
    out.append("| target | measured | |")
    out.append("|---|---|---|")
    for i, (name, value, unit, ok) in enumerate(targets):
        if value is None:
            out.append(f"| {name} | not measured | – |")
        else:
            shown = f"{value:.3g}" if unit == "x" else f"{value:,.3f}".rstrip("0").rstrip(".")
            verdict = "met" if ok(value) else "**missed**"
            if i == 0 and not ok(value) and bare_rps and prism_rps and bare_rps / prism_rps < 100:
                verdict += (
                    f" (out of reach on this machine: the bare hyper ceiling itself is "
                    f"{bare_rps / prism_rps:.3g}x Prism)"
                )
            if i < 3 and measured and not clean:
                verdict += " (no clean round: not conclusive)"
            out.append(f"| {name} | {shown}{unit} | {verdict} |")
    stateful_rps, stateful_p99 = get("mimeo-stateful", "rps"), get("mimeo-stateful", "p99_ms")
    for name, value, unit, ok in [
        ("stateful mix >= 0.6x bare hyper's", stateful_rps / bare_rps if stateful_rps and bare_rps else None, "x", lambda r: r >= 0.6),
        ("stateful mix p99 < 2 ms", stateful_p99, " ms", lambda v: v < 2.0),
    ]:
        if value is None:
            out.append(f"| {name} | not measured | – |")
        else:
            shown = f"{value:.3g}" if unit == "x" else f"{value:,.3f}".rstrip("0").rstrip(".")
            out.append(f"| {name} | {shown}{unit} | {'met' if ok(value) else '**missed**'} |")
    quiet_rps = get("mimeo-quiet", "rps")
    if quiet_rps and prism_rps and bare_rps:
        out.append(
            f"| (same with `--quiet`: {quiet_rps / prism_rps:.3g}x Prism, {quiet_rps / bare_rps:.3g}x bare hyper, "
            f"p99 {get('mimeo-quiet', 'p99_ms'):.3f} ms) | | |"
        )
    if bare_rps and prism_rps:
        out.append(f"| (ceiling: bare hyper / Prism) | {bare_rps / prism_rps:.3g}x | |")
    cpu = {s: get(s, "cpu_us_per_req") for s in SERVERS}
    if cpu["mimeo"] and cpu["prism"] and cpu["bare-hyper"]:
        out.append(
            f"| (by server CPU per request: mimeo does {cpu['prism'] / cpu['mimeo']:.3g}x Prism's work per "
            f"CPU-second, {cpu['bare-hyper'] / cpu['mimeo']:.3g}x bare hyper's; bare hyper / Prism "
            f"{cpu['prism'] / cpu['bare-hyper']:.3g}x) | | |"
        )
    out.append("")

    # Per round, to show the noise.
    out.append("## Per round (throughput req/s; p99 ms; share of its core the server used)")
    out.append("")
    nrounds = measured
    out.append(
        "| server | "
        + " | ".join(f"round {r}{' (clean)' if r in clean else ''}" for r in nrounds)
        + " |"
    )
    out.append("|---|" + "---|" * len(nrounds))
    for s in servers:
        cells = [s]
        for r in nrounds:
            rps = rounds.get((s, "rps"), {}).get(r)
            p99 = rounds.get((s, "p99_ms"), {}).get(r)
            share = rounds.get((s, "core_share"), {}).get(r)
            cell = f"{rps[0]:,.0f}; {p99[0]:.2f}" if rps and p99 else "–"
            if share:
                cell += f"; {share[0]:.2f}"
            cells.append(cell)
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    print("\n".join(out))


def count_steps(v):
    """A total step count: an integer field named like steps/total_steps, else the
    summed length of every `steps` list."""
    if isinstance(v, dict):
        for key in ("total_steps", "steps_total", "step_count", "steps_run"):
            if isinstance(v.get(key), int):
                return v[key]
        for key in ("totals", "summary", "total"):
            if isinstance(v.get(key), dict):
                n = count_steps_field(v[key])
                if n:
                    return n
        if isinstance(v.get("steps"), int):
            return v["steps"]
    return count_lists(v)


def count_steps_field(d):
    for key, value in d.items():
        if "step" in key and isinstance(value, int):
            return value
    return 0


def count_lists(v):
    if isinstance(v, dict):
        n = len(v["steps"]) if isinstance(v.get("steps"), list) else 0
        return n + sum(count_lists(x) for k, x in v.items() if k != "steps")
    if isinstance(v, list):
        return sum(count_lists(x) for x in v)
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("table", "steps"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        with open(sys.argv[2]) as f:
            print(count_steps(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
