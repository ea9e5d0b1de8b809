#!/usr/bin/env bash
#
# scripts/migrations/validate-rls.sh: run aura_migrate.check_rls() against the
# database and report its findings.
#
#   validate-rls.sh ENV [--probes | --no-probes] [--force-env]
#
# ENV is development, staging or production; RLS_SCHEMAS, RLS_PROBES and
# RLS_ALLOW_DEFINER come from scripts/migrations/environments.conf
# (probes: on in development and staging, off in production unless --probes).
# The database is the one DATABASE_URL names, or else the standard PG*
# variables.  Prints a table of the findings and writes the report to
# logs/migrations/YYYYMMDDTHHMMSSZ_ENV_rls.log.
#
# RLS_REPORT_COLUMNS (default 160) is the width the findings table wraps at.
#
# Exit status: 0 no error-level finding; 1 check_rls() could not run;
# 2 error-level findings; 3 the database cannot be reached; 4 refused
# (usage, settings, extension or check_rls() missing, environment mismatch).

set -u
PROG=validate-rls.sh
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

usage() {
	cat <<'EOF'
usage: validate-rls.sh ENV [--probes | --no-probes] [--force-env]

  ENV          development | staging | production (settings: scripts/migrations/environments.conf)
  --probes     run the behavioural probes (act as anon, authenticated, service_role; always
               rolled back) even where the environment's RLS_PROBES is off (production)
  --no-probes  structural checks only
  --force-env  go on even though the database's aura_migrate.environment is not ENV

Connection: DATABASE_URL, or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, ...
Exit status: 0 clean (no error-level finding), 1 check could not run, 2 error-level findings,
             3 database unreachable, 4 refused
EOF
}

ENV=""
PROBES=""
FORCE_ENV=no
for a in "$@"; do
	case "$a" in
		--probes) PROBES=on ;;
		--no-probes) PROBES=off ;;
		--force-env) FORCE_ENV=yes ;;
		-h | --help)
			usage
			exit 0
			;;
		-*) die "$EXIT_REFUSED" "unknown option $a (see --help)" ;;
		*)
			[ -z "$ENV" ] || die "$EXIT_REFUSED" "too many arguments (see --help)"
			ENV=$a
			;;
	esac
done
[ -n "$ENV" ] || {
	usage >&2
	exit "$EXIT_REFUSED"
}
valid_env "$ENV" || die "$EXIT_REFUSED" "ENV must be development, staging or production (got '$ENV')"
load_conf "$ENV"
PROBES=${PROBES:-$CONF_RLS_PROBES}
case "${RLS_REPORT_COLUMNS:-160}" in
	'' | *[!0-9]*) die "$EXIT_REFUSED" "RLS_REPORT_COLUMNS must be a number (the width of the findings table)" ;;
esac

new_log_file rls
START=$(date -u +%s)

# say LINE...: to the terminal and the report

say "# aura_migrate validate-rls.sh"
say "# started:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "# environment: $ENV"
say "# schemas:     ${CONF_RLS_SCHEMAS:-(aura_migrate.checked_schemas of the database)}"
say "# probes:      $PROBES"
say "# allowed SECURITY DEFINER for anon/PUBLIC: ${CONF_RLS_ALLOW_DEFINER:-(none)}"
say "# report:      $LOG_FILE"

check_connect
check_extension "$ENV" "$FORCE_ENV"
say "# database:    $DB_DESC, aura_migrate.environment = $DB_ENV"

has=$(psql_cmd -At -c "SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = 'check_rls' AND pronamespace = 'aura_migrate'::regnamespace" 2>&1) ||
	die "$EXIT_FAILED" "cannot read pg_proc: $has"
[ "$has" != 0 ] || die "$EXIT_REFUSED" "this aura_migrate has no check_rls() (installed version $EXT_VERSION); update the extension"

probes=false
[ "$PROBES" = on ] && probes=true
# shellcheck disable=SC2086
if [ -n "$CONF_RLS_SCHEMAS" ]; then
	# shellcheck disable=SC2086
	schemas="$(sql_array $CONF_RLS_SCHEMAS)::name[]"
else
	schemas="NULL::name[]"
fi
if [ -n "$CONF_RLS_ALLOW_DEFINER" ]; then
	# shellcheck disable=SC2086
	allow="$(sql_array $CONF_RLS_ALLOW_DEFINER)::text[]"
else
	allow="NULL::text[]"
fi
call="aura_migrate.check_rls($schemas, $probes, $allow)"
say "== $call"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_rls.XXXXXX") || die "$EXIT_REFUSED" "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT

# one call; the findings as rows (unaligned, for counting) and as a table
if ! psql_cmd -q -v ON_ERROR_STOP=1 >"$WORK/out" 2>"$WORK/err" <<EOF; then
\\set VERBOSITY default
\\set SHOW_CONTEXT never
CREATE TEMP TABLE am_findings AS
SELECT row_number() OVER (ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                                   f.code, f.object) AS n,
       f.severity, f.code, f.object, f.message, f.hint
  FROM $call f;
\\pset footer off
\\pset format unaligned
\\pset tuples_only on
\\pset fieldsep '|'
SELECT '@@COUNT', count(*) FILTER (WHERE severity = 'error'), count(*) FILTER (WHERE severity = 'warning'),
       count(*) FILTER (WHERE severity = 'info')
  FROM am_findings;
\\pset format wrapped
\\pset columns ${RLS_REPORT_COLUMNS:-160}
\\pset tuples_only off
\\echo @@TABLE
SELECT n AS "#", severity, code, object, message FROM am_findings ORDER BY n;
\\echo @@HINTS
\\pset format unaligned
\\pset tuples_only on
SELECT format('  #%s %s: %s', n, code, hint) FROM am_findings WHERE hint IS NOT NULL ORDER BY n;
EOF
	if grep -q 'could not connect\|connection to server' "$WORK/err"; then
		sed 's/^/    /' "$WORK/err" >&2
		die "$EXIT_UNREACHABLE" "the connection to the database was lost"
	fi
	say "== check_rls() failed:"
	while IFS= read -r l; do say "   $l"; done <"$WORK/err"
	say "# finished:    $(date -u +%Y-%m-%dT%H:%M:%SZ), exit status $EXIT_FAILED"
	exit "$EXIT_FAILED"
fi

IFS='|' read -r _ nerr nwarn ninfo <<EOF
$(grep '^@@COUNT|' "$WORK/out")
EOF
nerr=${nerr:-0}
nwarn=${nwarn:-0}
ninfo=${ninfo:-0}

if [ $((nerr + nwarn + ninfo)) -eq 0 ]; then
	say "   no findings"
else
	sed -n '/^@@TABLE$/,/^@@HINTS$/p' "$WORK/out" | sed '1d;$d' | while IFS= read -r l; do say "$l"; done
	say "== hints"
	sed -n '/^@@HINTS$/,$p' "$WORK/out" | sed '1d' | while IFS= read -r l; do say "$l"; done
fi
say "== $nerr error(s), $nwarn warning(s), $ninfo info"

if [ "$nerr" -gt 0 ]; then
	status=$EXIT_FINDINGS
	say "# result:      error-level findings: row level security does not hold"
else
	status=$EXIT_OK
	say "# result:      clean (no error-level finding)"
fi
say "# finished:    $(date -u +%Y-%m-%dT%H:%M:%SZ) ($(($(date -u +%s) - START)) s), exit status $status"
exit "$status"
