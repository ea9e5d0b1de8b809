# scripts/migrations/common.sh: shared by run-migration.sh, validate-rls.sh and
# new-migration.sh.
# shellcheck shell=bash disable=SC2034
# Sourced by bash; not meant to be run.  See scripts/migrations/README.md.
#
# Environment variables read here:
#   DATABASE_URL        conninfo or URI; when set it is psql's -d argument
#   PG*                 the standard libpq variables (PGHOST, PGPORT, ...)
#   AURA_ROOT           project root (default: two levels above this file)
#   AURA_MIGRATE_CONF   settings file (default: environments.conf beside this file)
#   AURA_LOG_DIR        where run logs and reports go (default: $AURA_ROOT/logs/migrations)

# exit statuses, shared by both scripts
EXIT_OK=0
EXIT_FAILED=1
EXIT_FINDINGS=2
EXIT_UNREACHABLE=3
EXIT_REFUSED=4

MIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AURA_ROOT=${AURA_ROOT:-$(cd "$MIG_DIR/../.." && pwd)}
AURA_MIGRATE_CONF=${AURA_MIGRATE_CONF:-$MIG_DIR/environments.conf}
AURA_LOG_DIR=${AURA_LOG_DIR:-$AURA_ROOT/logs/migrations}
GEN_REGISTER="$AURA_ROOT/scripts/gen-register-sql.sh"
[ -f "$GEN_REGISTER" ] || GEN_REGISTER="$MIG_DIR/../gen-register-sql.sh"

# a connection attempt gives up after this long unless the caller said otherwise
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"

# emsg MESSAGE...: to stderr, and to the run's log once there is one
emsg() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	if [ -n "${LOG_FILE:-}" ]; then
		printf '%s: %s\n' "$PROG" "$*" >>"$LOG_FILE"
	fi
}

# die STATUS MESSAGE...
die() {
	st=$1
	shift
	emsg "$@"
	if [ -n "${LOG_FILE:-}" ]; then
		printf '# finished: %s, exit status %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$st" >>"$LOG_FILE"
	fi
	exit "$st"
}

# psql_cmd ARGS...: psql on the database DATABASE_URL or the PG* variables name
psql_cmd() {
	if [ -n "${DATABASE_URL:-}" ]; then
		psql -X -d "$DATABASE_URL" "$@"
	else
		psql -X "$@"
	fi
}

# valid_env NAME
valid_env() {
	case "$1" in
		development | staging | production) return 0 ;;
		*) return 1 ;;
	esac
}

# load_conf ENV: source the settings file and set CONF_<KEY> for ENV.  Only
# what the scripts themselves decide is a setting here: what a run may do
# (lint, the row level security gate, log privacy) the engine decides, from
# the database's aura_migrate.* settings.
load_conf() {
	env=$1
	[ -r "$AURA_MIGRATE_CONF" ] || die "$EXIT_REFUSED" "cannot read settings file $AURA_MIGRATE_CONF"
	# shellcheck disable=SC1090
	. "$AURA_MIGRATE_CONF" || die "$EXIT_REFUSED" "cannot source settings file $AURA_MIGRATE_CONF"
	conf_key MIGRATION_DIRS "db/migrations/production"
	conf_key APPLY_MODE "apply" apply migrate
	conf_key REPLACE_PENDING "no" yes no
	conf_key RLS_PROBES "off" on off
	conf_key RLS_SCHEMAS ""
	conf_key RLS_ALLOW_DEFINER ""
	conf_key LOCK_TIMEOUT ""
	conf_key LOCK_RETRIES ""
	conf_key STATEMENT_TIMEOUT ""
	conf_key SEED_FILE ""
	for v in "$CONF_LOCK_TIMEOUT" "$CONF_LOCK_RETRIES" "$CONF_STATEMENT_TIMEOUT"; do
		case "$v" in
			*[!0-9A-Za-z]*) die "$EXIT_REFUSED" "$AURA_MIGRATE_CONF: ${env}: timeout/retry settings take a number with an optional unit (e.g. 5s), not '$v'" ;;
		esac
	done
	for v in $CONF_RLS_SCHEMAS $CONF_RLS_ALLOW_DEFINER; do
		case "$v" in
			*[!A-Za-z0-9_.\(\),]*) die "$EXIT_REFUSED" "$AURA_MIGRATE_CONF: ${env}: unexpected character in '$v'" ;;
		esac
	done
	# keys of earlier versions, now the engine's
	for k in LOG_DETAIL LINT_ERRORS RLS_CHECK; do
		var="${env}_$k"
		[ -z "${!var+set}" ] ||
			emsg "warning: $AURA_MIGRATE_CONF: $var is no longer read: the engine decides by the database's aura_migrate.environment (see scripts/migrations/README.md)"
	done
}

