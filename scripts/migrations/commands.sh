# scripts/migrations/commands.sh: the commands of run-migration.sh besides a
# run: status, rollback, reset, verify, report, baseline, repair, import.
# shellcheck shell=bash disable=SC2034
# Sourced by run-migration.sh once its arguments are parsed (ENV, FORCE,
# FORCE_ENV); not meant to be run.  Each command calls the engine function
# of the same name and maps its answer to the exit statuses of common.sh:
# the engine decides (environment, privileges, what may change), the
# script only passes files and formats.  See scripts/migrations/README.md.

# sql_status OUTPUT PSQL_STATUS: the exit status of a command's SQL: 0 when
# psql succeeded; 3 when the connection was lost; 1 when a migration's own
# SQL failed (rollback, reset); 4 for any other error, a refusal by the
# engine (not development, not registered, not drifted, ...)
sql_status() {
	if [ "$2" -eq 0 ]; then
		echo "$EXIT_OK"
	elif [ "$2" -eq 2 ]; then
		echo "$EXIT_UNREACHABLE"
	elif grep -q 'failed at statement\|failed its post-migration checks\|^ERROR: *[0-9A-Z]*: *migration [0-9]* ([^)]*) failed' "$1"; then
		echo "$EXIT_FAILED"
	else
		echo "$EXIT_REFUSED"
	fi
}

# run_sql SQL...: run the statements in one psql session, stopping at the
# first error (errors with their SQLSTATE); shows and logs the output, less
# LOCATION lines; returns the exit status of sql_status (its output stays in
# $WORK/out)
run_sql() {
	out="$WORK/out"
	{
		printf '%s\n' '\set ON_ERROR_STOP 1' '\set VERBOSITY verbose' '\set SHOW_CONTEXT errors' \
			"SET application_name = 'run-migration.sh $CMD';"
		printf '%s\n' "$@"
	} | psql_cmd -q >"$out" 2>&1
	rc=$?
	# a registration result reads as in a run ("   registered FILE")
	awk '/^LOCATION:/ { next }
	/^[0-9]+_[^|]*\.sql\|(registered|unchanged|replaced|down_changed|updated|restored)$/ {
		n = split($0, a, "|"); printf "   %-10s %s\n", a[n], substr($0, 1, length($0) - length(a[n]) - 1); next }
	{ print }' "$out" | while IFS= read -r l; do say "$l"; done
	return "$(sql_status "$out" "$rc")"
}

# need_version ARG: V, the version ARG names: a version of either scheme, or
# a migration file name or path (20240414161707_create_profiles.sql)
need_version() {
	V=""
	if printf '%s' "${1:-}" | grep -Eq '^([0-9]{11}|[0-9]{14})$'; then
		V=$1
	else
		V=$(version_of "$(basename "${1:-x}")")
	fi
	[ -n "$V" ] ||
		die "$EXIT_REFUSED" "$CMD takes a version, YYYYMMDDNNN or YYYYMMDDHHMMSS, or a migration file name (got '${1:-}')"
}

# register_sql FILE...: the SQL that registers the files as a run does
register_sql() {
	func=aura_migrate.register_file
	if [ "$CONF_REPLACE_PENDING" = yes ]; then
		func=pg_temp.am_register_file
		echo "CREATE FUNCTION pg_temp.am_register_file(f text, up text, down text) RETURNS text"
		echo "LANGUAGE sql AS 'SELECT aura_migrate.register_file(f, up, down, replace => true)';"
	fi
	sh "$GEN_REGISTER" "$func" "$@"
}

