#!/usr/bin/env bash
#
# test/shell/scripts.sh: scripts/migrations/run-migration.sh and
# validate-rls.sh against a real server.
#
# Proves, each with its own database (created here, dropped at the end) and
# its own migration directory (AURA_ROOT points the scripts at a temporary
# project tree, AURA_LOG_DIR their logs at a temporary directory, so nothing
# lands in the repository):
#   - quoting: migrations whose SQL holds '' quotes, backslashes, E'' strings,
#     $$ and $tag$ bodies, the gen-register-sql.sh tag itself, psql-looking
#     text (:var, \i), no final newline, and a down file, register byte-exactly
#     (aura_migrate.migration.checksum = sha256sum of the file) and run as written;
#   - --dry-run leaves nothing but its dry_run events: pg_dump --schema-only,
#     registry, history and the rest of the log are the same before and after, for a dry run that succeeds (exit 0,
#     "would apply") and one that fails (exit 1, the real error with statement
#     and line, and no failure row in aura_migrate.log);
#   - a failing migration: exit 1, rolled back, status() failed, and the run log
#     names version, statement and line (in development also the DETAIL);
#   - privacy: in staging the run log and the terminal carry version,
#     statement, line and SQLSTATE but no SQL text, no DETAIL, no row value;
#   - unreachable database: exit 3 with a clear message (PG* and DATABASE_URL,
#     both scripts);
#   - error-level findings: exit 2 for lint errors in staging (nothing
#     applied), check_rls() errors after apply in development (report) and in
#     staging (the run is rolled back), validate-rls.sh 2 / 0, and its report;
#   - the Aura migrations from the repository apply with exit 0 and
#     validate-rls.sh finds no error in them (probes on);
#   - DATABASE_URL is honoured over the PG* variables, and no password in the log;
#   - FILE as a target applies only up to it; "-- Environments:" headers
#     choose the files; a database of another environment is refused (exit 4)
#     unless --force-env; APPLY_MODE=migrate; a bad settings value is refused;
#   - "new NAME": the file, its header (accepted by register_file()), the next
#     free NNN for today, a snake_case check.
#
# Environment: standard PG* variables (run it under pg_virtualenv -v $PGVER, scripts/lib.sh's);
# KEEP_WORK=1 keeps the temporary tree, logs and outputs for a look.
# Prints "N passed, M failed"; exits non-zero on failure.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN="$ROOT/scripts/migrations/run-migration.sh"
VAL="$ROOT/scripts/migrations/validate-rls.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_scripts.XXXXXX")
export AURA_LOG_DIR="$WORK/logs"
P="am_scr_$$"
DBS=""
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

