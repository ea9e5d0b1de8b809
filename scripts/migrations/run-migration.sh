#!/usr/bin/env bash
#
# scripts/migrations/run-migration.sh ENV [FILE] [--dry-run] [--force-env]
# scripts/migrations/run-migration.sh new NAME [DESCRIPTION]   (new-migration.sh)
#
# A thin psql wrapper around the aura_migrate extension: it passes each file
# to register_file(), calls apply() or migrate(), and formats what the engine
# answers.  The engine reads the headers, leaves out what is not for the
# database's environment, refuses lint errors and new row level security
# findings outside development, and keeps errors private there; this script
# maps its answer to the exit status that usage() lists.
# See scripts/migrations/README.md.

set -u
PROG=run-migration.sh
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

usage() {
	cat <<'EOF'
usage: run-migration.sh ENV [FILE] [--dry-run] [--force-env]
       run-migration.sh new NAME [DESCRIPTION]

  ENV          development | staging | production (settings: scripts/migrations/environments.conf)
  FILE         apply only up to this migration: a file name, a path, or a version YYYYMMDDNNN
  --dry-run    register and apply inside one transaction that is always rolled back
  --force-env  go on even though the database's aura_migrate.environment is not ENV
  new NAME     create a migration file from the template (new-migration.sh)

Connection: DATABASE_URL, or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, ...
Exit status: 0 ok, 1 migration failed, 2 error-level findings, 3 database unreachable,
             4 refused (usage, settings, extension missing, environment mismatch, target)
EOF
}

# gen_session: the psql script of the run, on stdout
gen_session() {
	if [ -n "$TARGET" ]; then t="'$TARGET'"; else t="NULL"; fi
	printf '%s\n' '\set ON_ERROR_STOP 1' '\set VERBOSITY verbose' '\set SHOW_CONTEXT errors' \
		"SET application_name = 'run-migration.sh';" \
		"SELECT aura_migrate.checksum('') IS NOT NULL AS am_loaded \\gset"
	for kv in "lock_timeout=$CONF_LOCK_TIMEOUT" "lock_retries=$CONF_LOCK_RETRIES" "statement_timeout=$CONF_STATEMENT_TIMEOUT"; do
		k=${kv%%=*}
		v=${kv#*=}
		[ -n "$v" ] || continue
		printf '%s\n' "SELECT has_parameter_privilege('aura_migrate.$k', 'SET') AS am_can_set \\gset" \
			'\if :am_can_set' "SET aura_migrate.$k = '$v';" "\\echo '@@SET|aura_migrate.$k|$v'" '\else' \
			"\\echo '@@WARN|cannot set aura_migrate.$k (needs superuser or GRANT SET ON PARAMETER): the database setting applies'" \
			'\endif'
	done
	[ "$DRY_RUN" = yes ] && echo 'BEGIN ISOLATION LEVEL READ COMMITTED;'
	printf '%s\n' '\echo @@phase register'
	if [ ${#REG_FILES[@]} -gt 0 ]; then
		func=aura_migrate.register_file
		if [ "$CONF_REPLACE_PENDING" = yes ]; then
			func=pg_temp.am_register_file
			echo "CREATE FUNCTION pg_temp.am_register_file(f text, up text, down text) RETURNS text"
			echo "LANGUAGE sql AS 'SELECT aura_migrate.register_file(f, up, down, replace => true)';"
		fi
		sh "$GEN_REGISTER" "$func" "${REG_FILES[@]}" || return 1
	fi
	printf '%s\n' '\echo @@phase plan'
	echo "SELECT format('@@PLAN|%s|%s|%s', version, name, state) FROM aura_migrate.status()"
	echo " WHERE state IN ('pending', 'failed', 'skipped') AND ($t IS NULL OR version <= $t) ORDER BY version;"
	printf '%s\n' '\echo @@phase apply'
	if [ "$DRY_RUN" = yes ] || [ "$CONF_APPLY_MODE" = apply ]; then
		[ "$DRY_RUN" = yes ] && dry=", dry_run => true" || echo 'BEGIN ISOLATION LEVEL READ COMMITTED;'
		echo "SELECT format('@@APPLIED|%s|%s|%s|%s|%s', version, name, status, round(duration_ms::numeric, 1), statements)"
		echo "  FROM aura_migrate.apply($t${dry:-});"
		[ "$DRY_RUN" = yes ] && echo 'ROLLBACK;' || echo 'COMMIT;'
	else
		echo "CALL aura_migrate.migrate($t);"
	fi
	printf '%s\n' '\echo @@done'
}

# format_progress: the tagged session output as readable lines; the rest
# (the engine's notices, warnings and errors) as psql printed it
format_progress() {
	awk -v dry="$DRY_RUN" -v mode="$CONF_APPLY_MODE" -v env="$ENV" -v nreg="${#REG_FILES[@]}" '
	function rest(n,   i, s) { s = $n; for (i = n + 1; i <= NF; i++) s = s "|" $i; return s }
	BEGIN { FS = "|" }
	/^$/ || /^LOCATION:/ { next }
	/^@@phase register/ { printf "== registering %d file(s)\n", nreg; next }
	/^@@phase plan/ { print "== pending, in order"; next }
	/^@@phase apply/ {
		if (npend == 0) print "   nothing pending"
		if (dry == "yes") print "== dry run: apply() inside a transaction that is rolled back"
		else if (mode == "migrate") print "== applying: CALL aura_migrate.migrate() (a commit after each migration)"
		else print "== applying: SELECT * FROM aura_migrate.apply() (one transaction)"
		next
	}
	/^@@SET\|/ { printf "   set %s = %s\n", $2, $3; next }
	/^@@WARN\|/ { printf "warning: %s\n", rest(2); next }
	/^@@PLAN\|/ {
		if ($4 == "skipped") printf "   not for %s: %s_%s.sql\n", env, $2, $3
		else { npend++; printf "   %s  %s%s\n", $2, $3, ($4 == "failed" ? "  (failed before; tried again)" : "") }
		next
	}
	/^@@APPLIED\|/ { printf "   %s %s %s: %s statement(s), %s ms\n", (dry == "yes" ? "would apply" : $4), $2, $3, $6, $5; next }
	/^@@done/ { next }
	/^[0-9]+_[a-z0-9_]*\.sql\|(registered|unchanged|replaced)$/ { printf "   %-10s %s\n", $2, $1; next }
	{ print }'
}

# outcome RAW PSQL_STATUS: the exit status, from what the engine said
outcome() {
	if grep -q '^@@done' "$1"; then
		if grep -q 'has lint error' "$1" ||
			grep -q 'row level security check: the run added [1-9][0-9]* error' "$1"; then
			echo "$EXIT_FINDINGS"
		else
			echo "$EXIT_OK"
		fi
	elif [ "$2" -eq 2 ]; then
		echo "$EXIT_UNREACHABLE"
	elif grep -q 'has lint error\|post-migration check failed: row level security finding' "$1"; then
		echo "$EXIT_FINDINGS"
	elif grep -q 'is not for environment\|ERROR: .* migration [0-9]* is not registered' "$1"; then
		echo "$EXIT_REFUSED"
	else
		echo "$EXIT_FAILED"
	fi
}

# ---------------------------------------------------------------------------

[ $# -ge 1 ] || {
	usage >&2
	exit "$EXIT_REFUSED"
}
[ "$1" = new ] && shift && exec bash "$MIG_DIR/new-migration.sh" "$@"
ENV=""
FILE_ARG=""
DRY_RUN=no
FORCE_ENV=no
for a in "$@"; do
	case "$a" in
		--dry-run) DRY_RUN=yes ;;
		--force-env) FORCE_ENV=yes ;;
		-h | --help) usage; exit 0 ;;
		-*) die "$EXIT_REFUSED" "unknown option $a (see --help)" ;;
		*)
			if [ -z "$ENV" ]; then ENV=$a
			elif [ -z "$FILE_ARG" ]; then FILE_ARG=$a
			else die "$EXIT_REFUSED" "too many arguments (see --help)"; fi
			;;
	esac
