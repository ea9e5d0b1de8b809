/*
 * db/rules/aura_rules.sql
 *		Aura's own rules for the engine's checks, appended verbatim to
 *		aura_schema's first install script by scripts/gen-aura-schema.sh.
 *
 * Aura is zero knowledge: service_role, which bypasses row level security
 * on Supabase, must hold no privilege on per-user tables.  check_rls() and
 * lint() report any that it does.
 */

INSERT INTO aura_migrate.zero_knowledge_role (role_name, source, note)
VALUES ('service_role', 'bundled',
		'Aura is zero knowledge: the service role bypasses row level security and must hold no privilege on user data')
ON CONFLICT (role_name) DO NOTHING;