# has LABEL FILE PATTERN / hasnt LABEL FILE PATTERN (fixed strings)
cleanup() {
	for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# mkdb NAME ENV [aura]: a database with the extension; without "aura" the
# bundled Aura migrations are unregistered so the test's own run alone
mkdb() {
	db="${P}_$1"
	DBS="$DBS $db"
	createdb "$db" || return 1
	$PSQL -d "$db" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null || return 1
	if [ "${3:-}" = aura ]; then
		$PSQL -d "$db" -c "CREATE EXTENSION aura_schema CASCADE" || return 1
	else
		$PSQL -d "$db" -c "CREATE EXTENSION aura_migrate" || return 1
	fi
	[ "$2" = development ] || $PSQL -d "$db" -c "ALTER DATABASE $db SET aura_migrate.environment = '$2'" || return 1
	if [ "${3:-}" != aura ]; then
		$PSQL -d "$db" -c "CREATE SCHEMA app" || return 1
	fi
}

# mkroot NAME: a project tree with an empty db/migrations/production
mkroot() {
	mkdir -p "$WORK/$1/db/migrations/production"
	echo "$WORK/$1"
}

# header VERSION NAME [EXTRA-HEADER-LINE]
header() {
	printf -- '-- Migration: %s_%s.sql\n-- Description: test migration %s\n-- Author: test\n-- Created: 2026-01-01\n' "$1" "$2" "$2"
	[ -n "${3:-}" ] && printf -- '%s\n' "$3"
	return 0
}

# run OUT AURA_ROOT ARGS...: run-migration.sh, output to OUT; sets rc and LOG
run() {
	out=$1
	r=$2
	shift 2
	AURA_ROOT=$r bash "$RUN" "$@" >"$out" 2>&1
	rc=$?
	LOG=$(sed -n 's/^# log: *//p' "$out" | head -n 1)
	[ -n "$LOG" ] || LOG=/dev/null
}

sql() {
	$PSQL -d "${P}_$1" -c "$2"
}

echo "== quoting: byte-exact registration"
mkdb quote development
R=$(mkroot quote)
F1="$R/db/migrations/production/20260101001_quoting.sql"
{
	header 20260101001 quoting
	cat <<'EOF'
CREATE TABLE app.q_t (id int PRIMARY KEY, s text);
INSERT INTO app.q_t VALUES
  (1, 'it''s a "quote"'),
  (2, E'back\\slash\ttab\'q'),
  (3, 'C:\path\n'),
  (4, $$dollar 'single' \ $$),
  (5, $aura_file$tagged$aura_file$),
  (6, ':var :''x'' \i nothing');
CREATE FUNCTION app.q_fn() RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
  RETURN $$in $$ || 'body''s \ ' || E'\\' || $x$$$x$;
END
$body$;
EOF
} >"$F1"
F1D="$R/db/migrations/production/20260101001_quoting.down.sql"
printf '%s\n' "DROP FUNCTION app.q_fn(); -- it's \\ \$\$" "DROP TABLE app.q_t;" >"$F1D"
F2="$R/db/migrations/production/20260101002_no_newline.sql"
{
	header 20260101002 no_newline
	printf '%s' "SELECT 'no final newline \\', \$\$\$\$, E'\\\\'"
} >"$F2"
PGDATABASE="${P}_quote" run "$WORK/q.out" "$R" development
check "quoting: run-migration.sh development exits 0" 0 "$rc"
check "quoting: 20260101001 checksum = sha256sum of the file" "$(sha256sum "$F1" | cut -c1-64)" \
	"$(sql quote "SELECT checksum FROM aura_migrate.migration WHERE version = '20260101001'")"
check "quoting: its down SQL = sha256sum of the .down.sql file" "$(sha256sum "$F1D" | cut -c1-64)" \
	"$(sql quote "SELECT aura_migrate.checksum(down_sql) FROM aura_migrate.migration WHERE version = '20260101001'")"
check "quoting: 20260101002 (no final newline) checksum = sha256sum" "$(sha256sum "$F2" | cut -c1-64)" \
	"$(sql quote "SELECT checksum FROM aura_migrate.migration WHERE version = '20260101002'")"
check "quoting: both applied" "20260101001,20260101002" \
	"$(sql quote "SELECT string_agg(version, ',' ORDER BY version) FROM aura_migrate.history")"
check "quoting: the values came through as written" "true|true|true|true|true|true" "$($PSQL -d "${P}_quote" <<'EOF'
SELECT string_agg((s = CASE id WHEN 1 THEN 'it''s a "quote"'
                               WHEN 2 THEN 'back\slash' || chr(9) || 'tab''q'
                               WHEN 3 THEN 'C:\path\n'
                               WHEN 4 THEN 'dollar ''single'' \ '
                               WHEN 5 THEN 'tagged'
                               WHEN 6 THEN ':var :''x'' \i nothing' END)::text, '|' ORDER BY id)
  FROM app.q_t;
EOF
)"
check "quoting: the \$body\$ function returns what it says" "t" \
	"$(sql quote "SELECT app.q_fn() = 'in body''s \\ \\\$'")"
has "quoting: progress lists the registration" "$WORK/q.out" "registered 20260101001_quoting.sql"
PGDATABASE="${P}_quote" run "$WORK/q2.out" "$R" development
check "quoting: a second run exits 0" 0 "$rc"
has "quoting: a second run finds the files unchanged" "$WORK/q2.out" "unchanged  20260101001_quoting.sql"

