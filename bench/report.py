#!/usr/bin/env python3
"""report.py META RAW: the Markdown report of a bench/run.sh run, on stdout.

META holds key<TAB>value lines (and contender<TAB>letter<TAB>id<TAB>label);
RAW holds n, run, contender, metric, ms.  Ratios are computed per run
(both contenders timed in the same run, in the same cluster) and the
median of those per-run ratios is what is judged against the targets.

Only the Python 3 standard library is used.
"""

import collections
import statistics
import sys

FLOOR = "b"            # the letter every contender is compared with
TARGET_NS = (1000, 3000)   # the ratio targets apply at each of these N
NOOP_N = 3000          # the no-op target applies with this many applied
GROWTH = (100, 3000)   # per-migration cost at GROWTH[1] against GROWTH[0]
GROWTH_LIMIT = 1.15
# (letter, metric) -> (limit, description); time ratios against the floor
RATIO_TARGETS = {
    "c": (0.95, "c/b: apply() against the psql floor"),
    "d": (1.03, "d/b: migrate() against the psql floor"),
}
NOOP_TARGET_MS = 2.0   # no-op apply(), server-side, per call
# against the peer tools (contenders declared with kind "peer"): at every N,
# these letters must be faster than every peer, applying and as a no-op
AURA = [("c", "`apply()`"), ("d", "`migrate()`")]

EXTRA_LABELS = [
    ("noop_apply_srv_txn", "no-op `apply()`, server-side, per call, each call its own transaction (DO loop, COMMIT after each, 100 calls)"),
    ("noop_apply_srv_1txn", "no-op `apply()`, server-side, per call, 100 calls in one transaction"),
    ("noop_apply_srv_first", "no-op `apply()`, server-side, first call in a new backend (library load, cold caches)"),
    ("status_srv", "`SELECT count(*) FROM status()`, server-side, per call (100 calls, each its own transaction)"),
    ("status_proc", "`psql -c 'SELECT * FROM aura_migrate.status()'`, whole process"),
]


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if abs(v) < 10 and digits < 3:
        digits = 2 if abs(v) >= 1 else 3
    return "%.*f" % (digits, v)


def median(vals):
    return statistics.median(vals) if vals else None


