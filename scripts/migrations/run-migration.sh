#!/usr/bin/env bash
#
# scripts/migrations/run-migration.sh: register and apply the Aura migrations
# with the aura_migrate extension, from the shell.
#
#   run-migration.sh ENV [FILE] [--dry-run] [--force-env]
#   run-migration.sh new NAME [DESCRIPTION]
#
# ENV is development, staging or production; its settings come from
# scripts/migrations/environments.conf.  The database is the one DATABASE_URL
# names, or else the standard PG* variables.  FILE (a file name, a path, or a
# version YYYYMMDDNNN) applies everything pending up to and including it.
#
# Exit status: 0 success; 1 a migration failed (registration, apply, or the
# check could not run); 2 error-level findings (lint errors, check_rls after
# apply); 3 the database cannot be reached; 4 refused before anything was
# done (usage, settings, extension missing, environment mismatch).
#
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
  --dry-run    register and apply inside one transaction that is always rolled back;
               reports what would happen, with the real errors
  --force-env  go on even though the database's aura_migrate.environment is not ENV
  new NAME     create db/migrations/production/YYYYMMDDNNN_NAME.sql (NAME in snake_case)
               with the template header and the next free NNN for today (UTC)

Connection: DATABASE_URL, or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, ...
Exit status: 0 ok, 1 migration failed, 2 error-level findings, 3 database unreachable,
             4 refused (usage, settings, extension missing, environment mismatch)
EOF
}