echo "== --dry-run leaves nothing"
mkdb dry development
R=$(mkroot dry)
D="$R/db/migrations/production"
{
	header 20260102001 base
	echo "CREATE TABLE app.base (id int PRIMARY KEY, v text);"
} >"$D/20260102001_base.sql"
PGDATABASE="${P}_dry" run "$WORK/d0.out" "$R" development
check "dry: the base migration applies (exit 0)" 0 "$rc"
snapshot() {
	# (pg_dump 15.14+ writes a random \restrict key per dump)
	pg_dump --schema-only -d "${P}_dry" | grep -v '^\\restrict \|^\\unrestrict '
	$PSQL -d "${P}_dry" <<'EOF'
SELECT 'migration', version, checksum, registered_at FROM aura_migrate.migration ORDER BY version;
SELECT 'history', version, checksum, applied_at FROM aura_migrate.history ORDER BY version;
SELECT 'log', id, version, event, logged_at FROM aura_migrate.log WHERE event <> 'dry_run' ORDER BY id;
SELECT 'rows', count(*) FROM app.base;
EOF
}
snapshot >"$WORK/dry.before"
{
	header 20260102002 more
	echo "CREATE TABLE app.more (id int PRIMARY KEY);"
	echo "INSERT INTO app.base VALUES (1, 'x');"
} >"$D/20260102002_more.sql"
PGDATABASE="${P}_dry" run "$WORK/d1.out" "$R" development --dry-run
check "dry: a dry run that succeeds exits 0" 0 "$rc"
has "dry: it reports what would be applied" "$WORK/d1.out" "would apply 20260102002 more"
has "dry: it says it rolled back" "$WORK/d1.out" "nothing was changed"
case "$LOG" in *_development_dryrun.log) ok "dry: its log is logs/migrations/*_development_dryrun.log" ;; *) notok "dry: log name $LOG" ;; esac
snapshot >"$WORK/dry.after1"
if cmp -s "$WORK/dry.before" "$WORK/dry.after1"; then ok "dry: schema dump, registry, history, log unchanged but for the dry run's own record (successful dry run)"; else
	notok "dry: something changed"
	diff "$WORK/dry.before" "$WORK/dry.after1" | head -20
fi
check "dry: the dry run itself is recorded: one dry_run event, no SQLSTATE" "20260102002|" \
	"$($PSQL -d "${P}_dry" -F '|' -c "SELECT version, sqlstate FROM aura_migrate.log WHERE event = 'dry_run'")"
{
	header 20260102003 broken
	echo "CREATE TABLE app.broken (id int PRIMARY KEY);"
	echo "INSERT INTO app.broken VALUES (1), (1);"
} >"$D/20260102003_broken.sql"
PGDATABASE="${P}_dry" run "$WORK/d2.out" "$R" development --dry-run
check "dry: a dry run whose migration fails exits 1" 1 "$rc"
has "dry: the real error, with version, statement and line" "$WORK/d2.out" "migration 20260102003 (broken) failed at statement 2, line 6"
has "dry: and the SQLSTATE" "$WORK/d2.out" "23505"
snapshot >"$WORK/dry.after2"
check "dry: the failing dry run is recorded as dry_run with its SQLSTATE and statement" "20260102003|23505|2" \
	"$($PSQL -d "${P}_dry" -F '|' -c "SELECT version, sqlstate, statement_no FROM aura_migrate.log WHERE event = 'dry_run' AND sqlstate IS NOT NULL")"
if cmp -s "$WORK/dry.before" "$WORK/dry.after2"; then ok "dry: nothing else changed after the failing dry run (no failed event in aura_migrate.log)"; else
	notok "dry: something changed after the failing dry run"
	diff "$WORK/dry.before" "$WORK/dry.after2" | head -20
fi

