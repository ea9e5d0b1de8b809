#!/usr/bin/env bash
#
# bench/findings_bench.sh: check_rls() and lint() at scale, on a throwaway cluster.
#
# check_rls: TABLES tables (default 1,000) in schema rlsbench, each with an owner
# column user_id (foreign key to auth.users), RLS enabled, an index leading with
# user_id, SELECT/INSERT/UPDATE granted to authenticated only, and POLICIES_PER
# (3) owner policies (SELECT, INSERT, UPDATE): 3,000 policies.  Times
# check_rls('{rlsbench}', probes => false) (structural) RUNS times as a whole
# `psql -c` (process start, connection, first call of the session), RUNS times
# server-side in fresh sessions and RUNS times in one warm session, and
# check_rls('{rlsbench}', probes => true) PROBE_RUNS times; checks that the
# probes leave no row and no role behind.
# Target (issue 14): the whole `psql -c` under 0.3 s for 1,000 tables and
# 3,000 policies.
#
# lint: LINT_MB megabytes (default 5; 10^6 bytes) of migration DDL from
# bench/aura/gen_ddl.py, and a tenth of it, each timed LINT_RUNS (3) times inside the server
# (the text read with pg_read_file first, untimed).  Target (issue 14): at
# least 20 MB/s on the 5 MB.
#
# Writes the "findings" section of bench/results.md, beside bench/run.sh's
# report, which keeps it (OUT=file; OUT=- for none).  About 3 minutes on 2
# cores; QUICK=1 (200 tables, 1 MB) about a minute.

set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/aura
AURA_TAG=findings
source "$ROOT/bench/aura_lib.sh"

QUICK=${QUICK:-0}
TABLES=${TABLES:-$([ "$QUICK" = 1 ] && echo 200 || echo 1000)}
LINT_MB=${LINT_MB:-$([ "$QUICK" = 1 ] && echo 1 || echo 5)}
RUNS=${RUNS:-$([ "$QUICK" = 1 ] && echo 3 || echo 5)}
PROBE_RUNS=${PROBE_RUNS:-$([ "$QUICK" = 1 ] && echo 1 || echo 3)}
LINT_RUNS=${LINT_RUNS:-3}
OUT=${OUT:-$ROOT/bench/results.md}

aura_cluster_start "shared_buffers = 256MB" "max_locks_per_transaction = 256" "log_min_messages = warning"
DB=aura_findings
APPLY=0 aura_db_setup "$DB"
export PGDATABASE=$DB
P=("${PSQL[@]}")

echo "# creating $TABLES tables with $((TABLES * 3)) policies in schema rlsbench"
"${P[@]}" <<SQL
CREATE SCHEMA rlsbench;
GRANT USAGE ON SCHEMA rlsbench TO authenticated;
DO \$\$
BEGIN
	FOR i IN 1 .. $TABLES LOOP
		EXECUTE format(\$f\$
			CREATE TABLE rlsbench.t%1\$s (
				id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
				user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
				payload bytea NOT NULL DEFAULT '\\x00'::bytea,
				created_at timestamptz NOT NULL DEFAULT now());
			CREATE INDEX t%1\$s_user_id_created_at_idx ON rlsbench.t%1\$s (user_id, created_at);
			ALTER TABLE rlsbench.t%1\$s ENABLE ROW LEVEL SECURITY;
			REVOKE ALL ON TABLE rlsbench.t%1\$s FROM PUBLIC, anon, service_role;
			GRANT SELECT, INSERT, UPDATE ON TABLE rlsbench.t%1\$s TO authenticated;
			CREATE POLICY t%1\$s_select ON rlsbench.t%1\$s FOR SELECT TO authenticated
				USING (user_id = (select auth.uid()));
			CREATE POLICY t%1\$s_insert ON rlsbench.t%1\$s FOR INSERT TO authenticated
				WITH CHECK (user_id = (select auth.uid()));
			CREATE POLICY t%1\$s_update ON rlsbench.t%1\$s FOR UPDATE TO authenticated
				USING (user_id = (select auth.uid())) WITH CHECK (user_id = (select auth.uid()));
		\$f\$, i);
	END LOOP;
END
\$\$;
CREATE SCHEMA fb;
-- ms spent inside the server running a query to completion, and its row count
CREATE FUNCTION fb.time_it(q text, OUT ms double precision, OUT n bigint)
LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE 'SELECT count(*) FROM (' || q || ') s' INTO n;
	ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END
\$\$;
-- lint() timed the same way, its findings kept in fb.lint_out (for the summary)
CREATE TABLE fb.lint_out AS SELECT * FROM aura_migrate.lint('SELECT 1') WITH NO DATA;
CREATE FUNCTION fb.time_lint(q text, OUT ms double precision, OUT n bigint)
LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz;
BEGIN
	TRUNCATE fb.lint_out;
	t0 := clock_timestamp();
	INSERT INTO fb.lint_out SELECT * FROM aura_migrate.lint(q);
	ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
	SELECT count(*) INTO n FROM fb.lint_out;
