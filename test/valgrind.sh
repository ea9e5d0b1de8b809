#!/usr/bin/env bash
#
# test/valgrind.sh: the pg_regress suites against a server run under
# valgrind memcheck.  Builds nothing: run after `make install` (scripts/test.sh
# does it).  Starts a private cluster as the postgres OS user, runs the
# suites, and fails when any valgrind report has a frame in aura_migrate's C
# files (PostgreSQL's own known reports - uninitialised WAL padding written
# at a commit our code asked for, the regex cache's memcpy - are counted
# only).
#
#     sudo bash test/valgrind.sh            # about 3 minutes on 2 cores
#
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"	# PGVER, PGBIN
BIN=$PGBIN
DIR=$(mktemp -d /tmp/am_valgrind.XXXXXX)
PORT=${PORT:-5497}
chown postgres "$DIR"
command -v valgrind >/dev/null || { apt-get install -y -qq valgrind >/dev/null; }

runuser -u postgres -- "$BIN/initdb" -D "$DIR/data" -A trust >/dev/null
runuser -u postgres -- bash -c "valgrind --quiet --trace-children=yes --num-callers=30 \
	--log-file=$DIR/vg.%p.log $BIN/postgres -D $DIR/data -p $PORT -k $DIR \
	-c listen_addresses='' >$DIR/server.log 2>&1 &"
for _ in $(seq 60); do
	psql -h "$DIR" -p "$PORT" -U postgres -Atc "select 1" >/dev/null 2>&1 && break
	sleep 2
done

cd "$ROOT"
PGHOST=$DIR PGPORT=$PORT PGUSER=postgres make -s installcheck
rc=$?
runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" stop -m fast -t 120 >/dev/null

# a report is a block from an "==pid== Kind..." line to the next blank one;
# ours when a frame is in one of our C files
OURS=$(cd "$ROOT/src" && ls ./*.c | sed 's|^\./||; s|\.c$||' | paste -sd'|')
count_reports() {
	awk -v want="$1" -v ours_re="\\\\((${OURS})\\\\.c:[0-9]+\\\\)" '
		/^==[0-9]+== [A-Z]/ && blk == "" { blk = $0; next }
		/^==[0-9]+== $/ { if (blk != "") { n += match_blk(blk) }; blk = ""; next }
		{ if (blk != "") blk = blk "\n" $0 }
		END { if (blk != "") n += match_blk(blk); print n + 0 }
		function match_blk(b) {
			ours = (b ~ ours_re)
			known = (b ~ /Syscall param (pwrite64|write)\(buf\) points to uninitialised/ ||
					 b ~ /Source and destination overlap.*RE_compile_and_cache/)
			return (want == "ours") ? (ours && !known) : 1
		}' "$DIR"/vg.*.log
}
ours=$(count_reports ours)
theirs=$(count_reports all)
echo "valgrind: $theirs reports in all; $ours with a frame in aura_migrate code (PostgreSQL's known WAL-padding and regex-cache reports excepted)"
if [ "$rc" -ne 0 ] || [ "$ours" -ne 0 ]; then
	grep -lE "\((${OURS})\.c:" "$DIR"/vg.*.log | head -3 | xargs -r cat
	echo "0 passed, 1 failed"
	exit 1
fi
rm -rf "$DIR"
echo "1 passed, 0 failed"