# ---------------------------------------------------------------------------
# new NAME [DESCRIPTION]
# ---------------------------------------------------------------------------
cmd_new() {
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then
		usage >&2
		exit "$EXIT_REFUSED"
	fi
	name=$1
	desc=${2:-TODO: one line saying what this migration does}
	if ! printf '%s' "$name" | grep -Eq '^[a-z][a-z0-9_]*$' || [ ${#name} -gt 63 ]; then
		die "$EXIT_REFUSED" "NAME must be snake_case: lower-case letters, digits and _, starting with a letter, at most 63 characters (got '$name')"
	fi
	case "$desc" in
		*"
"*) die "$EXIT_REFUSED" "DESCRIPTION must be one line" ;;
	esac
	dir="${AURA_NEW_DIR:-$AURA_ROOT/db/migrations/production}"
	[ -d "$dir" ] || die "$EXIT_REFUSED" "no directory $dir"
	today=$(date -u +%Y%m%d)
	# the highest NNN of today in any migration directory, so versions stay unique
	max=0
	for f in "$dir"/"$today"[0-9][0-9][0-9]_*.sql "$AURA_ROOT"/db/migrations/*/"$today"[0-9][0-9][0-9]_*.sql; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		n=$((10#${b:8:3}))
		[ "$n" -gt "$max" ] && max=$n
	done
	next=$((max + 1))
	[ "$next" -le 999 ] || die "$EXIT_REFUSED" "no free NNN left for $today"
	version=$(printf '%s%03d' "$today" "$next")
	file="$dir/${version}_$name.sql"
	[ -e "$file" ] && die "$EXIT_REFUSED" "$file exists"
	author=$(git -C "$AURA_ROOT" config user.name 2>/dev/null || true)
	author=${author:-${USER:-$(id -un)}}
	cat >"$file" <<EOF
-- Migration: ${version}_$name.sql
-- Description: $desc
-- Author: $author
-- Created: $(date -u +%Y-%m-%d)
--
-- Optional header lines (see db/migrations/README.md):
--   -- Environments: development, staging     (default: all environments)
--   -- Depends: YYYYMMDDNNN
--   -- Requires: schema auth, function auth.uid()
-- A down migration goes beside this file: ${version}_$name.down.sql
--
-- Rules: no BEGIN/COMMIT, no psql meta-commands; schema-qualify everything;
-- a new table in public needs user_id, RLS enabled, owner policies and an
-- index leading with user_id.  Acknowledge a lint finding with
-- "-- aura:allow <code>" above the statement.

EOF
	echo "created $file"
	echo "version $version; edit it, then: scripts/migrations/run-migration.sh development ${version}_$name.sql --dry-run"
	exit "$EXIT_OK"
}

# ---------------------------------------------------------------------------
# migration files
# ---------------------------------------------------------------------------

# header_environments FILE: the value of the "-- Environments:" header line,
# read the way register_file() reads it (the leading block of blank and
# comment lines; first occurrence; key case-insensitive)
header_environments() {
	awk '{
		t = $0
		sub(/^[ \t\r\f\v]+/, "", t)
		if (t == "") next
		if (substr(t, 1, 2) != "--") exit
		t = substr(t, 3)
		sub(/^[ \t]+/, "", t)
		i = index(t, ":")
		if (i == 0) next
		if (tolower(substr(t, 1, i - 1)) == "environments") {
			v = substr(t, i + 1)
			sub(/^[ \t\r\f\v]+/, "", v)
			sub(/[ \t\r\f\v]+$/, "", v)
			print v
			exit
		}
	}' "$1"
}

# for_env FILE ENV: the file's header lets it run in ENV
for_env() {
	envs=$(header_environments "$1")
	[ -z "$envs" ] && return 0
	IFS=, read -r -a items <<<"$envs"
	for e in "${items[@]}"; do
		e=$(printf '%s' "$e" | tr -d ' \t\r')
		[ "$e" = "$2" ] && return 0
	done
	return 1
}

# collect_files: FILES (paths, in version order) of MIGRATION_DIRS for ENV;
# SKIPPED_FILES those whose header leaves ENV out
collect_files() {
	FILES=()
	SKIPPED_FILES=()
	list=""
	for d in $CONF_MIGRATION_DIRS; do
		case "$d" in
			/*) p=$d ;;
			*) p="$AURA_ROOT/$d" ;;
		esac
		[ -d "$p" ] || die "$EXIT_REFUSED" "MIGRATION_DIRS of $ENV lists $d, which is not a directory ($p)"
		for f in "$p"/*.sql; do
			[ -e "$f" ] || continue
			b=$(basename "$f")
			case "$b" in
				*.down.sql)
					up="${f%.down.sql}.sql"
					[ -f "$up" ] || die "$EXIT_REFUSED" "$f: down migration without its up file $(basename "$up")"
					continue
					;;
			esac
			printf '%s' "$b" | grep -Eq '^[0-9]{11}_[a-z][a-z0-9_]*\.sql$' ||
				die "$EXIT_REFUSED" "$f: not a migration file name (YYYYMMDDNNN_snake_case_name.sql)"
			list="$list${b:0:11}	$f
"
		done
	done
	dup=$(printf '%s' "$list" | cut -f1 | sort | uniq -d | head -n 1)
	[ -z "$dup" ] || die "$EXIT_REFUSED" "two migration files have version $dup: $(printf '%s' "$list" | grep "^$dup" | cut -f2 | tr '\n' ' ')"
	while IFS='	' read -r v f; do
		[ -n "$v" ] || continue
		if for_env "$f" "$ENV"; then
			FILES+=("$f")
		else
			SKIPPED_FILES+=("$f")
		fi
	done <<EOF
$(printf '%s' "$list" | sort)
EOF
}

# ---------------------------------------------------------------------------
# the psql session
# ---------------------------------------------------------------------------

# out LINE...: one line each, printed as is
out() {
	printf '%s\n' "$@"
}

# gen_session: the SQL script of the run, on stdout
gen_session() {
	if [ -n "$TARGET" ]; then
		t="'$TARGET'"
	else
		t="NULL"
	fi
	intxn=no
	out '\set ON_ERROR_STOP 1'
	out '\set VERBOSITY verbose'
	if [ "$CONF_LOG_DETAIL" = full ]; then
		out '\set SHOW_CONTEXT errors'
	else
		out '\set SHOW_CONTEXT never'
	fi
	out "SET application_name = 'run-migration.sh';"
	out '\echo @@phase settings'
	# loads the library, and with it the aura_migrate.* settings
	out "SELECT aura_migrate.checksum('') IS NOT NULL AS am_loaded \\gset"
	for kv in "lock_timeout=$CONF_LOCK_TIMEOUT" "lock_retries=$CONF_LOCK_RETRIES" "statement_timeout=$CONF_STATEMENT_TIMEOUT"; do
		k=${kv%%=*}
		v=${kv#*=}
		[ -n "$v" ] || continue
		out "SELECT has_parameter_privilege('aura_migrate.$k', 'SET') AS am_can_set \\gset"
		out '\if :am_can_set'
		out "SET aura_migrate.$k = '$v';"
		out "\\echo '@@SET|aura_migrate.$k|$v'"
		out '\else'
		out "\\echo '@@WARN|cannot set aura_migrate.$k (needs superuser or GRANT SET ON PARAMETER): the database setting applies'"
		out '\endif'
	done
	if [ "$DRY_RUN" = yes ]; then
		out 'BEGIN ISOLATION LEVEL READ COMMITTED;'
		intxn=yes
	fi

	out '\echo @@phase register'
	func=aura_migrate.register_file
	if [ "$CONF_REPLACE_PENDING" = yes ]; then
		func=pg_temp.am_register_file
		out "CREATE FUNCTION pg_temp.am_register_file(f text, up text, down text) RETURNS text"
		out "LANGUAGE sql AS 'SELECT aura_migrate.register_file(f, up, down, replace => true)';"
	fi
	if [ ${#REG_FILES[@]} -gt 0 ]; then
		sh "$GEN_REGISTER" "$func" "${REG_FILES[@]}" || return 1
	fi
	if [ "$CONF_REPLACE_PENDING" = yes ]; then
		out "DROP FUNCTION pg_temp.am_register_file(text, text, text);"
	fi

	out '\echo @@phase plan'
	out "SELECT format('@@PENDING|%s|%s|%s', version, name, state) FROM aura_migrate.status()"
	out " WHERE state IN ('pending', 'failed') AND ($t IS NULL OR version <= $t) ORDER BY version;"
	out '\echo @@phase lint'
	# a migrator role may lack EXECUTE on findings(): apply() still refuses
	# lint errors outside development
	cat <<EOF
SELECT has_function_privilege('aura_migrate.findings(text)', 'EXECUTE') AS am_can_lint \\gset
\\if :am_can_lint
SELECT coalesce(string_agg(format('@@LINT|%s|%s|%s|%s|%s', f.version, coalesce(f.line::text, '?'),
                                  f.code, coalesce(f.object, ''), replace(f.message, E'\\n', ' ')),
                           E'\\n' ORDER BY f.version, f.line, f.col), '') AS am_lint_report,
       count(*) > 0 AS am_lint_errors
  FROM aura_migrate.findings() f
  JOIN aura_migrate.status() s ON s.version = f.version
 WHERE s.state IN ('pending', 'failed') AND f.severity = 'error' AND NOT f.allowed
   AND ($t IS NULL OR f.version <= $t) \\gset
\\if :am_lint_errors
\\echo :am_lint_report
\\echo @@lint_errors
EOF
	if [ "$CONF_LINT_ERRORS" = refuse ]; then
		[ "$intxn" = yes ] && echo 'ROLLBACK;'
		out '\echo @@stop lint'
		out '\quit'
	fi
	out '\endif'
	out '\else'
	out "\\echo '@@WARN|no EXECUTE on aura_migrate.findings(): the script cannot list lint errors (apply() still refuses them outside development)'"
	out '\endif'

	out '\echo @@phase apply'
	if [ "$DRY_RUN" = yes ]; then
		dry=", dry_run => true"
	elif [ "$CONF_APPLY_MODE" = apply ]; then
		out 'BEGIN ISOLATION LEVEL READ COMMITTED;'
		intxn=yes
	fi
	if [ "$intxn" = yes ]; then
		out "SELECT format('@@APPLIED|%s|%s|%s|%s|%s', version, name, status, round(duration_ms::numeric, 1), statements)"
		out "  FROM aura_migrate.apply($t${dry:-});"
	else
		out "CALL aura_migrate.migrate($t);"
	fi

	if [ "$CONF_RLS_CHECK" != off ]; then
		out '\echo @@phase rls'
		probes=false
		[ "$CONF_RLS_PROBES" = on ] && probes=true
		# shellcheck disable=SC2086
		schemas=$(sql_array $CONF_RLS_SCHEMAS)
		if [ -n "$CONF_RLS_ALLOW_DEFINER" ]; then
			# shellcheck disable=SC2086
			allow="$(sql_array $CONF_RLS_ALLOW_DEFINER)::text[]"
		else
			allow="NULL::text[]"
		fi
		cat <<EOF
SELECT p.oid IS NOT NULL AS am_has_rls, coalesce(has_function_privilege(p.oid, 'EXECUTE'), false) AS am_can_rls
  FROM (SELECT max(oid) AS oid FROM pg_catalog.pg_proc
         WHERE proname = 'check_rls' AND pronamespace = 'aura_migrate'::regnamespace) p \\gset
\\if :am_can_rls
\\echo '@@RLSCALL|check_rls($schemas, $probes)'
SELECT coalesce(string_agg(format('@@RLS|%s|%s|%s|%s', severity, code, coalesce(object, ''), replace(message, E'\\n', ' ')),
                           E'\\n' ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code, object), '') AS am_rls_report,
       count(*) FILTER (WHERE severity = 'error') > 0 AS am_rls_errors
  FROM aura_migrate.check_rls($schemas::name[], $probes, $allow) \\gset
\\echo :am_rls_report
\\if :am_rls_errors
\\echo @@rls_errors
EOF
		if [ "$CONF_RLS_CHECK" = refuse ] && [ "$intxn" = yes ]; then
			out 'ROLLBACK;'
			out '\echo @@stop rls'
			out '\quit'
		fi
		out '\endif'
		out '\else'
		out '\if :am_has_rls'
		out "\\echo '@@NORLS|the connected role has no EXECUTE on aura_migrate.check_rls()'"
		out '\else'
		out "\\echo '@@NORLS|this aura_migrate has no check_rls()'"
		out '\endif'
		if [ "$CONF_RLS_CHECK" = refuse ]; then
			[ "$intxn" = yes ] && out 'ROLLBACK;'
			out '\echo @@stop norls'
			out '\quit'
		fi
		out '\endif'
	fi

	out '\echo @@phase end'
	if [ "$DRY_RUN" = yes ]; then
		out 'ROLLBACK;'
	elif [ "$intxn" = yes ]; then
		out 'COMMIT;'
	fi
	out '\echo @@done'
}

# format_progress: the tagged session output as readable progress lines
format_progress() {
	awk -v dry="$DRY_RUN" -v mode="$CONF_APPLY_MODE" -v lintmode="$CONF_LINT_ERRORS" \
		-v rlsmode="$CONF_RLS_CHECK" -v nreg="${#REG_FILES[@]}" '
	function rest(n,   i, s) { s = $n; for (i = n + 1; i <= NF; i++) s = s "|" $i; return s }
	BEGIN { FS = "|" }
	/^$/ { next }
	/^@@phase / {
		ph = substr($0, 9)
		if (ph == "register") printf "== registering %d file(s)\n", nreg
		else if (ph == "plan") { print "== pending, in order"; npend = 0 }
		else if (ph == "lint") { if (npend == 0) print "   nothing pending" }
		else if (ph == "apply") {
			if (dry == "yes") print "== dry run: apply() inside a transaction that is rolled back"
			else if (mode == "migrate") print "== applying: CALL aura_migrate.migrate() (a commit after each migration)"
			else print "== applying: SELECT * FROM aura_migrate.apply() (one transaction)"
			napp = 0
		}
		else if (ph == "rls") { if (napp == 0 && mode != "migrate") print "   nothing applied" }
		else if (ph == "end") { if (napp == 0 && mode != "migrate" && !rlsdone) print "   nothing applied" }
		next
	}
	/^@@SET\|/ { printf "   set %s = %s\n", $2, $3; next }
	/^@@WARN\|/ { printf "warning: %s\n", rest(2); next }
	/^@@PENDING\|/ { npend++; printf "   %s  %s%s\n", $2, $3, ($4 == "failed" ? "  (failed before; tried again)" : ""); next }
	/^@@LINT\|/ {
		if (!nlint++) print "== lint errors in the pending migrations (aura_migrate.findings())"
		printf "   %s line %s  %s  %s: %s\n", $2, $3, $4, $5, rest(6); next
	}
	/^@@lint_errors/ {
		if (lintmode == "refuse") printf "   %d lint error(s): LINT_ERRORS=refuse, nothing is applied (fix them, or acknowledge with -- aura:allow <code>)\n", nlint
		else printf "   %d lint error(s): LINT_ERRORS=report, going on; exit status 2 at the end\n", nlint
		next
	}
	/^@@APPLIED\|/ { napp++; printf "   %s %s %s: %s statement(s), %s ms\n", (dry == "yes" ? "would apply" : $4), $2, $3, $6, $5; next }
	/^@@RLSCALL\|/ { rlsdone = 1; if (napp == 0 && mode != "migrate") print "   nothing applied"; printf "== RLS check: aura_migrate.%s\n", rest(2); next }
	/^@@RLS\|/ { nrls++; if ($2 == "error") nerr++; printf "   %-7s %-32s %s: %s\n", $2, $3, $4, rest(5); next }
	/^@@rls_errors/ {
		if (rlsmode == "refuse" && (mode == "apply" || dry == "yes")) printf "   %d error-level finding(s): RLS_CHECK=refuse, the run is rolled back\n", nerr
		else printf "   %d error-level finding(s): RLS_CHECK=%s; exit status 2 at the end\n", nerr, rlsmode
		next
	}
	/^@@NORLS\|/ {
		if (rlsmode == "refuse") printf "== the RLS check cannot run: %s; RLS_CHECK=refuse, so the run %s (set RLS_CHECK=report or off, or grant EXECUTE)\n", rest(2), ((mode == "apply" || dry == "yes") ? "is rolled back" : "fails")
		else printf "warning: %s: the RLS check was skipped\n", rest(2)
		next
	}
	/^@@stop norls/ { next }
	/^@@stop lint/ { print "== stopped: lint errors; nothing was applied"; next }
	/^@@stop rls/ { print "== stopped: check_rls() error findings; the run was rolled back, nothing was applied"; next }
	/^@@done/ {
		if (rlsdone && nrls == 0) print "   no findings"
		if (dry == "yes") print "== dry run rolled back: nothing was changed"
		else if (mode == "apply") print "== committed"
		next
	}
	/^[0-9]+_[a-z0-9_]*\.sql\|(registered|unchanged|replaced)$/ { printf "   %-10s %s\n", $2, $1; next }
	{ print }'
}

# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

[ $# -ge 1 ] || {
	usage >&2
	exit "$EXIT_REFUSED"
}
case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	new)
		shift
		cmd_new "$@"
		;;
esac

ENV=""
FILE_ARG=""
DRY_RUN=no
FORCE_ENV=no
for a in "$@"; do
	case "$a" in
		--dry-run) DRY_RUN=yes ;;
		--force-env) FORCE_ENV=yes ;;
		-h | --help)
			usage
			exit 0
			;;
		-*) die "$EXIT_REFUSED" "unknown option $a (see --help)" ;;
		*)
			if [ -z "$ENV" ]; then
				ENV=$a
			elif [ -z "$FILE_ARG" ]; then
				FILE_ARG=$a
			else
				die "$EXIT_REFUSED" "too many arguments (see --help)"
			fi
			;;
	esac
done
valid_env "$ENV" || die "$EXIT_REFUSED" "ENV must be development, staging or production (got '$ENV')"
load_conf "$ENV"
collect_files

# the target: the version of FILE, which must be one of this environment's files
TARGET=""
if [ -n "$FILE_ARG" ]; then
	fb=$(basename "$FILE_ARG")
	if printf '%s' "$fb" | grep -Eq '^[0-9]{11}$'; then
		TARGET=$fb
	else
		printf '%s' "$fb" | grep -Eq '^[0-9]{11}_[a-z][a-z0-9_]*\.sql$' ||
			die "$EXIT_REFUSED" "FILE must be a migration file name YYYYMMDDNNN_name.sql or a version YYYYMMDDNNN (got '$FILE_ARG')"
		TARGET=${fb:0:11}
	fi
	found=""
	for f in "${FILES[@]}"; do
		b=$(basename "$f")
		if [ "${b:0:11}" = "$TARGET" ]; then
			found=$f
		fi
	done
	if [ -z "$found" ]; then
		for f in "${SKIPPED_FILES[@]}"; do
			[ "$(basename "$f" | cut -c1-11)" = "$TARGET" ] &&
				die "$EXIT_REFUSED" "$f is not for $ENV (its header says: Environments: $(header_environments "$f"))"
		done
		die "$EXIT_REFUSED" "no migration $FILE_ARG in $CONF_MIGRATION_DIRS (the MIGRATION_DIRS of $ENV)"
	fi
	if [ "$fb" != "$TARGET" ] && [ "$(basename "$found")" != "$fb" ]; then
		die "$EXIT_REFUSED" "version $TARGET is $(basename "$found"), not $fb"
	fi
	TARGET_DESC="$TARGET ($(basename "$found")) and everything pending before it"
else
	TARGET_DESC="everything pending"
fi

# the files registered: this environment's, up to the target
REG_FILES=()
for f in "${FILES[@]}"; do
	b=$(basename "$f")
	if [ -z "$TARGET" ] || [ "${b:0:11}" \< "$TARGET" ] || [ "${b:0:11}" = "$TARGET" ]; then
		REG_FILES+=("$f")
	fi
done

kind=run
[ "$DRY_RUN" = yes ] && kind=dryrun
new_log_file "$kind"
START=$(date -u +%s)

# say LINE...: to the terminal and the log
say() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>"$LOG_FILE"
}

say "# aura_migrate run-migration.sh"
say "# started:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "# environment: $ENV"
say "# mode:        $([ "$DRY_RUN" = yes ] && echo 'dry run (rolled back)' || echo "$CONF_APPLY_MODE")"
say "# target:      $TARGET_DESC"
say "# settings:    $AURA_MIGRATE_CONF: MIGRATION_DIRS='$CONF_MIGRATION_DIRS' APPLY_MODE=$CONF_APPLY_MODE LOG_DETAIL=$CONF_LOG_DETAIL REPLACE_PENDING=$CONF_REPLACE_PENDING LINT_ERRORS=$CONF_LINT_ERRORS RLS_CHECK=$CONF_RLS_CHECK RLS_PROBES=$CONF_RLS_PROBES"
say "# project:     $AURA_ROOT ($(git_desc))"
say "# log:         $LOG_FILE"

check_connect
check_extension "$ENV" "$FORCE_ENV"
say "# database:    $DB_DESC, aura_migrate.environment = $DB_ENV"
for f in "${REG_FILES[@]}"; do
	sum=$(sha256sum "$f" | cut -c1-64)
	say "# file:        $(basename "$f") sha256 $sum"
done
for f in "${SKIPPED_FILES[@]}"; do
	say "# not for $ENV: $(basename "$f") (Environments: $(header_environments "$f"))"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_run.XXXXXX") || die "$EXIT_REFUSED" "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT
gen_session >"$WORK/session.sql" || die "$EXIT_REFUSED" "cannot generate the registration SQL"

psql_cmd -q -At <"$WORK/session.sql" 2>&1 | tee "$WORK/raw" | filter_messages "$CONF_LOG_DETAIL" |
	format_progress | tee -a "$LOG_FILE"
rc=${PIPESTATUS[0]}

last_phase=$(sed -n 's/^@@phase //p' "$WORK/raw" | tail -n 1)
if grep -q '^@@done' "$WORK/raw"; then
	if grep -q '^@@lint_errors\|^@@rls_errors' "$WORK/raw"; then
		status=$EXIT_FINDINGS
	else
		status=$EXIT_OK
	fi
elif grep -q '^@@stop norls' "$WORK/raw"; then
	status=$EXIT_FAILED
elif grep -q '^@@stop ' "$WORK/raw"; then
	status=$EXIT_FINDINGS
elif grep -q 'post-migration check failed: row level security finding' "$WORK/raw"; then
	# the engine's own row level security gate stopped a migration
	status=$EXIT_FINDINGS
	if [ "$CONF_APPLY_MODE" = apply ] || [ "$DRY_RUN" = yes ]; then
		say "== stopped: a migration added a check_rls() error finding (above); the run was rolled back"
	else
		say "== stopped: a migration added a check_rls() error finding (above); it was rolled back, the ones before it stay committed"
	fi
elif [ "$rc" -eq 2 ]; then
	status=$EXIT_UNREACHABLE
	say "== the connection to the database was lost during the '$last_phase' step; check status() before running again"
else
	status=$EXIT_FAILED
	case "$last_phase" in
		register) say "== failed: a migration could not be registered; nothing was applied" ;;
		apply)
			if [ "$DRY_RUN" = yes ]; then
				say "== dry run: a migration failed (above: version, statement, line); rolled back, nothing was changed"
			elif [ "$CONF_APPLY_MODE" = apply ]; then
				say "== failed: a migration failed (above: version, statement, line); the run was rolled back"
			else
				say "== failed: a migration failed (above: version, statement, line); the ones before it stay committed"
			fi
			;;
		rls) say "== failed: check_rls() could not run$([ "$CONF_APPLY_MODE" = apply ] && echo '; the run was rolled back')" ;;
		*) say "== failed during the '${last_phase:-start}' step" ;;
	esac
fi

# the state afterwards, as status() reports it (privacy-safe: last_error
# holds statement number, line, message and SQLSTATE only)
if [ "$DRY_RUN" = no ] && [ "$status" -ne "$EXIT_UNREACHABLE" ]; then
	if [ -n "$TARGET" ]; then t="'$TARGET'"; else t=NULL; fi
	st=$(psql_cmd -q -At -F '|' -c "SELECT version, name, state, coalesce(last_error, '') FROM aura_migrate.status() WHERE $t IS NULL OR version <= $t ORDER BY version" 2>&1)
	say "== status()"
	printf '%s\n' "$st" | while IFS='|' read -r v n s e; do
		[ -n "$v" ] || continue
		if [ -n "$e" ]; then
			say "   $v  $n  $s: $e"
		else
			say "   $v  $n  $s"
		fi
	done
	failed_v=$(sed -n 's/.*migration \([0-9]\{11\}\) ([a-z0-9_]*) failed.*/\1/p' "$WORK/raw" | tail -n 1)
	if [ "$status" -eq "$EXIT_FAILED" ] && [ "$CONF_LOG_DETAIL" = full ] && [ -n "$failed_v" ]; then
		# development: the failing statement, from the extension's log (its owner can read it)
		txt=$(psql_cmd -q -At -c "SELECT format(E'failed: version %s, statement %s, line %s, SQLSTATE %s\\n%s', version, statement_no, line, sqlstate, statement_text) FROM aura_migrate.log WHERE event IN ('failed', 'check_failed') AND version = '$failed_v' ORDER BY id DESC LIMIT 1" 2>/dev/null)
		if [ -n "$txt" ]; then
			say "== the failing statement (aura_migrate.log)"
			printf '%s\n' "$txt" | while IFS= read -r l; do say "   $l"; done
		fi
	fi
fi

case "$status" in
	0) res="success" ;;
	1) res="a migration failed" ;;
	2) res="error-level findings" ;;
	3) res="database unreachable" ;;
	*) res="error" ;;
esac
say "# result:      $res$([ "$DRY_RUN" = yes ] && echo ' (dry run: nothing was changed)')"
say "# finished:    $(date -u +%Y-%m-%dT%H:%M:%SZ) ($(($(date -u +%s) - START)) s), exit status $status"
exit "$status"