cmd_status() {
	[ $# -eq 0 ] || die "$EXIT_REFUSED" "status takes no argument"
	run_sql "SELECT version, name, state, source, applied_at, coalesce(last_error, '') AS last_error, findings FROM aura_migrate.status();" || return $?
	bad=$(psql_cmd -At -c "SELECT count(*) FROM aura_migrate.status() WHERE state IN ('failed', 'drifted')" 2>&1)
	if [ "$bad" != 0 ]; then
		say "== $bad migration(s) failed or drifted"
		return "$EXIT_FAILED"
	fi
	return "$EXIT_OK"
}

cmd_rollback() {
	[ $# -le 1 ] || die "$EXIT_REFUSED" "rollback takes at most one argument, the target"
	t=NULL
	if [ $# -eq 1 ]; then
		need_version "$1"
		t="'$V'"
	fi
	run_sql "SELECT version, name, status, round(duration_ms::numeric, 1) AS ms FROM aura_migrate.rollback($t);"
}

# seed_file: SEED, the seed file reset runs: SEED_FILE, else supabase/seed.sql
# beside a supabase/migrations folder of MIGRATION_DIRS, else db/seed.sql;
# empty when there is none.  Returns 1 when SEED_FILE cannot be read.  (Not
# called in $(...): a refusal there would only leave the subshell.)
seed_file() {
	SEED=""
	if [ -n "$CONF_SEED_FILE" ]; then
		case "$CONF_SEED_FILE" in /*) p=$CONF_SEED_FILE ;; *) p="$AURA_ROOT/$CONF_SEED_FILE" ;; esac
		[ -r "$p" ] && [ -f "$p" ] || return 1
		SEED=$p
		return 0
	fi
	for d in $CONF_MIGRATION_DIRS; do
		case "$d" in /*) p=$d ;; *) p="$AURA_ROOT/$d" ;; esac
		case "$p" in
			*/supabase/migrations | */supabase/migrations/)
				if [ -r "${p%/}/../seed.sql" ]; then
					SEED="${p%/}/../seed.sql"
					return 0
				fi
				;;
		esac
	done
	[ -r "$AURA_ROOT/db/seed.sql" ] && SEED="$AURA_ROOT/db/seed.sql"
	return 0
}

cmd_reset() {
	[ $# -eq 0 ] || die "$EXIT_REFUSED" "reset takes no argument"
	if ! seed_file; then
		say "== refused: SEED_FILE of $ENV is $CONF_SEED_FILE, which cannot be read ($p); nothing was reset"
		return "$EXIT_REFUSED"
	fi
	seed=$SEED
	if [ -n "$seed" ]; then
		say "# seed:        $seed (run after reset(), in the same transaction)"
		# (psql's quoting: '' for a quote inside '...')
		run_sql 'BEGIN;' \
			"SELECT version, name, status FROM aura_migrate.reset();" \
			"\\echo == seed $(basename "$seed")" \
			"\\i '$(printf '%s' "$seed" | sed "s/'/''/g")'" \
			'COMMIT;'
		st=$?
		# reset() went through and the seed did not: psql stopped at the
		# seed's error, and the transaction (reset() too) was rolled back
		if [ "$st" -eq "$EXIT_REFUSED" ] && grep -qxF "== seed $(basename "$seed")" "$WORK/out"; then
			say "== the seed failed (above): reset() and the seed were rolled back, the database is as it was"
			RESULT="the seed failed"
			st=$EXIT_FAILED
		fi
		return "$st"
	else
		say "# seed:        none (no SEED_FILE, supabase/seed.sql or db/seed.sql)"
		run_sql "SELECT version, name, status FROM aura_migrate.reset();"
	fi
}

cmd_verify() {
	[ $# -eq 0 ] || die "$EXIT_REFUSED" "verify takes no argument"
	run_sql "SELECT severity, code, object, message FROM aura_migrate.verify() ORDER BY severity, code, object;" || return $?
	n=$(psql_cmd -At -c "SELECT count(*) FROM aura_migrate.verify() WHERE severity = 'error'" 2>&1)
	if [ "$n" != 0 ]; then
		say "== $n error-level finding(s); acknowledge one that is meant with SELECT aura_migrate.acknowledge(code, object, note)"
		return "$EXIT_FINDINGS"
	fi
	return "$EXIT_OK"
}

cmd_report() {
	[ $# -le 1 ] || die "$EXIT_REFUSED" "report takes at most one argument, a run id"
	r=NULL
	if [ $# -eq 1 ]; then
		case "$1" in
			'' | *[!0-9]*) die "$EXIT_REFUSED" "report takes a run id, a number (got '$1')" ;;
		esac
		r=$1
	fi
	run_sql '\pset format unaligned' '\pset tuples_only on' "SELECT aura_migrate.report($r);"
}

cmd_baseline() {
	[ $# -eq 1 ] || die "$EXIT_REFUSED" "baseline takes one argument, the version"
	need_version "$1"
	collect_files
	# as a run: the folder and the registry agree, or nothing is recorded
	gone_files
	prune=""
	if [ ${#GONE[@]} -gt 0 ]; then
		if [ "$PRUNE_GONE" = yes ]; then
			say "== unregistering pending migrations whose files are gone (--prune): ${GONE[*]}"
			for v in "${GONE[@]}"; do prune="${prune}SELECT aura_migrate.unregister('$v');
"; done
		else
			say "== refused: pending user migrations whose files are not in $CONF_MIGRATION_DIRS:"
			for v in "${GONE[@]}"; do say "   $v"; done
			say "   restore the files, or baseline again with --prune to unregister them; nothing was recorded"
			return "$EXIT_REFUSED"
		fi
	fi
	force_arg=""
	[ "$FORCE" = yes ] && force_arg=", force => true"
	say "== registering ${#FILES[@]} file(s) of $CONF_MIGRATION_DIRS, then baseline($V), in one transaction"
	run_sql 'BEGIN;' '\pset format unaligned' '\pset tuples_only on' "$(register_sql "${FILES[@]}")" "$prune" \
		'\pset format aligned' '\pset tuples_only off' \
		"SELECT * FROM aura_migrate.baseline('$V'$force_arg);" 'COMMIT;'
}

cmd_repair() {
	[ $# -eq 1 ] || die "$EXIT_REFUSED" "repair takes one argument, the version"
	need_version "$1"
	collect_files
	file=""
	for x in "${FILES[@]}"; do
		[ "$(version_of "$(basename "$x")")" = "$V" ] && file=$x
	done
	f=false
	[ "$FORCE" = yes ] && f=true
	if [ -n "$file" ]; then
		say "== repair($V): accept the SQL of $(basename "$file") as the SQL that was applied"
		# the file's bytes, quoted as gen-register-sql.sh quotes them
		run_sql "CREATE FUNCTION pg_temp.am_repair(f text, up text, down text) RETURNS text" \
			"LANGUAGE sql AS 'SELECT aura_migrate.repair(''$V'', $f, sql => up)';" \
			"$(sh "$GEN_REGISTER" pg_temp.am_repair "$file")"
	else
		say "== repair($V): accept its registered SQL (no file of that version in $CONF_MIGRATION_DIRS)"
		run_sql "SELECT aura_migrate.repair('$V', $f);"
	fi
}

cmd_import() {
	[ $# -eq 1 ] || die "$EXIT_REFUSED" "import takes one argument, the folder (such as supabase/migrations)"
	dir=$1
	[ -d "$dir" ] || die "$EXIT_REFUSED" "import: $dir is not a directory"
	files=()
	bad=()
	list=""
	for x in "$dir"/*.sql; do
		[ -e "$x" ] || continue
		b=$(basename "$x")
		case "$b" in
			*.down.sql)
				# as a run: a down file needs its up file
				[ -f "${x%.down.sql}.sql" ] || bad+=("$b (a down file without its up file)")
				continue
				;;
		esac
		v=$(version_of "$b")
		if [ -z "$v" ]; then
			bad+=("$b")
		else
			list="$list$(version_key "$v")	$v	$x
"
		fi
	done
	if [ ${#bad[@]} -gt 0 ]; then
		say "== refused: not migration file names (YYYYMMDDHHMMSS_name.sql or YYYYMMDDNNN_snake_case.sql); nothing was registered:"
		for b in "${bad[@]}"; do say "   $b"; done
		return "$EXIT_REFUSED"
	fi
	dup=$(printf '%s' "$list" | cut -f2 | sort | uniq -d | head -n 1)
	[ -z "$dup" ] || die "$EXIT_REFUSED" "import: two files have version $dup; nothing was registered"
	while IFS='	' read -r _ v x; do
		[ -n "$v" ] && files+=("$x")
	done <<EOF2
$(printf '%s' "$list" | sort)
EOF2
	[ ${#files[@]} -gt 0 ] || die "$EXIT_REFUSED" "import: no migration file in $dir"
	say "== importing ${#files[@]} file(s) of $dir, in one transaction"
	run_sql '\pset format unaligned' '\pset tuples_only on' 'BEGIN;' \
		"$(sh "$GEN_REGISTER" aura_migrate.register_file "${files[@]}")" 'COMMIT;' || return $?
	new=$(grep -c '|registered$' "$WORK/out")
	same=$(grep -c '|unchanged$' "$WORK/out")
	other=$(( ${#files[@]} - new - same ))
	say "== $new registered, $same already registered unchanged$([ "$other" -gt 0 ] && echo ", $other with new down SQL or description")"
	[ "$new" -gt 0 ] || say "   nothing new"
	return "$EXIT_OK"
}

# run_command CMD ARGS...: connect, check the extension and the environment,
# then the command; returns its exit status
run_command() {
	CMD=$1
	shift
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_cmd.XXXXXX") || die "$EXIT_REFUSED" "cannot create a temporary directory"
	trap 'rm -rf "$WORK"' EXIT
	check_connect
	check_extension "$ENV" "$FORCE_ENV"
	ENV=${ENV:-$DB_ENV}
	load_conf "$ENV"
	new_log_file "$CMD"
	say "# aura_migrate run-migration.sh $CMD $*"
	say "# started:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	say "# database:    $DB_DESC, aura_migrate.environment = $DB_ENV"
	say "# log:         $LOG_FILE"
	RESULT=""
	"cmd_$CMD" "$@"
	st=$?
	res=(success "a migration failed" "error-level findings" "database unreachable" refused)
	say "# result:      ${RESULT:-${res[$st]}}"
	say "# finished:    $(date -u +%Y-%m-%dT%H:%M:%SZ), exit status $st"
	return "$st"
}
