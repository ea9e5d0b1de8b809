#!/usr/bin/env bash
# bench/run.sh [N...]: time applying N generated migrations (default: 100,
# 1000 and 3000) with every contender in bench/contenders/, on one fresh
# throwaway cluster, alternating the contenders, each on a fresh database;
# write the medians and the ratios to bench/results.md.
#
# Environment:
#   RUNS=k         runs per N (default: 5; a discarded warm-up run comes first)
#   NOOP_REPS=k    repetitions of each whole-process no-op timing (default 10)
#   CONTENDERS="a b ..."  only these contender ids (default: all)
#   OUT=file       where to write the report (default bench/results.md)
#   KEEP=1         keep the work directory (cluster, scripts, raw data)
#
# Needs: PostgreSQL 15 server binaries, aura_migrate installed
# (make && make install), python3.  See bench/README.md.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
PGVER=${PGVER:-$(sed -n 's/^PGVER=\${PGVER:-\([0-9]*\)}$/\1/p' "$(dirname "$0")/../scripts/lib.sh")}
PGBIN=${PGBIN:-/usr/lib/postgresql/$PGVER/bin}
NS=${*:-100 1000 3000}
RUNS=${RUNS:-5}
BENCH_NOOP_REPS=${NOOP_REPS:-10}
OUT=${OUT:-$BENCH/results.md}
PORT=${BENCH_PORT:-55439}

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

for n in $NS; do
	[[ $n =~ ^[0-9]+$ && $n -ge 1 ]] || die "N must be a positive integer, not '$n'"
done
[ -x "$PGBIN/initdb" ] || die "no PostgreSQL $PGVER server binaries in $PGBIN"
command -v python3 >/dev/null || die "python3 is needed"
SHAREDIR=$("$PGBIN/pg_config" --sharedir 2>/dev/null || pg_config --sharedir)
[ -f "$SHAREDIR/extension/aura_migrate.control" ] ||
	die "aura_migrate is not installed: run make && make install (as root) first"

# ---------------------------------------------------------------- cluster --
WORK=$(mktemp -d /tmp/aura_bench.XXXXXX)
chmod 755 "$WORK"

# Freeze the engine: copy the PostgreSQL installation with aura_migrate as
# installed now (about 50 MB) and run the cluster from the copy.  PostgreSQL
# finds its share and lib directories relative to its binaries, so a
# `make install` during the run (the engine is being worked on) cannot mix
# two builds into one set of numbers.  SNAPSHOT=0 uses the installation
# in place.
SYS_PGBIN=$PGBIN
if [ "${SNAPSHOT:-1}" = 1 ]; then
	SYS_LIB=$("$PGBIN/pg_config" --pkglibdir)
	SYS_SHARE=$SHAREDIR
	mkdir -p "$WORK/pg$(dirname "$SYS_LIB")" "$WORK/pg$(dirname "$SYS_SHARE")"
	cp -a "$(dirname "$PGBIN")/." "$WORK/pg$(dirname "$PGBIN")/"
	[ -d "$WORK/pg$SYS_LIB" ] || cp -a "$SYS_LIB" "$WORK/pg$SYS_LIB"
	cp -a "$SYS_SHARE" "$WORK/pg$(dirname "$SYS_SHARE")/"
	PGBIN="$WORK/pg$PGBIN"
	SHAREDIR=$("$PGBIN/pg_config" --sharedir)
	[ "$SHAREDIR" = "$WORK/pg$SYS_SHARE" ] || die "the copied PostgreSQL does not find its share directory ($SHAREDIR)"
fi
mkdir -p "$WORK/data" "$WORK/sock"
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$WORK/data" "$WORK/sock"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

