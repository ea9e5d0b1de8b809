#!/usr/bin/env bash
#
# test/reliability/run_all.sh: the reliability suites, one after another:
#
#     faults.sh    fault injection: a failed statement leaves schema and history as before
#     badinput.sh  a corpus of malformed and hostile inputs: errors or findings, never a crash
#
# The crash and standby suites are TAP tests on PostgreSQL::Test::Cluster:
# t/001_crash.pl (SIGKILL of the applying backend) and t/002_standby.pl (a
# streaming standby and a dump/restore), run by test/tap.sh.
#
# FAST=1 runs the fast subset (faults 15 runs, a smaller bad input corpus;
# target: under 4 minutes on 2 cores).  faults.sh needs a server: the one the
# PG* variables name when it answers, else a throwaway one from
# pg_virtualenv -t -v 15.  badinput.sh starts its own cluster.  Sums the
# "N passed, M failed" lines; a suite that exits non-zero without reporting a
# failure, or prints no such line, counts as one failure.  Prints
# "N passed, M failed" last; exits non-zero on any failure.

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
PGVER=${PGVER:-$(sed -n 's/^PGVER=\${PGVER:-\([0-9]*\)}$/\1/p' "$DIR/../../scripts/lib.sh")}
OUT=$(mktemp "${TMPDIR:-/tmp}/am_rel_all.XXXXXX")
trap 'rm -f "$OUT"' EXIT

total_pass=0
total_fail=0
summary=""
for t in faults badinput; do
	echo "=== $t.sh"
	start=$(date +%s)
	if [ "$t" = faults ] && ! psql -X -q -At -c "SELECT 1" >/dev/null 2>&1; then
		pg_virtualenv -t -v "$PGVER" bash "$DIR/$t.sh" 2>&1 | sed '/^\*\*\* .*log/,$d' | tee "$OUT"
	else
		bash "$DIR/$t.sh" 2>&1 | tee "$OUT"
	fi
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$OUT" | tail -n 1)
	if [ -n "$last" ]; then
		p=${last%% passed*}
		f=$(printf '%s\n' "$last" | sed 's/.*passed, \([0-9]*\) failed/\1/')
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok: $t.sh exited $rc but reported no failure"
			f=1
		fi
	else
		echo "not ok: $t.sh printed no \"N passed, M failed\" line (exit $rc)"
		p=0
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary="$summary
   $t.sh: $p passed, $f failed, ${secs} s"
done

echo "=== summary (FAST=${FAST:-0})$summary"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
