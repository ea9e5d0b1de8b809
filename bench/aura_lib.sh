# bench/aura_lib.sh: shared by bench/aura_rpc.sh, bench/findings_bench.sh and
# test/load/aura_load.sh.  Source it; it defines:
#
#   aura_cluster_start GUC...   initdb a throwaway PostgreSQL 15 cluster in
#                               /tmp/aura_<tag>.XXXXXX (Unix socket only, trust
#                               auth), start it with the given "name=value"
#                               settings, export PG* for it, and stop and remove it
#                               on exit (KEEP=1 keeps the directory).  As root the
#                               cluster runs as the postgres OS user.
#   aura_db_setup DB            create DB with db/init and the extension; with
#                               APPLY=1 (default) also apply the Aura migrations
#   results_section FILE NAME TEXTFILE
#                               replace (or append) the section NAME of FILE with
#                               the contents of TEXTFILE (markers <!-- aura:NAME -->)
#   machine_info                Markdown lines: machine, versions, date, commit
#
# Needs /usr/lib/postgresql/15/bin (override with PGBIN=), psql, python3.

AURA_ROOT=${AURA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PGBIN=${PGBIN:-/usr/lib/postgresql/${PGVER:-15}/bin}
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)

as_pg() {	# run a command as the cluster's OS user
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

aura_cluster_stop() {
	if [ -n "${AURA_WORK:-}" ] && [ -d "$AURA_WORK/data" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$AURA_WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "${AURA_WORK:-}" ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$AURA_WORK"
	elif [ -n "${AURA_WORK:-}" ]; then
		echo "kept $AURA_WORK" >&2
	fi
}

aura_cluster_start() {
	local tag=${AURA_TAG:-bench} opts="" g
	AURA_WORK=$(mktemp -d "/tmp/aura_${tag}.XXXXXX")
	chmod 755 "$AURA_WORK"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$AURA_WORK"
	trap aura_cluster_stop EXIT
	as_pg "$PGBIN/initdb" -D "$AURA_WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$AURA_WORK'"
		echo "port = 5432"
		echo "max_connections = 200"
		for g in "$@"; do echo "$g"; done
	} | as_pg tee -a "$AURA_WORK/data/postgresql.conf" >/dev/null
	as_pg "$PGBIN/pg_ctl" -D "$AURA_WORK/data" -l "$AURA_WORK/server.log" -w start >/dev/null
	export PGHOST=$AURA_WORK PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
	unset PGPASSWORD PGSERVICE DATABASE_URL
}

aura_db_setup() {
	local db=$1 i
	"${PSQL[@]}" -d postgres -c "CREATE DATABASE $db"
	"${PSQL[@]}" -d "$db" -f "$AURA_ROOT/db/init/00_supabase_compat.sql" >/dev/null
	# another session may be re-installing the extension: retry briefly
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if "${PSQL[@]}" -d "$db" -c 'CREATE EXTENSION aura_schema CASCADE' 2>/dev/null; then break; fi
		[ "$i" = 10 ] && { echo "CREATE EXTENSION aura_schema CASCADE failed" >&2; return 1; }
		sleep 3
	done
	if [ "${APPLY:-1}" = 1 ]; then
		"${PSQL[@]}" -d "$db" -c 'SELECT count(*) FROM aura_migrate.apply()' >/dev/null
	fi
}

results_section() {	# FILE NAME TEXTFILE
	python3 - "$1" "$2" "$3" <<'PY'
import os, re, sys
path, name, textfile = sys.argv[1:4]
body = open(textfile).read().rstrip("\n") + "\n"
begin, end = f"<!-- aura:{name} -->", f"<!-- /aura:{name} -->"
block = f"{begin}\n{body}{end}\n"
old = open(path).read() if os.path.exists(path) else (
    "# Aura benchmark and load results\n\n"
    "Written by `test/load/aura_load.sh`, `bench/aura_rpc.sh` and `bench/findings_bench.sh`;\n"
    "each script replaces only its own section (see `bench/README-aura.md`).\n\n")
pat = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
new = pat.sub(lambda m: block, old) if pat.search(old) else old.rstrip("\n") + "\n\n" + block
open(path, "w").write(new)
PY
}

machine_info() {
	local cpu mem disk
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	disk=$(df -h "${AURA_WORK:-/tmp}" | awk 'NR==2 {print $1" ("$2")"}')
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average when the section was written: $(cut -d' ' -f1-3 /proc/loadavg)$( [ -r /proc/pressure/cpu ] && sed -n 's/^some avg10=\([0-9.]*\) avg60=\([0-9.]*\) avg300=\([0-9.]*\).*/, CPU pressure (some) avg60 \2%, avg300 \3%/p' /proc/pressure/cpu) (other jobs on this machine count)"
	echo "- machine: $(nproc) CPU ($cpu), $mem RAM, $(uname -sr), data directory on $disk"
	echo "- server: $("${PSQL[@]}" -d postgres -c 'SHOW server_version') ; $(pgbench --version 2>/dev/null | head -1); aura_migrate $("${PSQL[@]}" -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'aura_migrate'") (commit $(git -C "$AURA_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$AURA_ROOT" diff --quiet HEAD -- src db 2>/dev/null || echo ', src/db modified'))"
}