# say LINE...: to the terminal and the run's log
say() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>"$LOG_FILE"
}

# conf_key KEY DEFAULT [ALLOWED...]: CONF_KEY = ${env}_KEY or DEFAULT, checked
conf_key() {
	key=$1
	def=$2
	shift 2
	var="${env}_$key"
	if [ -n "${!var+set}" ]; then
		val=${!var}
	else
		val=$def
	fi
	if [ $# -gt 0 ]; then
		okv=no
		for a in "$@"; do
			[ "$val" = "$a" ] && okv=yes
		done
		[ "$okv" = yes ] || die "$EXIT_REFUSED" "$AURA_MIGRATE_CONF: ${var}='$val' is not one of: $*"
	fi
	printf -v "CONF_$key" '%s' "$val"
}

# sql_array WORDS...: a quoted text array literal, e.g. '{public,auth}'
sql_array() {
	out=""
	for w in "$@"; do
		out="${out:+$out,}\"$w\""
	done
	printf "'{%s}'" "$out"
}

# collect_files: FILES, the up files of MIGRATION_DIRS in version order.
# Only the names are checked here; the engine reads what is inside.
collect_files() {
	FILES=()
	list=""
	for d in $CONF_MIGRATION_DIRS; do
		case "$d" in /*) p=$d ;; *) p="$AURA_ROOT/$d" ;; esac
		[ -d "$p" ] || die "$EXIT_REFUSED" "MIGRATION_DIRS of $env lists $d, which is not a directory ($p)"
		for f in "$p"/*.sql; do
			[ -e "$f" ] || continue
			b=$(basename "$f")
			case "$b" in
				*.down.sql)
					[ -f "${f%.down.sql}.sql" ] || die "$EXIT_REFUSED" "$f: down migration without its up file"
					continue
					;;
			esac
			v=$(version_of "$b")
			[ -n "$v" ] ||
				die "$EXIT_REFUSED" "$f: not a migration file name (YYYYMMDDNNN_snake_case_name.sql, or YYYYMMDDHHMMSS_name.sql as the Supabase CLI names them)"
			list="$list$(version_key "$v")	$v	$f
"
		done
	done
	dup=$(printf '%s' "$list" | cut -f2 | sort | uniq -d | head -n 1)
	[ -z "$dup" ] || die "$EXIT_REFUSED" "two migration files have version $dup: $(printf '%s' "$list" | grep "	$dup	" | cut -f3 | tr '\n' ' ')"
	while IFS='	' read -r _ v f; do
		[ -n "$v" ] && FILES+=("$f")
	done <<EOF
$(printf '%s' "$list" | sort)
EOF
}

# version_of BASENAME: the version of a migration file name of either
# scheme (YYYYMMDDNNN_snake_case.sql, YYYYMMDDHHMMSS_name.sql), else nothing
version_of() {
	case "$1" in
		*.down.sql) return ;;
	esac
	if printf '%s' "$1" | grep -Eq '^[0-9]{11}_[a-z][a-z0-9_]*\.sql$' ||
		printf '%s' "$1" | grep -Eq '^[0-9]{14}_[A-Za-z0-9_.-]+\.sql$'; then
		printf '%s' "${1%%_*}"
	fi
}

# version_key VERSION: the key that orders versions of both schemes by
# time, as aura_migrate.version_key() does
version_key() {
	if [ ${#1} -eq 11 ]; then
		printf '%s0000%s' "${1:0:8}" "${1:8:3}"
	else
		printf '%s1%s' "${1:0:8}" "${1:8:6}"
	fi
}

# check_connect: psql -c 'select 1', exit 3 with a clear message when unreachable
check_connect() {
	if ! err=$(psql_cmd -At -c 'select 1' 2>&1 >/dev/null); then
		where="the database named by the PG* variables"
		[ -n "${DATABASE_URL:-}" ] && where="the database named by DATABASE_URL"
		emsg "cannot connect to $where:"
		printf '%s\n' "$err" | sed 's/^/    /' >&2
		if [ -n "${LOG_FILE:-}" ]; then
			printf '%s\n' "$err" | sed 's/^/    /' >>"$LOG_FILE"
		fi
		die "$EXIT_UNREACHABLE" "check that the server is running and that DATABASE_URL, or PGHOST/PGPORT/PGDATABASE/PGUSER and the password, are right"
	fi
}

# check_extension ENV FORCE: the extension is installed, and the database's
# aura_migrate.environment is ENV (unless FORCE is yes; any when ENV is empty).  Sets DB_ENV, EXT_VERSION, DB_DESC.
check_extension() {
	want=$1
	force=$2
	EXT_VERSION=$(psql_cmd -At -c "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'aura_migrate'" 2>&1) ||
		die "$EXIT_FAILED" "cannot read pg_extension: $EXT_VERSION"
	[ -n "$EXT_VERSION" ] ||
		die "$EXIT_REFUSED" "the extension aura_migrate is not installed in this database; run CREATE EXTENSION aura_migrate; (as a superuser; on plain PostgreSQL run db/init/00_supabase_compat.sql first)"
	# the first call of a function of the extension loads it, and with it the setting
	info=$(psql_cmd -At -F '|' -c "SELECT aura_migrate.checksum(''), current_setting('aura_migrate.environment', true), current_database(), current_user, coalesce(host(inet_server_addr()), 'local socket'), current_setting('port'), current_setting('server_version')" 2>&1) ||
		die "$EXIT_FAILED" "cannot read aura_migrate.environment: $info"
	IFS='|' read -r _ DB_ENV db_name db_user db_host db_port db_ver <<EOF
$info
EOF
	DB_ENV=${DB_ENV:-development}
	[ -n "$want" ] || want=$DB_ENV
	DB_DESC="database $db_name on $db_host port $db_port as $db_user (PostgreSQL $db_ver, aura_migrate $EXT_VERSION)"
	if [ "$DB_ENV" != "$want" ]; then
		if [ "$force" = yes ]; then
			printf '%s: warning: the database says aura_migrate.environment = %s, not %s; going on because of --force-env (settings of %s used)\n' \
				"$PROG" "$DB_ENV" "$want" "$want" >&2
		else
			die "$EXIT_REFUSED" "refusing: this database is '$DB_ENV' (aura_migrate.environment), not '$want'.  Connect to the $want database, or set it as a superuser: ALTER DATABASE $db_name SET aura_migrate.environment = '$want'; (reconnect afterwards), or pass --force-env if you really mean it."
		fi
	fi
}

# new_log_file KIND: a fresh file under AURA_LOG_DIR named
# YYYYMMDDTHHMMSSZ_<env>_<kind>.log; sets LOG_FILE
new_log_file() {
	kind=$1
	mkdir -p "$AURA_LOG_DIR" || die "$EXIT_REFUSED" "cannot create log directory $AURA_LOG_DIR"
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	LOG_FILE="$AURA_LOG_DIR/${stamp}_${ENV}_${kind}.log"
	n=1
	while [ -e "$LOG_FILE" ]; do
		n=$((n + 1))
		LOG_FILE="$AURA_LOG_DIR/${stamp}_${ENV}_${kind}_$n.log"
	done
	: >"$LOG_FILE" || die "$EXIT_REFUSED" "cannot write $LOG_FILE"
}

# git_desc: the commit of the project tree, for the log header
git_desc() {
	if c=$(git -C "$AURA_ROOT" rev-parse --short HEAD 2>/dev/null); then
		if [ -n "$(git -C "$AURA_ROOT" status --porcelain 2>/dev/null | head -n 1)" ]; then
			printf '%s (uncommitted changes)' "$c"
		else
			printf '%s' "$c"
		fi
	else
		printf 'not a git checkout'
	fi
}

# gone_files: GONE, the versions of pending or failed user migrations that
# no file of FILES has (deleted, or renamed to another version)
gone_files() {
	GONE=()
	have=" "
	for f in "${FILES[@]}"; do
		have="$have$(version_of "$(basename "$f")") "
	done
	pend=$(psql_cmd -At -c "SELECT version FROM aura_migrate.status() WHERE source = 'user' AND state IN ('pending', 'failed')" 2>&1) ||
		die "$EXIT_FAILED" "cannot read status(): $pend"
	while IFS= read -r v; do
		[ -n "$v" ] || continue
		case "$have" in
			*" $v "*) ;;
			*) GONE+=("$v") ;;
		esac
	done <<EOF2
$pend
EOF2
}