done
valid_env "$ENV" || die "$EXIT_REFUSED" "ENV must be development, staging or production (got '$ENV')"
load_conf "$ENV"
collect_files

# the target: the version of FILE, one of the files; later files are not registered
TARGET=""
if [ -n "$FILE_ARG" ]; then
	fb=$(basename "$FILE_ARG")
	printf '%s' "$fb" | grep -Eq '^[0-9]{11}(_[a-z][a-z0-9_]*\.sql)?$' ||
		die "$EXIT_REFUSED" "FILE must be a migration file name YYYYMMDDNNN_name.sql or a version YYYYMMDDNNN (got '$FILE_ARG')"
	TARGET=${fb:0:11}
	found=""
	for f in "${FILES[@]}"; do
		b=$(basename "$f")
		[ "${b:0:11}" = "$TARGET" ] && found=$b
	done
	[ -n "$found" ] || die "$EXIT_REFUSED" "no migration $FILE_ARG in $CONF_MIGRATION_DIRS (the MIGRATION_DIRS of $ENV)"
	[ "$fb" = "$TARGET" ] || [ "$found" = "$fb" ] || die "$EXIT_REFUSED" "version $TARGET is $found, not $fb"
	TARGET_DESC="$TARGET ($found) and everything pending before it"
else
	TARGET_DESC="everything pending"
fi
REG_FILES=()
for f in "${FILES[@]}"; do
	b=$(basename "$f")
	if [ -z "$TARGET" ] || ! [ "${b:0:11}" \> "$TARGET" ]; then REG_FILES+=("$f"); fi
done