END
\$\$;
VACUUM ANALYZE;
SQL
NPOL=$("${P[@]}" -c "SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'rlsbench'")
NTAB=$("${P[@]}" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'rlsbench'")

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.1f}')" "$@"; }
STRUCT_Q="SELECT * FROM aura_migrate.check_rls('{rlsbench}', probes => false)"
PROBE_Q="SELECT * FROM aura_migrate.check_rls('{rlsbench}', probes => true)"

echo "# check_rls structural: $RUNS whole psql -c, $RUNS fresh sessions, $RUNS warm"
ms_now() { date +%s%N; }
WHOLE=(); REF=()
for r in $(seq "$RUNS"); do
	t0=$(ms_now); psql -X -q -v ON_ERROR_STOP=1 -c "$STRUCT_Q" >/dev/null; t1=$(ms_now)
	WHOLE+=("$(python3 -c "print(f'{($t1 - $t0) / 1e6:.1f}')")")
	t0=$(ms_now); psql -X -q -c "SELECT 1" >/dev/null; t1=$(ms_now)
	REF+=("$(python3 -c "print(f'{($t1 - $t0) / 1e6:.1f}')")")
done
FRESH=(); WARM=()
for r in $(seq "$RUNS"); do
	read -r ms n < <("${P[@]}" -F ' ' -c "SELECT round(ms::numeric, 1), n FROM fb.time_it(\$q\$$STRUCT_Q\$q\$)")
	FRESH+=("$ms"); S_FINDINGS=$n
done
# one psql session, RUNS+1 calls, the first discarded
WARM_OUT=$(for r in $(seq $((RUNS + 1))); do echo "SELECT round(ms::numeric, 1) FROM fb.time_it(\$q\$$STRUCT_Q\$q\$);"; done | "${P[@]}")
mapfile -t WARM < <(echo "$WARM_OUT" | tail -n "$RUNS")
S_FRESH=$(median "${FRESH[@]}"); S_WARM=$(median "${WARM[@]}")
S_WHOLE=$(median "${WHOLE[@]}"); S_REF=$(median "${REF[@]}")
echo "#   whole psql -c: ${WHOLE[*]} ms (median $S_WHOLE); psql -c 'SELECT 1': ${REF[*]} ms (median $S_REF)"
echo "#   fresh: ${FRESH[*]} ms (median $S_FRESH); warm: ${WARM[*]} ms (median $S_WARM); $S_FINDINGS findings"
FINDINGS_SUMMARY=$("${P[@]}" -F ' ' -c "SELECT severity || ' ' || code || ': ' || count(*) FROM aura_migrate.check_rls('{rlsbench}', probes => false) GROUP BY severity, code ORDER BY 1" | paste -sd ';' | sed 's/;/; /g')
[ -n "$FINDINGS_SUMMARY" ] || FINDINGS_SUMMARY="none"
echo "#   findings: $FINDINGS_SUMMARY"

echo "# check_rls with probes: $PROBE_RUNS runs"
BEFORE=$("${P[@]}" -c "SELECT (SELECT count(*) FROM auth.users) || '/' || (SELECT count(*) FROM pg_roles) || '/' || (SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'rlsbench')")
PROBE=()
for r in $(seq "$PROBE_RUNS"); do
	read -r ms n < <("${P[@]}" -F ' ' -c "SELECT round(ms::numeric, 1), n FROM fb.time_it(\$q\$$PROBE_Q\$q\$)")
	PROBE+=("$ms"); P_FINDINGS=$n
done
P_MED=$(median "${PROBE[@]}")
PROBE_SUMMARY=$("${P[@]}" -F ' ' -c "SELECT severity || ' ' || code || ': ' || count(*) FROM aura_migrate.check_rls('{rlsbench}', probes => true) GROUP BY severity, code ORDER BY 1" | paste -sd ';' | sed 's/;/; /g')
[ -n "$PROBE_SUMMARY" ] || PROBE_SUMMARY="none"
"${P[@]}" -c "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true
AFTER=$("${P[@]}" -c "SELECT (SELECT count(*) FROM auth.users) || '/' || (SELECT count(*) FROM pg_roles) || '/' || (SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'rlsbench')")
ROWS_LEFT=$("${P[@]}" -c "SELECT (SELECT count(*) FROM auth.users) + $(for i in $(seq "$TABLES"); do printf '(SELECT count(*) FROM rlsbench.t%s) + ' "$i"; done) 0")
echo "#   ${PROBE[*]} ms (median $P_MED); $P_FINDINGS findings: $PROBE_SUMMARY; users/roles before $BEFORE after $AFTER; rows left $ROWS_LEFT"

