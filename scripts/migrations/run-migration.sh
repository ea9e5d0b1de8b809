#!/usr/bin/env bash
#
# scripts/migrations/run-migration.sh ENV [FILE] [--dry-run] [--force-env] [--prune] [--out-of-order]
# scripts/migrations/run-migration.sh [ENV] COMMAND [ARG] [--force] [--prune] [--force-env]
#     COMMAND: status, rollback [TARGET], reset, verify, report [RUN_ID],
#              baseline VERSION, repair VERSION, import DIR   (commands.sh)
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
usage: run-migration.sh ENV [FILE] [--dry-run] [--force-env] [--prune] [--out-of-order]
       run-migration.sh [ENV] COMMAND [ARG] [--force] [--prune] [--force-env]
       run-migration.sh COMMAND ENV [ARG] ...
       run-migration.sh new NAME [DESCRIPTION]

  ENV             development | staging | production (settings: scripts/migrations/environments.conf);
                  a run needs it first; a COMMAND takes it just before or just after its name, or without it
                  the database's aura_migrate.environment chooses the settings
  FILE            apply only up to this migration: a file name, a path, or its version
                  (YYYYMMDDNNN, or YYYYMMDDHHMMSS as the Supabase CLI names migrations)
  --dry-run       register and apply inside one transaction that is always rolled back
  --force-env     go on even though the database's aura_migrate.environment is not ENV
  --prune         unregister pending user migrations whose files are gone, then go on
  --out-of-order  apply a pending migration older than the newest applied one outside development
  new NAME        create a migration file from the template (new-migration.sh)

Commands (the engine's functions of the same names; see scripts/migrations/README.md),
with their exit statuses besides 3 (unreachable) and 4 (usage, environment, refused):
  status              every migration and its state                   0; 1 one failed or drifted
  rollback [TARGET]   development: take back the last applied, or     0; 1 a down SQL failed
                      everything applied after TARGET
  reset               development: take everything back, apply it     0; 1 a migration or the seed
                      again, run the seed file (one transaction)         failed (all rolled back)
  verify              the applied migrations against the live schema  0; 2 an error-level finding
  report [RUN_ID]     the last run, or RUN_ID                         0
  baseline VERSION    record the migrations up to VERSION as applied  0; 4 objects missing (listed),
    [--force]         without running them, after checking their        a later one applied, files
    [--prune]         objects (--force: despite missing ones)           gone (--prune unregisters)
  repair VERSION      accept the file's (or the registry's) SQL of a  0; 4 not applied, not drifted,
    [--force]         drifted applied migration (--force: production)   production without --force
  import DIR          register every migration file of DIR (a         0, also "nothing new"; 4 a
                      supabase/migrations folder), one transaction      malformed name (all listed)
  TARGET and VERSION: a version or a migration file name.  An option a command does
  not take is refused (exit 4).

Connection: DATABASE_URL, or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, ...
Exit status: 0 ok, 1 migration failed, 2 error-level findings, 3 database unreachable,
             4 refused (usage, settings, extension missing, environment mismatch, target,
               pre-checks: out of order, drift, files gone from the folder, ...)
EOF
}

