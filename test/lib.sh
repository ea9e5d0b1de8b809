# test/lib.sh: the one harness of the shell-level suites (test/shell,
# test/reliability, test/load, test/supabase), sourced, not run.
#
#   ok LABEL / notok LABEL          count and print one result
#   check LABEL EXPECTED GOT        ok when GOT = EXPECTED
#   has LABEL FILE TEXT             ok when FILE holds TEXT (fixed string)
#   hasnt LABEL FILE TEXT           ok when it does not
#   finish                          print "N passed, M failed" and exit (non-zero on failure)
#   bail MESSAGE                    one failure, then finish
#   as_pg CMD...                    run CMD as the postgres OS user when root
#   free_port                       a TCP port nobody listens on at 127.0.0.1
#   own_cluster_init/start/stop     a private cluster (server log, kills, restarts)
#   wait_ready                      until the PG* server accepts connections
#   engine_db DB                    a database with the extension, nothing registered
#
# PGVER (default: scripts/lib.sh's) chooses the server binaries.

PGVER=${PGVER:-$(sed -n 's/^PGVER=\${PGVER:-\([0-9]*\)}$/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh")}
PGBIN="${PGBIN:-/usr/lib/postgresql/$PGVER/bin}"
PSQL="psql -X -q -At -v ON_ERROR_STOP=1"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
notok() { fail=$((fail + 1)); echo "not ok: $*"; }
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (expected '$2', got '$3')"; fi
}
has() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		notok "$1 ('$3' not in $2)"
		sed 's/^/    | /' "$2"
	fi
}
hasnt() {
	if grep -qF -- "$3" "$2"; then
		notok "$1 ('$3' found in $2)"
		grep -nF -- "$3" "$2" | sed 's/^/    | /'
	else ok "$1"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
bail() { notok "$*"; finish; }

# as_pg CMD...: run CMD as the postgres OS user (directly when already not root)
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# free_port: a TCP port nobody listens on at 127.0.0.1
free_port() {
	local p
	for _ in $(seq 1 200); do
		# below the ephemeral range (32768-60999 on Linux): a port an outgoing
		# connection holds cannot be listened on, though nobody listens there
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# own_cluster_init DIR PORT [postgresql.conf lines...]: initdb DIR/data with
# its socket in DIR, listening on 127.0.0.1:PORT, logging to DIR/server.log
own_cluster_init() {
	local dir=$1 port=$2
	shift 2
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U "${CLUSTER_SUPERUSER:-postgres}" --no-sync >"$dir/initdb.log" 2>&1 || return 1
	{
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		echo "log_min_messages = warning"
		echo "max_connections = 60"
		echo "max_worker_processes = 16"
		for l in "$@"; do echo "$l"; done
	} >>"$dir/data/postgresql.conf"
}

# own_cluster_start DIR: start it, server log in DIR/server.log
own_cluster_start() {
	as_pg "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 start >/dev/null
}

# own_cluster_stop DIR
own_cluster_stop() {
	as_pg "$PGBIN/pg_ctl" -D "$1/data" -m immediate -w -t 60 stop >/dev/null 2>&1
}

# wait_ready: until the server the PG* variables name accepts connections (60 s)
wait_ready() {
	for _ in $(seq 1 600); do
		if $PSQL -d postgres -c "SELECT 1" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# engine_db DB: a new database with the extension and no bundled migration
engine_db() {
	createdb "$1" || return 1
	$PSQL -d "$1" >/dev/null <<'SQL'
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
SQL
}
