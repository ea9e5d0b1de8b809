-- db/init/supabase_grant_postgres.sql
--
-- What Supabase's postgres role (not a superuser) needs of the extension,
-- granted by the superuser that created it (supabase_admin), after
--
--     CREATE EXTENSION aura_schema CASCADE;     -- or aura_migrate alone
--
-- Every function here checks, itself, who may do what: a migration runs
-- with no more rights than its registrar and its caller, rollback() and
-- reset() refuse outside development, set_environment() is for the
-- database's owner.  Nothing here grants a table of the extension: status(),
-- report() and verify() are how postgres reads them.  register_probe_fixture()
-- is left out on purpose (a fixture runs as a table's owner).
GRANT USAGE ON SCHEMA aura_migrate TO postgres;
GRANT EXECUTE ON FUNCTION
	aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.register_file(text, text, text, boolean, boolean),
	aura_migrate.apply(text, boolean, boolean),
	aura_migrate.status(),
	aura_migrate.findings(text),
	aura_migrate.verify(),
	aura_migrate.report(bigint, timestamptz, timestamptz),
	aura_migrate.rollback(text),
	aura_migrate.reset(),
	aura_migrate.check_rls(name[], boolean, text[]),
	aura_migrate.baseline(text, boolean),
	aura_migrate.repair(text, boolean, text),
	aura_migrate.unregister(text),
	aura_migrate.acknowledge(text, text, text)
  TO postgres;
GRANT EXECUTE ON PROCEDURE aura_migrate.migrate(text, boolean) TO postgres;