# gen_session: the psql script of the run, on stdout.  Its progress lines
# start with $TAG, a random marker a migration's messages cannot know.
gen_session() {
	if [ -n "$TARGET" ]; then t="'$TARGET'"; else t="NULL"; fi
	ooo=""
	[ "$OUT_OF_ORDER" = yes ] && ooo=", out_of_order => true"
	printf '%s\n' '\set ON_ERROR_STOP 1' '\set VERBOSITY verbose' '\set SHOW_CONTEXT errors' \
		"SET application_name = 'run-migration.sh';" \
		"SELECT aura_migrate.checksum('') IS NOT NULL AS am_loaded \\gset"
	for kv in "lock_timeout=$CONF_LOCK_TIMEOUT" "lock_retries=$CONF_LOCK_RETRIES" "statement_timeout=$CONF_STATEMENT_TIMEOUT"; do
		k=${kv%%=*}
		v=${kv#*=}
		[ -n "$v" ] || continue
		printf '%s\n' "SELECT has_parameter_privilege('aura_migrate.$k', 'SET') AS am_can_set \\gset" \
			'\if :am_can_set' "SET aura_migrate.$k = '$v';" "\\echo '$TAGSET|aura_migrate.$k|$v'" '\else' \
			"\\echo '$TAGWARN|cannot set aura_migrate.$k (needs superuser or GRANT SET ON PARAMETER): the database setting applies'" \
			'\endif'
	done
	[ "$DRY_RUN" = yes ] && echo 'BEGIN ISOLATION LEVEL READ COMMITTED;'
	printf '%s\n' "\\echo ${TAG}phase register"
	if [ ${#REG_FILES[@]} -gt 0 ]; then
		func=aura_migrate.register_file
		if [ "$CONF_REPLACE_PENDING" = yes ]; then
			func=pg_temp.am_register_file
			echo "CREATE FUNCTION pg_temp.am_register_file(f text, up text, down text) RETURNS text"
			echo "LANGUAGE sql AS 'SELECT aura_migrate.register_file(f, up, down, replace => true)';"
		fi
		sh "$GEN_REGISTER" "$func" "${REG_FILES[@]}" || return 1
	fi
	if [ ${#PRUNE[@]} -gt 0 ]; then
		printf '%s\n' "\\echo ${TAG}phase prune"
		for v in "${PRUNE[@]}"; do
			echo "SELECT format('${TAG}PRUNED|%s|%s', '$v', aura_migrate.unregister('$v'));"
		done
	fi
	printf '%s\n' "\\echo ${TAG}phase plan"
	echo "SELECT format('${TAG}PLAN|%s|%s|%s', version, name, state) FROM aura_migrate.status()"
	echo " WHERE state IN ('pending', 'failed', 'skipped') AND ($t IS NULL OR aura_migrate.version_key(version) <= aura_migrate.version_key($t));"
	printf '%s\n' "\\echo ${TAG}phase apply"
	if [ "$DRY_RUN" = yes ] || [ "$CONF_APPLY_MODE" = apply ]; then
		[ "$DRY_RUN" = yes ] && dry=", dry_run => true" || echo 'BEGIN ISOLATION LEVEL READ COMMITTED;'
		echo "SELECT format('${TAG}APPLIED|%s|%s|%s|%s|%s', version, name, status, round(duration_ms::numeric, 1), statements)"
		echo "  FROM aura_migrate.apply($t${dry:-}$ooo);"
		[ "$DRY_RUN" = yes ] && echo 'ROLLBACK;' || echo 'COMMIT;'
	else
		echo "CALL aura_migrate.migrate($t$ooo);"
	fi
	printf '%s\n' "\\echo ${TAG}done"
}

# format_progress: the tagged session output as readable lines; the rest
# (the engine's notices, warnings and errors) as psql printed it
format_progress() {
	awk -v dry="$DRY_RUN" -v mode="$CONF_APPLY_MODE" -v env="$ENV" -v nreg="${#REG_FILES[@]}" -v tag="$TAG" \
		-v ooo="$([ "$OUT_OF_ORDER" = yes ] && echo 'out_of_order => true')" '
	function rest(n,   i, s) { s = $n; for (i = n + 1; i <= NF; i++) s = s "|" $i; return s }
	function is(what) { return index($0, tag what) == 1 }
	BEGIN { FS = "|" }
	/^$/ || /^LOCATION:/ { next }
	is("phase register") { printf "== registering %d file(s)\n", nreg; next }
	is("phase prune") { print "== unregistering pending migrations whose files are gone (--prune)"; next }
	is("PRUNED|") { printf "   unregistered %s\n", $2; next }
	is("phase plan") { print "== pending, in order"; next }
	is("phase apply") {
		if (npend == 0) print "   nothing pending"
		if (dry == "yes") print "== dry run: apply() inside a transaction that is rolled back"
		else if (mode == "migrate") printf "== applying: CALL aura_migrate.migrate(%s) (a commit after each migration)\n", ooo
		else printf "== applying: SELECT * FROM aura_migrate.apply(%s) (one transaction)\n", ooo
		next
	}
	is("SET|") { printf "   set %s = %s\n", $2, $3; next }
	is("WARN|") { printf "warning: %s\n", rest(2); next }
	is("PLAN|") {
		if ($4 == "skipped") printf "   not for %s: %s_%s.sql\n", env, $2, $3
		else { npend++; printf "   %s  %s%s\n", $2, $3, ($4 == "failed" ? "  (failed before; tried again)" : "") }
		next
	}
	is("APPLIED|") { printf "   %s %s %s: %s statement(s), %s ms\n", (dry == "yes" ? "would apply" : $4), $2, $3, $6, $5; next }
	is("done") { next }
	/^[0-9]+_[A-Za-z0-9_.-]*\.sql\|(registered|unchanged|replaced|down_changed|updated|restored)$/ { printf "   %-10s %s\n", $2, $1; next }
	{ print }'
}

# outcome RAW PSQL_STATUS: the exit status, from what the engine said.  The
# run went through only when psql did (status 0) and printed the done line.
outcome() {
	if [ "$2" -eq 0 ] && grep -qxF "${TAG}done" "$1"; then
		if grep -q 'has lint error' "$1" ||
			grep -q 'row level security check: the run added [1-9][0-9]* error' "$1"; then
			echo "$EXIT_FINDINGS"
		else
			echo "$EXIT_OK"
		fi
	elif [ "$2" -eq 2 ]; then
		echo "$EXIT_UNREACHABLE"
	elif grep -q '^ERROR: .*has lint error\|post-migration check failed: row level security finding' "$1"; then
		echo "$EXIT_FINDINGS"
	elif grep -q 'is not for environment\|ERROR: .* migration [0-9]* is not registered\|in the pre-checks of the run\|is already applied and cannot be changed\|is already registered with other content\|is registered as ".*", not' "$1"; then
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
CMD=run
DRY_RUN=no
FORCE_ENV=no
FORCE=no
PRUNE_GONE=no
OUT_OF_ORDER=no
ARGS=()
OPTS=()
for a in "$@"; do
	case "$a" in
		--dry-run) DRY_RUN=yes; OPTS+=("$a") ;;
		--force-env) FORCE_ENV=yes; OPTS+=("$a") ;;
		--force) FORCE=yes; OPTS+=("$a") ;;
		--prune) PRUNE_GONE=yes; OPTS+=("$a") ;;
		--out-of-order) OUT_OF_ORDER=yes; OPTS+=("$a") ;;
		-h | --help) usage; exit 0 ;;
		-*) die "$EXIT_REFUSED" "unknown option $a (see --help)" ;;
		*) ARGS+=("$a") ;;
	esac