cleanup() {
	local rc=$?
	as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true
	if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
		say "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

say "creating a throwaway PostgreSQL $PGVER cluster in $WORK/data"
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/data/server.log" -w \
	-o "-c listen_addresses='' -c unix_socket_directories='$WORK/sock' -p $PORT -c max_locks_per_transaction=256" start >/dev/null

export PGHOST="$WORK/sock" PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1"
[ -x "$PGBIN/psql" ] || PSQL="psql -X -q -v ON_ERROR_STOP=1"
BENCH_LOG="$WORK/bench.log"
export PSQL BENCH_LOG BENCH_NOOP_REPS
: >"$BENCH_LOG"

# the engine loads and answers before anything is timed
# (three tries, 20 s apart: a build may be in the middle of installing)
for try in 1 2 3; do
	$PSQL -c "CREATE DATABASE bench_preflight"
	if $PSQL -d bench_preflight -c "CREATE EXTENSION aura_migrate" \
		-c "SELECT count(*) FROM aura_migrate.status()" >/dev/null 2>"$WORK/preflight.err"; then
		$PSQL -c "DROP DATABASE bench_preflight"
		break
	fi
	$PSQL -c "DROP DATABASE bench_preflight"
	[ $try -lt 3 ] || die "the installed aura_migrate does not work: $(head -3 "$WORK/preflight.err")"
	say "the installed aura_migrate does not work yet, retrying in 20 s: $(head -1 "$WORK/preflight.err")"
	sleep 20
done

# --------------------------------------------------------------- helpers --
# bench_time CMD...: run CMD, print its wall-clock time in milliseconds
bench_time() {
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}

# bench_median_of K CMD...: run CMD K times, print the median time in ms
bench_median_of() {
	local k=$1 i
	shift
	"$@" >/dev/null # warm the caches once, untimed
	for ((i = 0; i < k; i++)); do bench_time "$@"; done | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_expect DB SQL VALUE: fail unless SQL returns VALUE in DB
bench_expect() {
	local got
	got=$($PSQL -d "$1" -At -c "$2")
	[ "$got" = "$3" ] || { say "check failed in $1: $2 returned '$got', expected '$3'"; return 1; }
}

# bench_expect_tables DB: the N tables, indexes and policies are there
bench_expect_tables() {
	bench_expect "$1" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity AND c.relname <> 'bench_history'" "$BENCH_N" &&
	bench_expect "$1" "SELECT count(*) FROM pg_policies WHERE schemaname = 'public'" "$BENCH_N" &&
	bench_expect "$1" "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%_user_created_idx'" "$BENCH_N"
}

# contender ID LETTER LABEL [peer]: declare a contender (called by
# bench/contenders/*.sh); "peer" marks another migration tool, which
# report.py judges aura_migrate against
CONTENDER_IDS=()
declare -A CONTENDER_LETTER CONTENDER_LABEL CONTENDER_KIND
contender() {
	CONTENDER_IDS+=("$1")
	CONTENDER_LETTER[$1]=$2
	CONTENDER_LABEL[$1]=$3
	CONTENDER_KIND[$1]=${4:-}
}
# contender_unavailable ID LETTER LABEL REASON: a contender that cannot run
# here (e.g. a peer tool that is not installed); listed in results.md as
# not measured, with the reason
UNAVAILABLE=()
contender_unavailable() {
	UNAVAILABLE+=("$2"$'\t'"$1"$'\t'"$3"$'\t'"$4")
	say "contender $2 ($1) not available: $4"
}

for f in "$BENCH"/contenders/*.sh; do
	# shellcheck source=/dev/null
	. "$f"
done
if [ -n "${CONTENDERS:-}" ]; then
	sel=()
	for id in "${CONTENDER_IDS[@]}"; do
		for want in $CONTENDERS; do
			[ "$want" = "$id" ] || [ "$want" = "${CONTENDER_LETTER[$id]}" ] && sel+=("$id")
		done
	done
	CONTENDER_IDS=("${sel[@]}")
fi
[ ${#CONTENDER_IDS[@]} -gt 0 ] || die "no contender selected"

bench_select1() { $PSQL -c "SELECT 1" >/dev/null; }

have() { declare -F "$1" >/dev/null; }

RAW="$WORK/raw.tsv"
printf 'n\trun\tcontender\tmetric\tms\n' >"$RAW"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# the installed engine, to notice a reinstall during the run
engine_fingerprint() {	# BINDIR: md5 of the engine as installed there
	local bin=$1
	cat "$("$bin/pg_config" --pkglibdir)/aura_migrate.so" \
		"$("$bin/pg_config" --sharedir)"/extension/aura_migrate--*.sql 2>/dev/null | md5sum | cut -c1-12
}
ENGINE_AT_START=$(engine_fingerprint "$PGBIN")
# ----------------------------------------------------------- description --
META="$WORK/meta.tsv"
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'host\t%s\n' "$(uname -srm)"
	printf 'cpu\t%s\n' "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
	printf 'nproc\t%s\n' "$(nproc)"
	printf 'ram\t%s\n' "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	printf 'disk\t%s\n' "$(df -hT "$WORK" | awk 'NR == 2 { print $2 ", " $1 }')"
	printf 'postgres\t%s\n' "$($PSQL -At -c 'SELECT version()')"
	printf 'settings\t%s\n' "$($PSQL -At -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_locks_per_transaction', 'wal_level', 'full_page_writes', 'max_wal_size')")"
	printf 'extension\t%s\n' "$(sed -n "s/^default_version = '\(.*\)'/aura_migrate \1/p" "$ROOT/aura_migrate.control")"
	printf 'commit\t%s\n' "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ has uncommitted changes)')"
	if [ "${SNAPSHOT:-1}" = 1 ]; then
		printf 'engine\t%s\n' "aura_migrate.so and install script as installed when the run started, frozen in a copy of the PostgreSQL installation; md5 $ENGINE_AT_START"
	else
		printf 'engine\t%s\n' "aura_migrate.so and install script as installed; md5 $ENGINE_AT_START"
	fi
	printf 'load_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'tools\t%s\n' "date +%s%N around each process; $(bash --version | head -1 | sed 's/ (.*//')"
	printf 'runs\t%s\n' "$RUNS (after one discarded warm-up run per N)"
	printf 'noop_reps\t%s\n' "$BENCH_NOOP_REPS"
	for id in "${CONTENDER_IDS[@]}"; do
		printf 'contender\t%s\t%s\t%s\t%s\n' "${CONTENDER_LETTER[$id]}" "$id" "${CONTENDER_LABEL[$id]}" "${CONTENDER_KIND[$id]}"
	done
	for u in "${UNAVAILABLE[@]}"; do
		printf 'unavailable\t%s\n' "$u"
	done
} >"$META"

# ------------------------------------------------------------------ runs --
START=$(date +%s)
for N in $NS; do
	export BENCH_N=$N
	export BENCH_MIGDIR="$WORK/n$N/migrations" BENCH_SCRIPTS="$WORK/n$N/scripts"
	python3 "$BENCH/gen_migrations.py" "$N" "$BENCH_MIGDIR"
	python3 "$BENCH/build_scripts.py" "$BENCH_MIGDIR" "$BENCH_SCRIPTS"
	say "N=$N: $(ls "$BENCH_MIGDIR" | wc -l) migrations, $(du -sh "$BENCH_SCRIPTS/all.sql" | cut -f1) of SQL"
	k=${#CONTENDER_IDS[@]}
	for ((r = 0; r <= RUNS; r++)); do
		# alternate: each run starts with the next contender
		order=()
		for ((j = 0; j < k; j++)); do order+=("${CONTENDER_IDS[$(((r + j) % k))]}"); done
		line=""
		for id in "${order[@]}"; do
			db="bench_${N}_${r}_${id}"
			$PSQL -c "CREATE DATABASE $db"
			"${id}_prepare" "$db" || { die "set-up of $id failed at N=$N"; }
			$PSQL -d "$db" -c "VACUUM ANALYZE" -c "CHECKPOINT"
			ms=$(bench_time "${id}_run" "$db") || { die "$id failed at N=$N (see $BENCH_LOG and $WORK/data/server.log)"; }
			"${id}_verify" "$db" || { die "$id did not apply the $N migrations"; }
			if [ "$r" -gt 0 ]; then
				record "$N" "$r" "$id" time "$ms"
				if have "${id}_noop"; then
					record "$N" "$r" "$id" noop_proc "$(bench_median_of "$BENCH_NOOP_REPS" "${id}_noop" "$db")"
				fi
				if have "${id}_extra"; then
					"${id}_extra" "$db" | while read -r metric value; do
						record "$N" "$r" "$id" "$metric" "$value"
					done
				fi
			fi
			line="$line ${CONTENDER_LETTER[$id]}=${ms%.*}ms"
			# no DROP DATABASE here: on ext4 without a journal, creating files
			# shortly after thousands were deleted is slow (the kernel avoids
			# reusing recently freed inodes), which would tax the next contender.
			# The databases go with the cluster at the end.
		done
		if [ "$r" -gt 0 ]; then
			# reference: what starting psql and a backend costs on this machine
			record "$N" "$r" baseline select1_proc "$(bench_median_of "$BENCH_NOOP_REPS" bench_select1)"
		fi
		line="$line (load $(cut -d' ' -f1 /proc/loadavg))"
		if [ "$r" -eq 0 ]; then say "N=$N warm-up:$line"; else say "N=$N run $r/$RUNS:$line"; fi
	done
done
ELAPSED=$(($(date +%s) - START))
{
	printf 'elapsed\t%s\n' "$((ELAPSED / 60)) min $((ELAPSED % 60)) s for the timed runs"
	printf 'load_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	if [ -r /proc/pressure/cpu ]; then
		printf 'cpu_pressure\t%s\n' "$(head -1 /proc/pressure/cpu)"
	fi
	ENGINE_AT_END=$(engine_fingerprint "$PGBIN")
	if [ "$ENGINE_AT_END" != "$ENGINE_AT_START" ]; then
		printf 'engine_changed\t%s\n' "the engine changed during the run (md5 $ENGINE_AT_START, then $ENGINE_AT_END): the numbers mix two builds"
	elif [ "$(engine_fingerprint "$SYS_PGBIN")" != "$ENGINE_AT_START" ]; then
		printf 'engine_note\t%s\n' "aura_migrate was reinstalled on the system during the run; the run used the frozen copy throughout (md5 $ENGINE_AT_START), so the numbers are from one build, which may differ from the current working tree"
	fi
} >>"$META"

python3 "$BENCH/report.py" "$META" "$RAW" >"$OUT.tmp"
# the section bench/findings_bench.sh writes into the same file is kept
if [ -f "$OUT" ]; then
	python3 - "$OUT" "$OUT.tmp" <<'PY'
import re, sys
old, new = sys.argv[1], sys.argv[2]
m = re.search(r"<!-- aura:findings -->.*?<!-- /aura:findings -->\n?", open(old).read(), re.S)
if m:
    with open(new, "a") as f:
        f.write("\n" + m.group(0))
PY
fi
mv "$OUT.tmp" "$OUT"
cp "$RAW" "${OUT%.md}.tsv"
say "wrote $OUT and ${OUT%.md}.tsv (${ELAPSED}s)"
if grep -q '^engine_changed' "$META"; then
	say "WARNING: aura_migrate was reinstalled during the run; run again"
	exit 3
fi
