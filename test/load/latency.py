#!/usr/bin/env python3
"""test/load/latency.py: per-transaction latencies from pgbench --log files.

usage: latency.py WARMUP_END_EPOCH NAME:START:END [NAME:START:END ...] -- LOGFILE...

A pgbench log line (no --rate, no retries) is
    client_id transaction_no latency_us script_no epoch_s epoch_us
where epoch_s.epoch_us is when the transaction ended; it started latency_us
earlier.  A transaction belongs to a window when it overlaps it (it started
before the window ended and ended after the window started): a request that was
blocked by the migration's lock is counted even if it began before.  "outside"
is every transaction after the warm-up that overlaps no window.  Prints one
tab-separated line per window and script ("all" = every script): name, script,
count, p50_ms, p99_ms, max_ms, and for the max the start and end offsets
from the window start.
"""
import sys


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    warm = float(args[0])
    windows = []
    for w in args[1:sep]:
        name, s, e = w.split(":")
        windows.append((name, float(s), float(e)))
    txs = []  # (start, end, latency_ms, script)
    failed = 0
    for path in args[sep + 1:]:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) < 6:
                    continue
                if p[2] in ("failed", "skipped"):
                    failed += 1
                    continue
                lat = int(p[2]) / 1000.0
                end = int(p[4]) + int(p[5]) / 1e6
                txs.append((end - lat / 1000.0, end, lat, p[3]))
    scripts = sorted({t[3] for t in txs})
    print(f"failed_in_log\t{failed}")
    groups = {}
    for name, ws, we in windows:
        groups[name] = ([t for t in txs if t[0] <= we and t[1] >= ws], ws, we)
    outside = [t for t in txs if t[0] >= warm and
               not any(t[0] <= we and t[1] >= ws for _, ws, we in windows)]
    if outside:
        groups["outside"] = (outside, min(t[0] for t in outside), max(t[1] for t in outside))
    else:
        groups["outside"] = ([], 0, 0)
    for name, (g, ws, we) in groups.items():
        for sc in ["all"] + scripts:
            sel = g if sc == "all" else [t for t in g if t[3] == sc]
            lats = sorted(t[2] for t in sel)
            if sel:
                worst = max(sel, key=lambda t: t[2])
                off = f"{worst[0] - ws:+.3f}\t{worst[1] - ws:+.3f}"
            else:
                off = "\t"
            print(f"{name}\t{sc}\t{len(sel)}\t{pct(lats, 50):.3f}\t{pct(lats, 99):.3f}\t"
                  f"{(lats[-1] if lats else float('nan')):.3f}\t{off}")


if __name__ == "__main__":
    main()