done
is_command() {
	case "$1" in
		status | rollback | reset | verify | report | baseline | repair | import) return 0 ;;
		*) return 1 ;;
	esac
}
if is_command "${ARGS[0]:-}"; then
	CMD=${ARGS[0]}
	ARGS=("${ARGS[@]:1}")
	# "status staging" as well as "staging status"
	if [ ${#ARGS[@]} -ge 1 ] && valid_env "${ARGS[0]}"; then
		ENV=${ARGS[0]:-}
		ARGS=("${ARGS[@]:1}")
	fi
elif [ ${#ARGS[@]} -ge 2 ] && is_command "${ARGS[1]:-}"; then
	ENV=${ARGS[0]:-}
	CMD=${ARGS[1]}
	ARGS=("${ARGS[@]:2}")
else
	ENV=${ARGS[0]:-}
	ARGS=("${ARGS[@]:1}")
fi
[ -z "$ENV" ] || valid_env "$ENV" || die "$EXIT_REFUSED" "ENV must be development, staging or production (got '$ENV')"
# the options each command takes; another is refused rather than ignored
takes="--force-env"
case "$CMD" in
	run) takes="$takes --dry-run --prune --out-of-order" ;;
	baseline) takes="$takes --force --prune" ;;
	repair) takes="$takes --force" ;;
esac
for o in ${OPTS[@]+"${OPTS[@]}"}; do
	case " $takes " in
		*" $o "*) ;;
		*) die "$EXIT_REFUSED" "$o is not an option of $([ "$CMD" = run ] && echo 'a run' || echo "$CMD") (it takes: $takes; see --help)" ;;
	esac