# ---------------------------------------------------------------------------
echo "# lint: $LINT_MB MB and $(python3 -c "print($LINT_MB/10)") MB of DDL, $LINT_RUNS runs each"
chmod 755 "$AURA_WORK"
LINT_ROWS=()
for mb in $(python3 -c "print($LINT_MB/10, $LINT_MB)"); do
	f=$AURA_WORK/ddl_$mb.sql
	blocks=$(python3 "$HERE/gen_ddl.py" "$(python3 -c "print(int($mb*1000000))")" "$f")
	chmod 644 "$f"
	bytes=$(stat -c %s "$f"); lines=$(wc -l < "$f")
	T=()
	for r in $(seq "$LINT_RUNS"); do
		read -r ms n < <("${P[@]}" -F ' ' <<SQL
SELECT set_config('fb.sql', pg_read_file('$f'), false) \\g /dev/null
SELECT round(ms::numeric, 1), n FROM fb.time_lint(current_setting('fb.sql'));
SQL
)
		T+=("$ms"); LN=$n
	done
	med=$(median "${T[@]}")
	mbs=$(python3 -c "print(f'{$bytes / 1e6 / ($med / 1000):.3g}')")
	summary=$("${P[@]}" -F ' ' -c "SELECT code || ': ' || count(*) FROM fb.lint_out GROUP BY code ORDER BY count(*) DESC, code" | paste -sd ';' | sed 's/;/; /g')
	echo "#   $bytes bytes, $lines lines, $blocks blocks: ${T[*]} ms (median $med) = $mbs MB/s; $LN findings ($summary)"
	LINT_ROWS+=("$bytes|$lines|$blocks|$med|$mbs|$LN|$summary")
done

verdict() { python3 -c "print('PASS' if $1 else 'MISS')"; }
SEC=$AURA_WORK/section.md
per_table() { python3 -c "print(f'{$1 / $NTAB:.3f}')"; }
{
	echo "## check_rls() and lint() at scale (\`bench/findings_bench.sh\`$( [ "$QUICK" = 1 ] && echo ", QUICK=1"))"
	echo
	machine_info
	echo "- cluster: initdb defaults + shared_buffers = 256MB, max_locks_per_transaction = 256; times measured inside the server (clock_timestamp around the call, rows counted)"
	echo "- schema: $NTAB tables in \`rlsbench\`, $NPOL policies (owner column user_id -> auth.users, RLS on, index leading with user_id, SELECT/INSERT/UPDATE for authenticated)"
	echo
	echo "| measurement | result | ms per table | target | verdict |"
	echo "|---|---|---|---|---|"
	echo "| \`psql -c\` of check_rls(probes => false), $NTAB tables and $NPOL policies, whole process: start, connection, first call of the session (median of $RUNS: ${WHOLE[*]} ms) | **$S_WHOLE ms** | $(per_table "$S_WHOLE") | < 300 ms | $(verdict "$S_WHOLE < 300") |"
	echo "| reference: \`psql -c 'SELECT 1'\`, whole process (median of $RUNS: ${REF[*]} ms) | $S_REF ms | | | |"
	echo "| check_rls(probes => false), first call in a fresh session, server-side (median of $RUNS: ${FRESH[*]} ms) | $S_FRESH ms | $(per_table "$S_FRESH") | | |"
	echo "| check_rls(probes => false), warm session, server-side (median of $RUNS: ${WARM[*]} ms) | $S_WARM ms | $(per_table "$S_WARM") | | |"
	echo "| check_rls(probes => true) (median of $PROBE_RUNS: ${PROBE[*]} ms) | $P_MED ms | $(per_table "$P_MED") | none set | |"
	for row in "${LINT_ROWS[@]}"; do
		IFS='|' read -r bytes lines blocks med mbs ln summary <<<"$row"
		if [ "$bytes" -ge 4000000 ]; then target="at least 20 MB/s"; v=$(verdict "$mbs >= 20"); else target=""; v=""; fi
		echo "| lint(), $bytes bytes of DDL ($lines lines, $blocks tables' worth; median of $LINT_RUNS) | $med ms = **$mbs MB/s** | | $target | $v |"
	done
	echo
	echo "- structural findings on the $NTAB tables: $S_FINDINGS ($FINDINGS_SUMMARY); with probes: $P_FINDINGS ($PROBE_SUMMARY)"
	echo "- probes left behind: auth.users/pg_roles/live rows before $BEFORE, after $AFTER; rows in auth.users and the $NTAB tables after the probes: $ROWS_LEFT"
	for row in "${LINT_ROWS[@]}"; do
		IFS='|' read -r bytes lines blocks med mbs ln summary <<<"$row"
		echo "- lint findings on $bytes bytes: $ln ($summary)"
	done
	echo "- MB = 10^6 bytes."
} >"$SEC"
sed 's/^/#   /' "$SEC"
[ "$OUT" != - ] && { results_section "$OUT" findings "$SEC"; echo "# wrote section 'findings' of $OUT"; }
exit 0