def main(argv):
    meta = collections.OrderedDict()
    contenders = []          # (letter, id, label)
    peers = []               # letters of the peer tools
    unavailable = []         # (letter, id, label, reason)
    with open(argv[1], encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "contender":
                contenders.append((parts[1], parts[2], parts[3]))
                if len(parts) > 4 and parts[4] == "peer":
                    peers.append(parts[1])
            elif parts[0] == "unavailable" and len(parts) >= 5:
                unavailable.append(tuple(parts[1:5]))
            elif len(parts) >= 2:
                meta[parts[0]] = parts[1]
    letter = {cid: l for l, cid, _ in contenders}
    byletter = {l: cid for l, cid, _ in contenders}

    # data[n][metric][letter][run] = ms
    data = collections.defaultdict(lambda: collections.defaultdict(
        lambda: collections.defaultdict(dict)))
    with open(argv[2], encoding="utf-8") as f:
        next(f)
        for line in f:
            n, run, cid, metric, ms = line.rstrip("\n").split("\t")
            data[int(n)][metric][letter.get(cid, cid)][int(run)] = float(ms)

    out = []
    w = out.append
    w("# aura_migrate benchmark results")
    w("")
    w("Written by `bash bench/run.sh` (see `bench/README.md`); every number below comes from "
      "that one run, on one throwaway cluster, with the contenders alternated within each run "
      "(each run starts with the next contender) and each contender on a fresh database. "
      "Times are whole-process wall-clock times of the timed command (`psql`, or the peer "
      "tool's own command) unless marked server-side. Ratios are computed per run, from contenders timed in the same run, and "
      "the median of the per-run ratios is judged against the target.")
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("|---|---|")
    for key, label in [("date", "date"), ("host", "kernel"), ("cpu", "CPU model"),
                       ("nproc", "nproc"), ("ram", "RAM"), ("disk", "work directory filesystem"),
                       ("postgres", "PostgreSQL"), ("settings", "server settings (initdb defaults, but max_locks_per_transaction = 256: one transaction creating 3,000 tables holds about 15,000 relation locks)"),
                       ("extension", "extension"), ("commit", "engine commit"),
                       ("engine", "engine build"),
                       ("load_start", "load average at start (1, 5, 15 min)"),
                       ("load_end", "load average at end (1, 5, 15 min)"),
                       ("cpu_pressure", "CPU pressure at end (/proc/pressure/cpu)"),
                       ("tools", "timing"), ("runs", "runs per N"),
                       ("noop_reps", "repetitions per whole-process no-op timing (median)"),
                       ("elapsed", "duration")]:
        if key in meta:
            w("| %s | %s |" % (label, meta[key].replace("|", "\\|")))
    w("")
    if "engine_note" in meta:
        w("Note: %s." % meta["engine_note"])
        w("")
    if "engine_changed" in meta:
        w("**Warning: %s.**" % meta["engine_changed"])
        w("")
    try:
        load = max(float(meta.get(k, "0").split()[0]) for k in ("load_start", "load_end"))
    except ValueError:
        load = 0.0
    if load > 0.5:
        w("**Note:** the machine was not idle (load average up to %.2f on %s CPUs): other "
          "processes shared it during the run, which adds noise to every number. Contenders "
          "were alternated within each run, so the per-run ratios are less affected than the "
          "absolute times." % (load, meta.get("nproc", "?")))
        w("")
    w("## Contenders")
    w("")
    for l, cid, label in contenders:
        w("- **%s** (`%s`)%s: %s" % (l, cid, ", peer" if l in peers else "",
                                     label.replace("|", "\\|")))
    for l, cid, label, reason in unavailable:
        w("- **%s** (`%s`): **not available, not measured**: %s (%s)" % (
            l, cid, reason.replace("|", "\\|"), label.replace("|", "\\|")))
    w("")
    w("Each contender runs the same generated migrations (`bench/gen_migrations.py`: per migration "
      "CREATE TABLE with a uuid key defaulting to gen_random_uuid(), user_id, a bytea payload with a "
      "CHECK, created_at; COMMENT; an index on (user_id, created_at); ENABLE ROW LEVEL SECURITY; an "
      "owner policy on `request.jwt.claim.sub`). Set-up is not timed: creating the database, the "
      "history table of b, and for c and d `CREATE EXTENSION`, removing the bundled Aura migrations "
      "and registering the N migrations with `register_file()`. A `CHECKPOINT` precedes every "
      "timed step; after it the result is verified (N tables with RLS, N policies, N indexes, "
      "N history rows).")
    if peers:
        w("")
        w("The peers apply the same SQL from files in their own layout (`bench/peers/layouts.py`: "
          "one file per migration, with the tool's markers or headers, written once per N, "
          "untimed), read them from disk and record them in their own history table inside the "
          "timed run, which on the fresh database includes creating that table (aura_migrate's "
          "history exists from `CREATE EXTENSION`, in set-up; its migrations are registered in "
          "set-up). A no-op run of a peer is the same command again with everything applied.")
    w("")

    # ---- targets summary
    verdicts = []
    for tn in TARGET_NS:
        if tn not in data:
            continue
        d = data[tn]
        for l, (limit, desc) in RATIO_TARGETS.items():
            ratios = per_run_ratios(d["time"], l, FLOOR)
            m = median(ratios)
            verdicts.append(("%s, N = %s" % (desc, format(tn, ",")),
                             fmt(m, 3) if m is not None else "not measured",
                             "<= %.2f" % limit,
                             "PASS" if m is not None and m <= limit else "MISS"))
    noop_n = NOOP_N if NOOP_N in data else (max(data) if data else None)
    if noop_n is not None:
        noop = median(list(data[noop_n]["noop_apply_srv_txn"].get("c", {}).values()))
        verdicts.append(("no-op `apply()` server-side, per call (own transaction), %s applied" % format(noop_n, ","),
                         (fmt(noop, 3) + " ms") if noop is not None else "not measured",
                         "< %.0f ms" % NOOP_TARGET_MS,
                         "PASS" if noop is not None and noop < NOOP_TARGET_MS else "MISS"))
    lo, hi = GROWTH
    growth = {}
    if lo in data and hi in data:
        for l, label in AURA + [(FLOOR, "the floor")]:
            a = median(list(data[lo]["time"].get(l, {}).values()))
            b = median(list(data[hi]["time"].get(l, {}).values()))
            if a and b:
                growth[l] = (b / hi) / (a / lo)
        for l, label in AURA:
            if l in growth:
                verdicts.append(("per-migration cost of %s at N = %s against N = %s" % (label, format(hi, ","), format(lo, ",")),
                                 fmt(growth[l], 3), "<= %.2f" % GROWTH_LIMIT,
                                 "PASS" if growth[l] <= GROWTH_LIMIT else "MISS"))
    w("## Targets (N = %s)" % ", ".join(format(n, ",") for n in TARGET_NS))
    w("")
    if verdicts:
        w("| target | measured (median) | limit | result |")
        w("|---|---:|---:|---|")
        for v in verdicts:
            w("| %s | %s | %s | **%s** |" % v)
        misses = [v[0] for v in verdicts if v[3] == "MISS"]
        w("")
        if misses:
            w("**Missed:** %s. These are the measured numbers; nothing was tuned to meet the "
              "targets." % "; ".join(misses))
        else:
            w("All targets met in this run.")
        if FLOOR in growth:
            w("")
            w("For reference, the floor's own per-migration cost at N = %s is %s times that at N = %s "
              "(PostgreSQL's work per table grows too)." % (format(hi, ","), fmt(growth[FLOOR], 3), format(lo, ",")))
    else:
        w("None of N = %s was part of this run; no target was judged." %
          ", ".join(format(n, ",") for n in TARGET_NS))
    w("")
    peer_targets(w, data, contenders, peers, unavailable)

    for n in sorted(data):
        d = data[n]
        times = d["time"]
        runs = sorted({r for l in times for r in times[l]})
        w("## N = %s" % format(n, ","))
        w("")
        w("### Applying %s migrations (whole process, %d runs)" % (format(n, ","), len(runs)))
        w("")
        w("| | contender | median ms | ms per migration | min ms | max ms | vs %s (median of per-run ratios) | vs %s (ratio of medians) |" % (FLOOR, FLOOR))
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        floor_med = median(list(times.get(FLOOR, {}).values()))
        for l, cid, label in contenders:
            vals = list(times.get(l, {}).values())
            if not vals:
                continue
            med = median(vals)
            ratio = median(per_run_ratios(times, l, FLOOR))
            target = ""
            if n in TARGET_NS and l in RATIO_TARGETS:
                limit = RATIO_TARGETS[l][0]
                target = " (target <= %.2f: **%s**)" % (limit, "PASS" if ratio is not None and ratio <= limit else "MISS")
            w("| %s | `%s` | %s | %s | %s | %s | %s%s | %s |" % (
                l, cid, fmt(med), fmt(med / n, 3), fmt(min(vals)), fmt(max(vals)),
                fmt(ratio, 3), target,
                fmt(med / floor_med, 3) if floor_med else "n/a"))
        w("")
        w("### With %s migrations applied" % format(n, ","))
        w("")
        w("| measurement | median ms | runs |")
        w("|---|---:|---:|")
        for l, cid, label in contenders:
            vals = list(d["noop_proc"].get(l, {}).values())
            if vals:
                w("| no-op run of %s (`%s`), whole process | %s | %d |" % (l, cid, fmt(median(vals), 2), len(vals)))
        vals = list(d["select1_proc"].get("baseline", {}).values())
        if vals:
            w("| reference: `psql -c 'SELECT 1'`, whole process (process start and connection on this machine) | %s | %d |" % (fmt(median(vals), 2), len(vals)))
        for metric, label in EXTRA_LABELS:
            for l in sorted(d[metric]):
                vals = list(d[metric][l].values())
                extra = ""
                if metric == "noop_apply_srv_txn" and n == NOOP_N:
                    extra = " (target < %.0f ms: **%s**)" % (NOOP_TARGET_MS, "PASS" if median(vals) < NOOP_TARGET_MS else "MISS")
                w("| %s | %s%s | %d |" % (label, fmt(median(vals), 3), extra, len(vals)))
        w("")
        w("### Every run (ms)")
        w("")
        letters = [l for l, _, _ in contenders if l in times]
        others = [l for l in letters if l != FLOOR]
        w("| run | " + " | ".join(letters) + " | " + " | ".join("%s/%s" % (l, FLOOR) for l in others) + " |")
        w("|---:|" + "---:|" * (len(letters) + len(others)))
        for r in runs:
            cells = [fmt(times[l].get(r)) for l in letters]
            b = times.get(FLOOR, {}).get(r)
            cells += [fmt(times[l][r] / b, 3) if b and r in times[l] else "n/a" for l in others]
            w("| %d | %s |" % (r, " | ".join(cells)))
        w("")

    sys.stdout.write("\n".join(out))
    return 0


def peer_targets(w, data, contenders, peers, unavailable):
    """aura_migrate against every peer, at every N: applying (c and d), and as
    a no-op (whole process): the median of the per-run ratios must be < 1."""
    w("## Targets against the peers (every N)")
    w("")
    if not peers:
        w("No peer tool was measured in this run%s." % (
            " (" + ", ".join("%s: %s" % (u[1], u[3]) for u in unavailable) + ")" if unavailable else ""))
        w("")
        return
    name = {l: cid for l, cid, _ in contenders}
    w("Target: `apply()` (c) and `migrate()` (d) faster than every peer at every N, and their "
      "no-op runs faster than every peer's no-op run. Judged on the median of the per-run "
      "ratios aura/peer (both timed in the same run), whole-process times; a ratio below 1 "
      "means aura_migrate was faster.")
    w("")
    w("| N | what | peer | aura ms (median) | peer ms (median) | aura/peer (median of per-run ratios) | result |")
    w("|---:|---|---|---:|---:|---:|---|")
    verdicts = []
    for n in sorted(data):
        d = data[n]
        for metric, what in (("time", "applying"), ("noop_proc", "no-op run")):
            for l, lname in AURA:
                for p in peers:
                    a = d[metric].get(l, {})
                    b = d[metric].get(p, {})
                    if not a or not b:
                        continue
                    m = median(per_run_ratios(d[metric], l, p))
                    ok = m is not None and m < 1.0
                    verdicts.append(ok)
                    w("| %s | %s %s | %s (`%s`) | %s | %s | %s | **%s** |" % (
                        format(n, ","), lname, what, p, name[p],
                        fmt(median(list(a.values()))), fmt(median(list(b.values()))),
                        fmt(m, 3), "PASS" if ok else "MISS"))
    w("")
    if verdicts:
        w("%d of %d comparisons PASS%s." % (
            sum(verdicts), len(verdicts),
            "" if all(verdicts) else "; the MISS rows are the measured numbers, nothing was tuned to meet them"))
    if unavailable:
        w("")
        w("Not measured: %s." % "; ".join("%s (`%s`): %s" % (u[0], u[1], u[3]) for u in unavailable))
    w("")


def per_run_ratios(times, l, floor):
    """times[l][run] / times[floor][run] for the runs where both were timed."""
    a, b = times.get(l, {}), times.get(floor, {})
    return [a[r] / b[r] for r in sorted(a) if r in b and b[r] > 0]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
