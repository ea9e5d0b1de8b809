#!/usr/bin/env bash
#
# test/shell/adopt.sh: adopting aura_migrate on a live project with
# scripts/migrations/run-migration.sh: import, baseline, repair, prune,
# out-of-order, the daily loop (status, rollback, reset with a seed, verify,
# report) and their exit statuses.
#
# Proves, each with databases created here and dropped at the end:
#   - import of test/fixtures/supabase_project/supabase/migrations (14-digit
#     names, no headers, a BEGIN ... COMMIT file) then a run gives the same
#     public schema (pg_dump --schema-only) as psql -f of each file in order;
#     a second import registers nothing; a folder with a malformed name is
#     refused (exit 4) with nothing registered;
#   - baseline of a database psql built: exit 0, everything applied, a new
#     file then applies; missing objects: exit 4, --force: 0;
#   - an applied file edited: the run is refused (exit 4) and names repair;
#     repair VERSION accepts it (exit 0) and the next run is clean; the
#     registry edited by hand: status exits 1, the next run restores the file;
#   - a pending migration whose file is gone: exit 4 listing it; --prune
#     unregisters it and goes on; baseline refuses it too, and --prune there;
#   - an older version in staging: exit 4, report shows the refused run;
#     --out-of-order applies it;
#   - status (0, then 1 after a failure), verify (0, 2 after a policy is
#     dropped by hand, 0 once acknowledged), report, rollback (0 with a down
#     file, 4 without), reset with the seed (development 0, staging 4);
#   - NOTICEs and WARNINGs of a migration (its own, and the server's for IF
#     EXISTS) are shown in every environment, with apply() and migrate(), and
#     a migration's message cannot fake the end of a run (a failure exits 1).
#
# Environment: standard PG* variables (run it under pg_virtualenv).  Prints
# "N passed, M failed"; exits non-zero on failure.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN="$ROOT/scripts/migrations/run-migration.sh"
FIX="$ROOT/test/fixtures/supabase_project/supabase"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_adopt.XXXXXX")
export AURA_LOG_DIR="$WORK/logs"
P="am_adopt_$$"
DBS=""
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