kind=run
[ "$DRY_RUN" = yes ] && kind=dryrun
new_log_file "$kind"
START=$(date -u +%s)
say "# aura_migrate run-migration.sh"
say "# started:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "# environment: $ENV"
say "# mode:        $([ "$DRY_RUN" = yes ] && echo 'dry run (rolled back)' || echo "$CONF_APPLY_MODE")"
say "# target:      $TARGET_DESC"
say "# settings:    $AURA_MIGRATE_CONF: MIGRATION_DIRS='$CONF_MIGRATION_DIRS' APPLY_MODE=$CONF_APPLY_MODE REPLACE_PENDING=$CONF_REPLACE_PENDING"
say "# project:     $AURA_ROOT ($(git_desc))"
say "# log:         $LOG_FILE"
check_connect
check_extension "$ENV" "$FORCE_ENV"
say "# database:    $DB_DESC, aura_migrate.environment = $DB_ENV"
for f in "${REG_FILES[@]}"; do
	say "# file:        $(basename "$f") sha256 $(sha256sum "$f" | cut -c1-64)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_run.XXXXXX") || die "$EXIT_REFUSED" "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT
gen_session >"$WORK/session.sql" || die "$EXIT_REFUSED" "cannot generate the registration SQL"
psql_cmd -q -At <"$WORK/session.sql" >"$WORK/raw" 2>&1
rc=$?
format_progress <"$WORK/raw" | tee -a "$LOG_FILE"
status=$(outcome "$WORK/raw" "$rc")
apply_all=no
[ "$DRY_RUN" = yes ] || [ "$CONF_APPLY_MODE" = apply ] && apply_all=yes

case "$status" in
	"$EXIT_OK") ;;
	"$EXIT_FINDINGS")
		if grep -q '^@@done' "$WORK/raw"; then
			# development: the engine reported them; list the check's errors
			say "== error-level findings (applied: in development they are reported, elsewhere they stop the run)"
			psql_cmd -q -At -F ' ' -c "SELECT '  ', severity, code, coalesce(object, ''), message FROM aura_migrate.check_rls(NULL, false) WHERE severity = 'error' ORDER BY code, object" 2>&1 |
				while IFS= read -r l; do say "$l"; done
		elif grep -q 'has lint error' "$WORK/raw"; then
			say "== stopped: lint errors (above); nothing was applied"
		elif [ "$apply_all" = yes ]; then
			say "== stopped: a migration added a check_rls() error finding (above); the run was rolled back"
		else
			say "== stopped: a migration added a check_rls() error finding (above); it was rolled back, the ones before it stay committed"
		fi
		;;
	"$EXIT_UNREACHABLE") say "== the connection to the database was lost; check status() before running again" ;;
	"$EXIT_REFUSED") say "== refused by the engine (above); nothing was applied" ;;
	*)
		if ! grep -q '^@@phase apply' "$WORK/raw"; then
			say "== failed: a migration could not be registered; nothing was applied"
		else
			how="the ones before it stay committed"
			[ "$apply_all" = yes ] && how="the run was rolled back"
			[ "$DRY_RUN" = yes ] && how="rolled back, nothing was changed"
			say "== failed: a migration failed (above: version, statement, line); $how"
		fi
		;;
esac

# the state afterwards, as status() reports it, and in development the
# failing statement from the engine's log (outside development the engine
# keeps no statement text)
if [ "$DRY_RUN" = no ] && [ "$status" -ne "$EXIT_UNREACHABLE" ]; then
	if [ -n "$TARGET" ]; then t="'$TARGET'"; else t=NULL; fi
	say "== status()"
	psql_cmd -q -At -c "SELECT format('   %s  %s  %s', version, name, state) || coalesce(': ' || last_error, '') FROM aura_migrate.status() WHERE $t IS NULL OR version <= $t ORDER BY version" 2>&1 |
		while IFS= read -r l; do say "$l"; done
	failed_v=$(sed -n 's/.*migration \([0-9]\{11\}\) ([a-z0-9_]*) failed.*/\1/p' "$WORK/raw" | tail -n 1)
	if [ "$status" -eq "$EXIT_FAILED" ] && [ "$DB_ENV" = development ] && [ -n "$failed_v" ]; then
		txt=$(psql_cmd -q -At -c "SELECT format(E'failed: version %s, statement %s, line %s, SQLSTATE %s\\n%s', version, statement_no, line, sqlstate, statement_text) FROM aura_migrate.log WHERE event IN ('failed', 'check_failed') AND version = '$failed_v' ORDER BY id DESC LIMIT 1" 2>/dev/null)
		if [ -n "$txt" ]; then
			say "== the failing statement (aura_migrate.log)"
			printf '%s\n' "$txt" | while IFS= read -r l; do say "   $l"; done
		fi
	fi
fi

res=(success "a migration failed" "error-level findings" "database unreachable" refused)
say "# result:      ${res[$status]}$([ "$DRY_RUN" = yes ] && echo ' (dry run: nothing was changed)')"
say "# finished:    $(date -u +%Y-%m-%dT%H:%M:%SZ) ($(($(date -u +%s) - START)) s), exit status $status"
exit "$status"