done
if [ "$CMD" != run ]; then
	# shellcheck source-path=SCRIPTDIR source=commands.sh
	. "$MIG_DIR/commands.sh"
	run_command "$CMD" "${ARGS[@]}"
	exit $?
fi
valid_env "$ENV" || die "$EXIT_REFUSED" "ENV must be development, staging or production (got '$ENV')"
[ ${#ARGS[@]} -le 1 ] || die "$EXIT_REFUSED" "too many arguments (see --help)"
FILE_ARG=${ARGS[0]:-}
load_conf "$ENV"
collect_files

# the target: the version of FILE, one of the files; later files are not registered
TARGET=""
if [ -n "$FILE_ARG" ]; then
	fb=$(basename "$FILE_ARG")
	if printf '%s' "$fb" | grep -Eq '^([0-9]{11}|[0-9]{14})$'; then
		TARGET=$fb
	else
		TARGET=$(version_of "$fb")
	fi
	[ -n "$TARGET" ] ||
		die "$EXIT_REFUSED" "FILE must be a migration file name (YYYYMMDDNNN_name.sql, YYYYMMDDHHMMSS_name.sql) or a version (got '$FILE_ARG')"
	found=""
	for f in "${FILES[@]}"; do
		b=$(basename "$f")
		[ "$(version_of "$b")" = "$TARGET" ] && found=$b
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
	if [ -z "$TARGET" ] || ! [ "$(version_key "$(version_of "$b")")" \> "$(version_key "$TARGET")" ]; then
		REG_FILES+=("$f")
	fi
done
TAG="@@$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')@"

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
# the folder and the registry agree: a pending user migration whose file is
# gone is refused (--prune unregisters it)
gone_files
PRUNE=()
if [ ${#GONE[@]} -gt 0 ]; then
	if [ "$PRUNE_GONE" = yes ]; then
		PRUNE=("${GONE[@]}")
	else
		say "== refused: pending user migrations whose files are not in $CONF_MIGRATION_DIRS:"
		for v in "${GONE[@]}"; do say "   $v"; done
		die "$EXIT_REFUSED" "the database has pending migrations whose files are gone; restore the files, or run again with --prune to unregister them"
	fi
fi
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
		if grep -qxF "${TAG}done" "$WORK/raw"; then
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
	"$EXIT_REFUSED")
		say "== refused by the engine (above); nothing was applied"
		v=$(sed -n 's/.*migration \([0-9]\{11,14\}\) is already applied and cannot be changed.*/\1/p' "$WORK/raw" | head -n 1)
		[ -z "$v" ] || say "   its file was edited after it was applied: restore it, or accept the edit with run-migration.sh $ENV repair $v"
		;;
	*)
		if ! grep -qxF "${TAG}phase apply" "$WORK/raw"; then
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
	psql_cmd -q -At -c "SELECT format('   %s  %s  %s', version, name, state) || coalesce(': ' || last_error, '') FROM aura_migrate.status() WHERE $t IS NULL OR aura_migrate.version_key(version) <= aura_migrate.version_key($t)" 2>&1 |
		while IFS= read -r l; do say "$l"; done
	failed_v=$(sed -n 's/.*migration \([0-9]\{11,14\}\) ([^)]*) failed.*/\1/p' "$WORK/raw" | tail -n 1)
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