cleanup() {
	for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# mkdb NAME: a database with the Supabase compatibility objects (no extension)
mkdb() {
	DBS="$DBS ${P}_$1"
	createdb "${P}_$1" && $PSQL -d "${P}_$1" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null
}
ext() { $PSQL -d "${P}_$1" -c "CREATE EXTENSION aura_migrate" >/dev/null; }
sql() { $PSQL -d "${P}_$1" -c "$2"; }

# project NAME DIR: a project tree whose settings point every environment at DIR
project() {
	mkdir -p "$WORK/$1"
	for e in development staging production; do
		printf '%s_MIGRATION_DIRS="%s"\n' "$e" "$2"
	done >"$WORK/$1/env.conf"
	echo "$WORK/$1"
}

# run OUT PROJECT DB ARGS...: run-migration.sh; sets rc
run() {
	out=$1
	pr=$2
	db=$3
	shift 3
	PGDATABASE="${P}_$db" AURA_ROOT="$pr" AURA_MIGRATE_CONF="$pr/env.conf" bash "$RUN" "$@" >"$out" 2>&1
	rc=$?
}

# (pg_dump's \restrict key is random in each dump)
dump() { pg_dump --schema-only --schema=public --no-owner "${P}_$1" | grep -v '^--' | grep -v '^$' | grep -v '^\\\(un\)\{0,1\}restrict '; }

echo "== import a Supabase CLI folder: the same schema as psql"
mkdb psql
for f in "$FIX"/migrations/*.sql; do
	$PSQL -d "${P}_psql" -v ON_ERROR_STOP=1 -f "$f" >/dev/null || notok "psql -f $(basename "$f")"
done
mkdb imp
ext imp
cp -r "$FIX" "$WORK/sb"
PR=$(project imp "$WORK/sb/migrations")
run "$WORK/imp1.out" "$PR" imp import "$WORK/sb/migrations"
check "import: exit 0" 0 "$rc"
check "import: 5 registered" 5 "$(sql imp "SELECT count(*) FROM aura_migrate.migration WHERE version ~ '^[0-9]{14}$'")"
has "import: says 5 registered" "$WORK/imp1.out" "== 5 registered, 0 already registered unchanged"
run "$WORK/imp2.out" "$PR" imp import "$WORK/sb/migrations"
check "import again: exit 0" 0 "$rc"
has "import again: nothing new" "$WORK/imp2.out" "nothing new"
check "the wrapped file: 8 statements, wrapper dropped" 8 \
	"$(sql imp "SELECT statements FROM aura_migrate.migration WHERE version = '20240415093012'")"
check "the file wrapped in lower-case begin; ... commit;: 9 statements" 9 \
	"$(sql imp "SELECT statements FROM aura_migrate.migration WHERE version = '20240520143000'")"
run "$WORK/imp3.out" "$PR" imp development
# (exit 0: this team-scoped design with Supabase's public profiles has no
# hole, so the row level security check reports warnings only; it exited 2
# with error findings before the findings issue)
check "run of the imported folder: exit 0, no error finding" 0 "$rc"
has "the check ran and found no error" "$WORK/imp3.out" "row level security check: the run added 0 error and"

check "every migration applied" 5 "$(sql imp "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")"
dump psql >"$WORK/psql.dump"
dump imp >"$WORK/imp.dump"
if [ -s "$WORK/psql.dump" ] && diff -u "$WORK/psql.dump" "$WORK/imp.dump" >"$WORK/dump.diff"; then
	ok "import + run: pg_dump --schema-only of public is the same as psql's ($(wc -l <"$WORK/psql.dump") lines)"
else
	notok "import + run: schemas differ"
	head -n 20 "$WORK/dump.diff"
fi

echo "== import: malformed names refused, nothing registered"
mkdb bad
ext bad
mkdir -p "$WORK/badmig"
cp "$FIX"/migrations/*.sql "$WORK/badmig/"
printf 'select 1;\n' >"$WORK/badmig/2024_short.sql"
printf 'select 1;\n' >"$WORK/badmig/20240101000000 spaced.sql"
PRB=$(project bad "$WORK/badmig")
run "$WORK/bad.out" "$PRB" bad import "$WORK/badmig"
check "malformed names: exit 4" 4 "$rc"
has "malformed names: listed" "$WORK/bad.out" "2024_short.sql"
has "malformed names: listed (2)" "$WORK/bad.out" "20240101000000 spaced.sql"
check "malformed names: nothing registered" 0 "$(sql bad "SELECT count(*) FROM aura_migrate.migration")"
run "$WORK/bad2.out" "$PRB" bad import "$WORK/no_such_dir"
check "import of a missing folder: exit 4" 4 "$rc"

echo "== baseline a database psql built"
ext psql
PRP=$(project psql "$WORK/sb/migrations")
run "$WORK/base1.out" "$PRP" psql baseline 20240610081500
check "baseline: exit 0" 0 "$rc"
check "baseline: 5 baselined" 5 "$(sql psql "SELECT count(*) FROM aura_migrate.log WHERE event = 'baselined'")"
check "baseline: all applied" 5 "$(sql psql "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")"
cat >"$WORK/sb/migrations/20240701090000_notes.sql" <<'EOF'
create table public.notes (id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id), body text);
create index notes_user_id_idx on public.notes (user_id);
alter table public.notes enable row level security;
create policy "Own notes" on public.notes for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
EOF
run "$WORK/base2.out" "$PRP" psql development
check "after the baseline, a new migration applies: exit 0" 0 "$rc"
check "the new migration is applied" applied \
	"$(sql psql "SELECT state FROM aura_migrate.status() WHERE version = '20240701090000'")"
run "$WORK/base3.out" "$PRP" psql baseline 20240414161707
check "baseline before an applied migration: exit 4" 4 "$rc"
run "$WORK/base4.out" "$PRP" psql baseline 2024
check "baseline of a malformed version: exit 4" 4 "$rc"

mkdb miss
ext miss
$PSQL -d "${P}_miss" -f "$FIX/migrations/20240414161707_create_profiles.sql" >/dev/null
run "$WORK/miss1.out" "$PR" miss baseline 20240502120000
check "baseline with missing objects: exit 4" 4 "$rc"
has "baseline with missing objects: lists them" "$WORK/miss1.out" "table public.teams (migration 20240415093012)"
check "baseline with missing objects: nothing recorded" 0 "$(sql miss "SELECT count(*) FROM aura_migrate.history")"
run "$WORK/miss2.out" "$PR" miss baseline 20240502120000 --force
check "baseline --force: exit 0" 0 "$rc"
check "baseline --force: recorded" 3 "$(sql miss "SELECT count(*) FROM aura_migrate.history")"

echo "== an applied file edited: refused, then repaired"
printf '\n-- reformatted by a teammate\n' >>"$WORK/sb/migrations/20240701090000_notes.sql"
run "$WORK/rep1.out" "$PRP" psql development
check "edited applied file: exit 4" 4 "$rc"
has "edited applied file: names repair" "$WORK/rep1.out" "repair 20240701090000"
run "$WORK/rep2.out" "$PRP" psql repair 20240701090000
check "repair: exit 0" 0 "$rc"
check "repair: logged" 1 "$(sql psql "SELECT count(*) FROM aura_migrate.log WHERE event = 'repaired' AND version = '20240701090000'")"
run "$WORK/rep3.out" "$PRP" psql development
check "after the repair the run is clean: exit 0" 0 "$rc"
run "$WORK/rep4.out" "$PRP" psql repair 20240701090000
check "repair of a migration that has not drifted: exit 4" 4 "$rc"
sql psql "UPDATE aura_migrate.migration SET up_sql = up_sql || E'\n-- by hand', checksum = aura_migrate.checksum(up_sql || E'\n-- by hand') WHERE version = '20240502120000'" >/dev/null
run "$WORK/rep5.out" "$PRP" psql status
check "the registry edited by hand: status exits 1" 1 "$rc"
has "the registry edited by hand: status says drifted" "$WORK/rep5.out" "| drifted |"
run "$WORK/rep6.out" "$PRP" psql development
check "the registry edited by hand: the next run exits 0" 0 "$rc"
has "the registry edited by hand: the file's SQL is restored" "$WORK/rep6.out" "restored   20240502120000_projects.sql"

echo "== a pending migration whose file is gone"
printf 'select 1;\n' >"$WORK/sb/migrations/20240702000000_tmp.sql"
run "$WORK/gone0.out" "$PRP" psql import "$WORK/sb/migrations"
rm "$WORK/sb/migrations/20240702000000_tmp.sql"
run "$WORK/gone1.out" "$PRP" psql development
check "file gone: exit 4" 4 "$rc"
has "file gone: listed" "$WORK/gone1.out" "20240702000000"
check "file gone: still registered" 1 "$(sql psql "SELECT count(*) FROM aura_migrate.migration WHERE version = '20240702000000'")"
run "$WORK/gone2.out" "$PRP" psql development --prune
check "--prune: exit 0" 0 "$rc"
check "--prune: unregistered" 0 "$(sql psql "SELECT count(*) FROM aura_migrate.migration WHERE version = '20240702000000'")"
check "--prune: logged" 1 "$(sql psql "SELECT count(*) FROM aura_migrate.log WHERE event = 'unregistered'")"

echo "== baseline: the folder and the registry agree too"
mkdb bgone
ext bgone
mkdir -p "$WORK/bgone"
cp "$FIX"/migrations/*.sql "$WORK/bgone/"
for f in "$WORK"/bgone/*.sql; do
	$PSQL -d "${P}_bgone" -f "$f" >/dev/null || notok "psql -f $(basename "$f") (bgone)"
done
printf 'create table public.never_written (id int primary key);\n' >"$WORK/bgone/20240601000000_draft.sql"
PRG=$(project bgone "$WORK/bgone")
run "$WORK/bg0.out" "$PRG" bgone import "$WORK/bgone"
rm "$WORK/bgone/20240601000000_draft.sql"
run "$WORK/bg1.out" "$PRG" bgone baseline 20240610081500
check "baseline with a pending migration whose file is gone: exit 4" 4 "$rc"
has "baseline with a file gone: lists it" "$WORK/bg1.out" "20240601000000"
check "baseline with a file gone: nothing recorded" 0 "$(sql bgone "SELECT count(*) FROM aura_migrate.history")"
run "$WORK/bg2.out" "$PRG" bgone baseline 20240610081500 --prune
check "baseline --prune: exit 0" 0 "$rc"
check "baseline --prune: the draft unregistered, not baselined" "0|5" \
	"$(sql bgone "SELECT (SELECT count(*) FROM aura_migrate.migration WHERE version = '20240601000000') || '|' || (SELECT count(*) FROM aura_migrate.history)")"

echo "== out of order in staging"
sql psql "ALTER DATABASE ${P}_psql SET aura_migrate.environment = 'staging'" >/dev/null
cat >"$WORK/sb/migrations/20240620000000_teammate.sql" <<'EOF'
create table public.teammate_flags (id int primary key);
alter table public.teammate_flags enable row level security;
create policy "Nobody" on public.teammate_flags for select to authenticated using (false);
EOF
run "$WORK/ooo1.out" "$PRP" psql staging
check "older version in staging: exit 4" 4 "$rc"
has "older version in staging: names both" "$WORK/ooo1.out" "pending migration 20240620000000 is older than the newest applied migration 20240701090000"
hasnt "older version in staging: not shown as a failed statement" "$WORK/ooo1.out" "failed at statement"
has "older version in staging: shown as refused" "$WORK/ooo1.out" "== refused by the engine (above); nothing was applied"
has "older version in staging: names --out-of-order" "$WORK/ooo1.out" "run-migration.sh: --out-of-order"
run "$WORK/ooo2.out" "$PRP" psql staging report
check "report: exit 0" 0 "$rc"
has "report shows the refused run" "$WORK/ooo2.out" "refused in its pre-checks, nothing applied"
rid=$(sql psql "SELECT max(run_id) FROM aura_migrate.log WHERE event = 'refused'")
run "$WORK/ooo2b.out" "$PRP" psql staging report "$rid"
check "report RUN_ID: exit 0" 0 "$rc"
has "report RUN_ID: that run" "$WORK/ooo2b.out" "run $rid "
run "$WORK/ooo2c.out" "$PRP" psql report staging "$rid"
check "report with ENV right after the command, then RUN_ID: exit 0" 0 "$rc"
has "report ENV RUN_ID: that run" "$WORK/ooo2c.out" "run $rid "
run "$WORK/ooo3.out" "$PRP" psql staging --out-of-order
check "--out-of-order: exit 0" 0 "$rc"
check "--out-of-order: applied" applied "$(sql psql "SELECT state FROM aura_migrate.status() WHERE version = '20240620000000'")"

echo "== the daily loop: status, verify, rollback, reset"
run "$WORK/st1.out" "$PRP" psql status
check "status: exit 0" 0 "$rc"
run "$WORK/st2.out" "$PRP" psql status staging
check "status with ENV after the command: exit 0" 0 "$rc"
run "$WORK/st3.out" "$PRP" psql development status
check "status with another ENV than the database's: exit 4" 4 "$rc"
run "$WORK/st4.out" "$PRP" psql --dry-run
check "a run without ENV: exit 4" 4 "$rc"
has "status: lists the migrations" "$WORK/st1.out" "20240620000000 | teammate"
run "$WORK/ve1.out" "$PRP" psql verify
check "verify on a clean database: exit 0" 0 "$rc"
sql psql 'DROP POLICY "Own notes" ON public.notes' >/dev/null
run "$WORK/ve2.out" "$PRP" psql verify
check "verify after a policy dropped by hand: exit 2" 2 "$rc"
has "verify names the policy" "$WORK/ve2.out" "object_missing"
obj=$(sql psql "SELECT object FROM aura_migrate.verify() WHERE code = 'object_missing'")
sql psql "SELECT aura_migrate.acknowledge('object_missing', '$obj', 'removed on purpose')" >/dev/null
run "$WORK/ve3.out" "$PRP" psql verify
check "verify once acknowledged: exit 0" 0 "$rc"
run "$WORK/rs0.out" "$PRP" psql reset
check "reset in staging: exit 4" 4 "$rc"
run "$WORK/rb0.out" "$PRP" psql rollback
check "rollback in staging: exit 4" 4 "$rc"

mkdb loop
ext loop
mkdir -p "$WORK/p2"
cp -r "$FIX" "$WORK/p2/supabase"
cat >"$WORK/p2/supabase/migrations/20240615000000_fails.sql" <<'EOF'
DO $$ BEGIN RAISE NOTICE E'shown notice\n@@done'; RAISE WARNING 'shown warning'; END $$;
select 1/0;
EOF
PRL=$(project loop "$WORK/p2/supabase/migrations")
run "$WORK/lp1.out" "$PRL" loop development
check "a failing migration whose NOTICE fakes the end of the run: exit 1" 1 "$rc"
has "its NOTICE is shown" "$WORK/lp1.out" "shown notice"
has "its WARNING is shown" "$WORK/lp1.out" "shown warning"
run "$WORK/lp2.out" "$PRL" loop status
check "status after a failure: exit 1" 1 "$rc"
rm "$WORK/p2/supabase/migrations/20240615000000_fails.sql"
run "$WORK/lp3.out" "$PRL" loop development --prune
check "run without the failing file: exit 0 (warnings only, as above)" 0 "$rc"
check "run without the failing file: all applied" 5 "$(sql loop "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")"
run "$WORK/lp4.out" "$PRL" loop reset
check "reset with the seed: exit 0" 0 "$rc"
has "reset names the seed" "$WORK/lp4.out" "supabase/migrations/../seed.sql"
check "the seed ran" "Seed team" "$(sql loop "SELECT name FROM public.teams")"
run "$WORK/lp4b.out" "$PRL" loop reset
check "reset again (the seed runs twice): exit 0" 0 "$rc"
check "the seed ran once more, on the new tables" "Seed team" "$(sql loop "SELECT string_agg(name, ',') FROM public.teams")"
run "$WORK/lp5.out" "$PRL" loop rollback
check "rollback without down SQL: exit 4" 4 "$rc"
printf 'drop view public.team_directory;\nalter table public.profiles drop column bio;\n' \
	>"$WORK/p2/supabase/migrations/20240610081500_profile-bio.down.sql"
run "$WORK/lp6.out" "$PRL" loop development
check "down SQL added to an applied migration: exit 0" 0 "$rc"
check "down SQL added: logged" 1 "$(sql loop "SELECT count(*) FROM aura_migrate.log WHERE event = 'down_changed'")"
run "$WORK/lp7.out" "$PRL" loop rollback
check "rollback with a down file: exit 0" 0 "$rc"
check "rollback took it back" pending "$(sql loop "SELECT state FROM aura_migrate.status() WHERE version = '20240610081500'")"
run "$WORK/lp8.out" "$PRL" loop report 999999
check "report of an unknown run: exit 0" 0 "$rc"
run "$WORK/lp9.out" "$PRL" loop report x
check "report of a malformed run id: exit 4" 4 "$rc"
run "$WORK/lp10.out" "$PRL" loop bogus-command
check "an unknown command: exit 4" 4 "$rc"

echo "== NOTICEs and WARNINGs are shown in every environment"
for e in development staging production; do
	mkdb "n_$e"
	ext "n_$e"
	[ "$e" = development ] || sql "n_$e" "ALTER DATABASE ${P}_n_$e SET aura_migrate.environment = '$e'" >/dev/null
	mkdir -p "$WORK/n_$e"
	cat >"$WORK/n_$e/20240801000000_talk.sql" <<'EOF'
DO $$ BEGIN RAISE NOTICE 'a notice from the migration'; RAISE WARNING 'a warning from the migration'; END $$;
DROP TABLE IF EXISTS public.never_there;
EOF
	PRN=$(project "n_$e" "$WORK/n_$e")
	run "$WORK/n_$e.out" "$PRN" "n_$e" "$e"
	check "$e: exit 0" 0 "$rc"
	has "$e: the NOTICE is shown" "$WORK/n_$e.out" "a notice from the migration"
	has "$e: the WARNING is shown" "$WORK/n_$e.out" "a warning from the migration"
	has "$e: the server's own NOTICE (IF EXISTS) is shown" "$WORK/n_$e.out" "does not exist, skipping"
	has "$e: and what was applied, after them" "$WORK/n_$e.out" "applied 20240801000000 talk"
	has "$e: and status()" "$WORK/n_$e.out" "20240801000000  talk  applied"
	# the same with migrate(), a commit after each migration
	printf '%s_APPLY_MODE="migrate"\n' "$e" >>"$PRN/env.conf"
	sed 's/from the migration/from the migrate() run/g' "$WORK/n_$e/20240801000000_talk.sql" \
		>"$WORK/n_$e/20240802000000_talk_more.sql"
	run "$WORK/n_${e}_m.out" "$PRN" "n_$e" "$e"
	check "$e, migrate(): exit 0" 0 "$rc"
	has "$e, migrate(): the NOTICE is shown" "$WORK/n_${e}_m.out" "a notice from the migrate() run"
	has "$e, migrate(): the WARNING is shown" "$WORK/n_${e}_m.out" "a warning from the migrate() run"
	has "$e, migrate(): and what was applied" "$WORK/n_${e}_m.out" "applied migration 20240802000000"
done

finish