echo "== a failing migration"
mkdb fail development
R=$(mkroot fail)
{
	header 20260103001 ok_first
	echo "CREATE TABLE app.first (id int PRIMARY KEY);"
} >"$R/db/migrations/production/20260103001_ok_first.sql"
{
	header 20260103002 dup
	echo "CREATE TABLE app.dup (id int PRIMARY KEY, v text);"
	echo "INSERT INTO app.dup VALUES (1, 'dev-visible-value'),"
	echo "  (1, 'dev-visible-value');"
} >"$R/db/migrations/production/20260103002_dup.sql"
PGDATABASE="${P}_fail" run "$WORK/f.out" "$R" development
check "fail: exit status 1" 1 "$rc"
case "$LOG" in "$AURA_LOG_DIR"/*_development_run.log) ok "fail: log written as logs/migrations/<UTC>_development_run.log" ;; *) notok "fail: log name '$LOG'" ;; esac
has "fail: the log names version, statement and line" "$LOG" "migration 20260103002 (dup) failed at statement 2, line 6"
has "fail: the log has status() with the failure" "$LOG" "20260103002  dup  failed: statement 2, line 6"
has "fail: the log ends with the exit status" "$LOG" "exit status 1"
has "fail: development log keeps the DETAIL" "$LOG" "Key (id)=(1) already exists"
has "fail: development log shows the failing statement" "$LOG" "INSERT INTO app.dup"
check "fail: one transaction: nothing applied, app.first and app.dup absent" "0|" \
	"$(sql fail "SELECT (SELECT count(*) FROM aura_migrate.history) || '|' || coalesce(to_regclass('app.first')::text, '') || coalesce(to_regclass('app.dup')::text, '')")"

echo "== privacy outside development"
mkdb stg staging
R=$(mkroot stg)
{
	header 20260104001 secret
	echo "CREATE TABLE app.s (id int PRIMARY KEY, v text);"
	echo "INSERT INTO app.s VALUES (1, 'first-secret-value'),"
	echo "  (1, 'second-secret-value');"
} >"$R/db/migrations/production/20260104001_secret.sql"
PGDATABASE="${P}_stg" run "$WORK/s.out" "$R" staging
check "privacy: staging run of a failing migration exits 1" 1 "$rc"
case "$LOG" in *_staging_run.log) ok "privacy: log is *_staging_run.log" ;; *) notok "privacy: log name '$LOG'" ;; esac
has "privacy: the log names version, statement and line" "$LOG" "migration 20260104001 (secret) failed at statement 2, line 6"
has "privacy: the log has the SQLSTATE" "$LOG" "23505"
has "privacy: the log has the error message" "$LOG" "duplicate key value violates unique constraint"
for s in "secret-value" "INSERT INTO" "CREATE TABLE" "Key (id)" "CONTEXT:" "unique constraint \"s_pkey\""; do
	hasnt "privacy: no '$s' in the staging log" "$LOG" "$s"
	hasnt "privacy: no '$s' on the terminal either" "$WORK/s.out" "$s"
done
check "privacy: the engine's log row keeps no statement text and no detail" "1|0" \
	"$(sql stg "SELECT count(*) || '|' || count(statement_text) + count(detail) FROM aura_migrate.log WHERE event = 'failed'")"

echo "== unreachable database: exit 3"
R=$(mkroot unreach)
PGHOST=127.0.0.1 PGPORT=1 run "$WORK/u1.out" "$R" development
check "unreachable: run-migration.sh exits 3 (PG* variables)" 3 "$rc"
has "unreachable: a clear message" "$WORK/u1.out" "cannot connect to the database named by the PG* variables"
DATABASE_URL="postgresql://127.0.0.1:1/nowhere" run "$WORK/u2.out" "$R" development
check "unreachable: run-migration.sh exits 3 (DATABASE_URL)" 3 "$rc"
has "unreachable: it says DATABASE_URL" "$WORK/u2.out" "named by DATABASE_URL"
PGHOST=127.0.0.1 PGPORT=1 run "$WORK/u3.out" "$R" development --dry-run
check "unreachable: --dry-run exits 3 too" 3 "$rc"
PGHOST=127.0.0.1 PGPORT=1 AURA_ROOT=$R bash "$VAL" development >"$WORK/u4.out" 2>&1
check "unreachable: validate-rls.sh exits 3" 3 "$?"

echo "== error-level findings: exit 2"
mkdb lint staging
R=$(mkroot lint)
{
	header 20260105001 no_rls
	echo "CREATE TABLE public.no_rls (id int PRIMARY KEY, user_id uuid NOT NULL);"
} >"$R/db/migrations/production/20260105001_no_rls.sql"
PGDATABASE="${P}_lint" run "$WORK/l.out" "$R" staging
check "findings: a lint error in staging exits 2" 2 "$rc"
has "findings: the lint error is listed with its code" "$WORK/l.out" "table_without_rls"
has "findings: it says nothing was applied" "$WORK/l.out" "nothing was applied"
check "findings: nothing applied, public.no_rls absent" "0|" \
	"$(sql lint "SELECT (SELECT count(*) FROM aura_migrate.history) || '|' || coalesce(to_regclass('public.no_rls')::text, '')")"

has_check_rls=$($PSQL -d "${P}_lint" -c "SELECT count(*) FROM pg_proc WHERE proname = 'check_rls' AND pronamespace = 'aura_migrate'::regnamespace")
if [ "$has_check_rls" = 0 ]; then
	echo "skip: aura_migrate.check_rls() is not installed: the check_rls and validate-rls.sh proofs are skipped"
else
	mkdb rls development
	R=$(mkroot rls)
	{
		header 20260106001 leaky
		echo "CREATE TABLE public.leaky (id uuid PRIMARY KEY, user_id uuid NOT NULL);"
		echo "ALTER TABLE public.leaky ENABLE ROW LEVEL SECURITY;"
		echo "-- aura:allow policy_always_true"
		echo "CREATE POLICY leaky_all ON public.leaky FOR ALL TO authenticated USING (true) WITH CHECK (true);"
		echo "GRANT SELECT, INSERT, UPDATE, DELETE ON public.leaky TO authenticated;"
	} >"$R/db/migrations/production/20260106001_leaky.sql"
	PGDATABASE="${P}_rls" run "$WORK/r.out" "$R" development
	check "findings: check_rls() errors a development run added exit 2 (the engine reports them)" 2 "$rc"
	has "findings: the RLS findings are listed" "$WORK/r.out" "public.leaky"
	check "findings: in development the migration stays applied" "20260106001" \
		"$(sql rls "SELECT string_agg(version, ',') FROM aura_migrate.history")"
	PGDATABASE="${P}_rls" AURA_ROOT=$R bash "$VAL" development >"$WORK/v1.out" 2>&1
	check "validate-rls.sh: error findings exit 2" 2 "$?"
	has "validate-rls.sh: prints a table with the table name" "$WORK/v1.out" "public.leaky"
	has "validate-rls.sh: prints the counts" "$WORK/v1.out" "error(s)"
	VLOG=$(sed -n 's/^# report: *//p' "$WORK/v1.out")
	case "$VLOG" in "$AURA_LOG_DIR"/*_development_rls.log) ok "validate-rls.sh: report is logs/migrations/<UTC>_development_rls.log" ;; *) notok "validate-rls.sh: report '$VLOG'" ;; esac
	[ -f "$VLOG" ] && has "validate-rls.sh: the report holds the findings" "$VLOG" "public.leaky"
	sql rls "DROP TABLE public.leaky"
	PGDATABASE="${P}_rls" AURA_ROOT=$R bash "$VAL" development >"$WORK/v2.out" 2>&1
	check "validate-rls.sh: clean database exits 0" 0 "$?"

	mkdb gate staging
	R=$(mkroot gate)
	cp "$WORK/rls/db/migrations/production/20260106001_leaky.sql" "$R/db/migrations/production/"
	PGDATABASE="${P}_gate" run "$WORK/g.out" "$R" staging
	check "findings: check_rls() errors in staging exit 2 (the engine's gate refuses them)" 2 "$rc"
	has "findings: it says the run was rolled back" "$WORK/g.out" "the run was rolled back"
	check "findings: staging rolled the run back: no history, no public.leaky" "0|" \
		"$(sql gate "SELECT (SELECT count(*) FROM aura_migrate.history) || '|' || coalesce(to_regclass('public.leaky')::text, '')")"

	echo "== the Aura migrations of the repository"
	mkdb aura development aura
	PGDATABASE="${P}_aura" run "$WORK/a.out" "$ROOT" development
	check "aura: run-migration.sh development (repository files) exits 0" 0 "$rc"
	check "aura: the five migrations are applied" 5 "$(sql aura "SELECT count(*) FROM aura_migrate.history")"
	PGDATABASE="${P}_aura" bash "$VAL" development >"$WORK/a2.out" 2>&1
	check "aura: validate-rls.sh development (with probes) exits 0" 0 "$?"
	has "aura: with probes" "$WORK/a2.out" "# probes:      on"
	PGDATABASE="${P}_aura" bash "$VAL" development --no-probes >"$WORK/a3.out" 2>&1
	check "aura: validate-rls.sh --no-probes exits 0" 0 "$?"
fi

echo "== DATABASE_URL"
mkdb url development
R=$(mkroot url)
{
	header 20260107001 via_url
	echo "CREATE TABLE app.via_url (id int PRIMARY KEY);"
} >"$R/db/migrations/production/20260107001_via_url.sql"
case "${PGHOST:-}" in
	/* | "") url="host=${PGHOST:-/var/run/postgresql} port=${PGPORT:-5432} dbname=${P}_url user=${PGUSER:-$(id -un)}" ;;
	*) url="postgresql://${PGUSER:-$(id -un)}${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:${PGPORT:-5432}/${P}_url" ;;
esac
DATABASE_URL=$url PGDATABASE=${P}_no_such_db PGPORT=1 run "$WORK/url.out" "$R" development
check "url: DATABASE_URL wins over PGDATABASE/PGPORT (exit 0)" 0 "$rc"
check "url: the migration landed in the DATABASE_URL database" "app.via_url" \
	"$(sql url "SELECT to_regclass('app.via_url')")"
if [ -n "${PGPASSWORD:-}" ]; then
	hasnt "url: the password is not in the log" "$LOG" "$PGPASSWORD"
fi

echo "== target FILE, Environments headers, environment mismatch, settings"
mkdb tgt development
R=$(mkroot tgt)
D="$R/db/migrations/production"
for n in 1 2 3; do
	{
		header 2026010800$n step_$n
		echo "CREATE TABLE app.step_$n (id int PRIMARY KEY);"
	} >"$D/2026010800${n}_step_$n.sql"
done
{
	header 20260108004 prod_only "-- Environments: production"
	echo "CREATE TABLE app.prod_only (id int PRIMARY KEY);"
} >"$D/20260108004_prod_only.sql"
{
	header 20260108005 dev_seed "-- Environments: development, staging"
	echo "CREATE TABLE app.dev_seed (id int PRIMARY KEY);"
} >"$D/20260108005_dev_seed.sql"
PGDATABASE="${P}_tgt" run "$WORK/t1.out" "$R" development 20260108002_step_2.sql
check "target: FILE exits 0" 0 "$rc"
check "target: only up to FILE is applied" "20260108001,20260108002" \
	"$(sql tgt "SELECT string_agg(version, ',' ORDER BY version) FROM aura_migrate.history")"
check "target: later files are not even registered" 0 \
	"$(sql tgt "SELECT count(*) FROM aura_migrate.migration WHERE version > '20260108002'")"
PGDATABASE="${P}_tgt" run "$WORK/t2.out" "$R" development
check "target: the rest applies (exit 0)" 0 "$rc"
check "envs: the production-only file is left out in development; the development one applies" \
	"20260108001,20260108002,20260108003,20260108005" \
	"$(sql tgt "SELECT string_agg(version, ',' ORDER BY version) FROM aura_migrate.history")"
has "envs: the log says which file is not for development" "$LOG" "not for development: 20260108004_prod_only.sql"
PGDATABASE="${P}_tgt" run "$WORK/t3.out" "$R" development 20260108004_prod_only.sql
check "envs: naming a file of another environment is refused (exit 4)" 4 "$rc"
PGDATABASE="${P}_tgt" run "$WORK/t4.out" "$R" development 20260199001_nope.sql
check "target: an unknown FILE is refused (exit 4)" 4 "$rc"

mkdb mm staging
R=$(mkroot mm)
PGDATABASE="${P}_mm" run "$WORK/m1.out" "$R" development
check "mismatch: development against a staging database is refused (exit 4)" 4 "$rc"
has "mismatch: with a clear message" "$WORK/m1.out" "this database is 'staging' (aura_migrate.environment), not 'development'"
PGDATABASE="${P}_mm" run "$WORK/m2.out" "$R" development --force-env
check "mismatch: --force-env goes on (exit 0)" 0 "$rc"
run "$WORK/m3.out" "$R" testing
check "usage: an unknown ENV is refused (exit 4)" 4 "$rc"

sed 's/^development_APPLY_MODE=.*/development_APPLY_MODE="migrate"/' \
	"$ROOT/scripts/migrations/environments.conf" >"$WORK/migrate.conf"
