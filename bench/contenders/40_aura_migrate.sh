# Contender d: CALL aura_migrate.migrate(), committing after each migration.
# Registration is set-up, not timed (aura_prepare is in 30_aura_apply.sh).
contender aura_migrate d "psql -c 'CALL aura_migrate.migrate()'"

aura_migrate_prepare() { aura_prepare "$1"; }
aura_migrate_run() { $PSQL -d "$1" -c "CALL aura_migrate.migrate()" >/dev/null 2>>"$BENCH_LOG"; }
aura_migrate_verify() { aura_verify "$1"; }
aura_migrate_noop() { $PSQL -d "$1" -c "CALL aura_migrate.migrate()" >/dev/null 2>>"$BENCH_LOG"; }