R=$(mkroot mig)
{
	header 20260109001 by_migrate
	echo "CREATE TABLE app.by_migrate (id int PRIMARY KEY);"
} >"$R/db/migrations/production/20260109001_by_migrate.sql"
PGDATABASE="${P}_tgt" AURA_MIGRATE_CONF="$WORK/migrate.conf" run "$WORK/mg.out" "$R" development
check "settings: APPLY_MODE=migrate exits 0" 0 "$rc"
has "settings: migrate() reports each migration" "$WORK/mg.out" "applied migration 20260109001"
sed 's/^development_APPLY_MODE=.*/development_APPLY_MODE="sometimes"/' \
	"$ROOT/scripts/migrations/environments.conf" >"$WORK/bad.conf"
PGDATABASE="${P}_tgt" AURA_MIGRATE_CONF="$WORK/bad.conf" run "$WORK/bad.out" "$R" development
check "settings: a bad value is refused (exit 4)" 4 "$rc"
has "settings: naming the key" "$WORK/bad.out" "development_APPLY_MODE='sometimes'"
{
	cat "$ROOT/scripts/migrations/environments.conf"
	echo 'development_RLS_CHECK="report"'
} >"$WORK/old.conf"
PGDATABASE="${P}_tgt" AURA_MIGRATE_CONF="$WORK/old.conf" run "$WORK/old.out" "$R" development
check "settings: a key the engine now decides (RLS_CHECK) is not fatal (exit 0)" 0 "$rc"
has "settings: but it is named in a warning" "$WORK/old.out" "development_RLS_CHECK is no longer read"

echo "== the engine's notices do not hide the progress"
mkdb notice development
R=$(mkroot notice)
{
	header 20260110001 if_exists
	echo "DROP TABLE IF EXISTS app.never_there;"
	echo "CREATE TABLE app.after_notice (id int PRIMARY KEY);"
} >"$R/db/migrations/production/20260110001_if_exists.sql"
PGDATABASE="${P}_notice" run "$WORK/nt.out" "$R" development
check "notice: a migration that raises a NOTICE (IF EXISTS) exits 0" 0 "$rc"
has "notice: the NOTICE is shown" "$WORK/nt.out" "does not exist, skipping"
has "notice: and the applied line after it" "$WORK/nt.out" "applied 20260110001 if_exists"
has "notice: and status()" "$WORK/nt.out" "20260110001  if_exists  applied"

echo "== new NAME"
R=$(mkroot new)
today=$(date -u +%Y%m%d)
AURA_ROOT=$R bash "$RUN" new add_widget_table >"$WORK/n1.out" 2>&1
check "new: exits 0" 0 "$?"
NF="$R/db/migrations/production/${today}001_add_widget_table.sql"
if [ -f "$NF" ]; then ok "new: created db/migrations/production/${today}001_add_widget_table.sql"; else notok "new: $NF missing"; ls "$R/db/migrations/production"; fi
check "new: header line Migration" "-- Migration: ${today}001_add_widget_table.sql" "$(sed -n 1p "$NF" 2>/dev/null)"
check "new: header line Description" "-- Description:" "$(sed -n 2p "$NF" 2>/dev/null | cut -c1-15)"
check "new: header line Author" "-- Author: $(git -C "$R" config user.name 2>/dev/null || echo "${USER:-$(id -un)}")" "$(sed -n 3p "$NF" 2>/dev/null)"
check "new: header line Created" "-- Created: $(date -u +%Y-%m-%d)" "$(sed -n 4p "$NF" 2>/dev/null)"
AURA_ROOT=$R bash "$RUN" new second_one "Adds the second thing" >/dev/null 2>&1
check "new: the next one gets NNN 002" yes "$([ -f "$R/db/migrations/production/${today}002_second_one.sql" ] && echo yes)"
check "new: with the description given" "-- Description: Adds the second thing" \
	"$(sed -n 2p "$R/db/migrations/production/${today}002_second_one.sql" 2>/dev/null)"
: >"$R/db/migrations/production/${today}007_manual.sql"
AURA_ROOT=$R bash "$RUN" new after_gap >/dev/null 2>&1
check "new: after ${today}007 comes 008" yes "$([ -f "$R/db/migrations/production/${today}008_after_gap.sql" ] && echo yes)"
AURA_ROOT=$R bash "$RUN" new AddWidget >"$WORK/n2.out" 2>&1
check "new: a name that is not snake_case is refused (exit 4)" 4 "$?"
check "new: and creates nothing" 4 "$(find "$R/db/migrations/production" -name '*.sql' | wc -l | tr -d ' ')"
has "new: with a clear message" "$WORK/n2.out" "snake_case"
echo "CREATE TABLE app.widget (id int PRIMARY KEY);" >>"$NF"
check "new: register_file() accepts the template header" registered \
	"$(sh "$ROOT/scripts/gen-register-sql.sh" aura_migrate.register_file "$NF" | $PSQL -d "${P}_tgt" | cut -d'|' -f2)"

finish
