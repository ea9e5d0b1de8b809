-- test/pgtap/02_policies_privileges.sql
--
-- Policies and privileges: one owner-isolation policy per table and command, all
-- TO authenticated with user_id = (select auth.uid()); table privileges of anon,
-- authenticated and service_role on every table (service_role: none, since it
-- bypasses RLS); append-only audit tables; function privileges, SECURITY DEFINER
-- only where needed, pinned search_path; default privileges for future tables.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(125);

SELECT policies_are('public', 'users', ARRAY['users_select_own', 'users_insert_own', 'users_update_own', 'users_delete_own'], 'public.users has exactly one policy per allowed command');
SELECT policy_roles_are('public', 'users', 'users_select_own', ARRAY['authenticated'], 'policy users_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'users', 'users_select_own', 'SELECT', 'policy users_select_own is FOR SELECT');
SELECT policy_roles_are('public', 'users', 'users_insert_own', ARRAY['authenticated'], 'policy users_insert_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'users', 'users_insert_own', 'INSERT', 'policy users_insert_own is FOR INSERT');
SELECT policy_roles_are('public', 'users', 'users_update_own', ARRAY['authenticated'], 'policy users_update_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'users', 'users_update_own', 'UPDATE', 'policy users_update_own is FOR UPDATE');
SELECT policy_roles_are('public', 'users', 'users_delete_own', ARRAY['authenticated'], 'policy users_delete_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'users', 'users_delete_own', 'DELETE', 'policy users_delete_own is FOR DELETE');
SELECT policies_are('public', 'encrypted_user_prefs', ARRAY['encrypted_user_prefs_select_own', 'encrypted_user_prefs_insert_own', 'encrypted_user_prefs_update_own', 'encrypted_user_prefs_delete_own'], 'public.encrypted_user_prefs has exactly one policy per allowed command');
SELECT policy_roles_are('public', 'encrypted_user_prefs', 'encrypted_user_prefs_select_own', ARRAY['authenticated'], 'policy encrypted_user_prefs_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_user_prefs', 'encrypted_user_prefs_select_own', 'SELECT', 'policy encrypted_user_prefs_select_own is FOR SELECT');
SELECT policy_roles_are('public', 'encrypted_user_prefs', 'encrypted_user_prefs_insert_own', ARRAY['authenticated'], 'policy encrypted_user_prefs_insert_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_user_prefs', 'encrypted_user_prefs_insert_own', 'INSERT', 'policy encrypted_user_prefs_insert_own is FOR INSERT');
SELECT policy_roles_are('public', 'encrypted_user_prefs', 'encrypted_user_prefs_update_own', ARRAY['authenticated'], 'policy encrypted_user_prefs_update_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_user_prefs', 'encrypted_user_prefs_update_own', 'UPDATE', 'policy encrypted_user_prefs_update_own is FOR UPDATE');
SELECT policy_roles_are('public', 'encrypted_user_prefs', 'encrypted_user_prefs_delete_own', ARRAY['authenticated'], 'policy encrypted_user_prefs_delete_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_user_prefs', 'encrypted_user_prefs_delete_own', 'DELETE', 'policy encrypted_user_prefs_delete_own is FOR DELETE');
SELECT policies_are('public', 'encrypted_cycle_data', ARRAY['encrypted_cycle_data_select_own', 'encrypted_cycle_data_insert_own', 'encrypted_cycle_data_update_own', 'encrypted_cycle_data_delete_own'], 'public.encrypted_cycle_data has exactly one policy per allowed command');
SELECT policy_roles_are('public', 'encrypted_cycle_data', 'encrypted_cycle_data_select_own', ARRAY['authenticated'], 'policy encrypted_cycle_data_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_cycle_data', 'encrypted_cycle_data_select_own', 'SELECT', 'policy encrypted_cycle_data_select_own is FOR SELECT');
SELECT policy_roles_are('public', 'encrypted_cycle_data', 'encrypted_cycle_data_insert_own', ARRAY['authenticated'], 'policy encrypted_cycle_data_insert_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_cycle_data', 'encrypted_cycle_data_insert_own', 'INSERT', 'policy encrypted_cycle_data_insert_own is FOR INSERT');
SELECT policy_roles_are('public', 'encrypted_cycle_data', 'encrypted_cycle_data_update_own', ARRAY['authenticated'], 'policy encrypted_cycle_data_update_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_cycle_data', 'encrypted_cycle_data_update_own', 'UPDATE', 'policy encrypted_cycle_data_update_own is FOR UPDATE');
SELECT policy_roles_are('public', 'encrypted_cycle_data', 'encrypted_cycle_data_delete_own', ARRAY['authenticated'], 'policy encrypted_cycle_data_delete_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'encrypted_cycle_data', 'encrypted_cycle_data_delete_own', 'DELETE', 'policy encrypted_cycle_data_delete_own is FOR DELETE');
SELECT policies_are('public', 'healthcare_share', ARRAY['healthcare_share_select_own', 'healthcare_share_insert_own', 'healthcare_share_update_own', 'healthcare_share_delete_own'], 'public.healthcare_share has exactly one policy per allowed command');
SELECT policy_roles_are('public', 'healthcare_share', 'healthcare_share_select_own', ARRAY['authenticated'], 'policy healthcare_share_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'healthcare_share', 'healthcare_share_select_own', 'SELECT', 'policy healthcare_share_select_own is FOR SELECT');
SELECT policy_roles_are('public', 'healthcare_share', 'healthcare_share_insert_own', ARRAY['authenticated'], 'policy healthcare_share_insert_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'healthcare_share', 'healthcare_share_insert_own', 'INSERT', 'policy healthcare_share_insert_own is FOR INSERT');
SELECT policy_roles_are('public', 'healthcare_share', 'healthcare_share_update_own', ARRAY['authenticated'], 'policy healthcare_share_update_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'healthcare_share', 'healthcare_share_update_own', 'UPDATE', 'policy healthcare_share_update_own is FOR UPDATE');
SELECT policy_roles_are('public', 'healthcare_share', 'healthcare_share_delete_own', ARRAY['authenticated'], 'policy healthcare_share_delete_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'healthcare_share', 'healthcare_share_delete_own', 'DELETE', 'policy healthcare_share_delete_own is FOR DELETE');
SELECT policies_are('public', 'share_token', ARRAY['share_token_select_own', 'share_token_update_own', 'share_token_delete_own'], 'public.share_token has exactly one policy per allowed command (no INSERT: tokens come from create_share_token(), 20261128001)');
SELECT policy_roles_are('public', 'share_token', 'share_token_select_own', ARRAY['authenticated'], 'policy share_token_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'share_token', 'share_token_select_own', 'SELECT', 'policy share_token_select_own is FOR SELECT');
SELECT policy_roles_are('public', 'share_token', 'share_token_update_own', ARRAY['authenticated'], 'policy share_token_update_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'share_token', 'share_token_update_own', 'UPDATE', 'policy share_token_update_own is FOR UPDATE');
SELECT policy_roles_are('public', 'share_token', 'share_token_delete_own', ARRAY['authenticated'], 'policy share_token_delete_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'share_token', 'share_token_delete_own', 'DELETE', 'policy share_token_delete_own is FOR DELETE');
SELECT policies_are('public', 'device_key', ARRAY['device_key_select_own', 'device_key_insert_own', 'device_key_update_own', 'device_key_delete_own'], 'public.device_key has exactly one policy per allowed command');
SELECT policy_roles_are('public', 'device_key', 'device_key_select_own', ARRAY['authenticated'], 'policy device_key_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'device_key', 'device_key_select_own', 'SELECT', 'policy device_key_select_own is FOR SELECT');
SELECT policy_roles_are('public', 'device_key', 'device_key_insert_own', ARRAY['authenticated'], 'policy device_key_insert_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'device_key', 'device_key_insert_own', 'INSERT', 'policy device_key_insert_own is FOR INSERT');
SELECT policy_roles_are('public', 'device_key', 'device_key_update_own', ARRAY['authenticated'], 'policy device_key_update_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'device_key', 'device_key_update_own', 'UPDATE', 'policy device_key_update_own is FOR UPDATE');
SELECT policy_roles_are('public', 'device_key', 'device_key_delete_own', ARRAY['authenticated'], 'policy device_key_delete_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'device_key', 'device_key_delete_own', 'DELETE', 'policy device_key_delete_own is FOR DELETE');
SELECT policies_are('public', 'security_audit_log', ARRAY['security_audit_log_select_own'], 'public.security_audit_log has exactly one policy per allowed command (SELECT: rows are written by definer RPCs only, 20261128001)');
SELECT policy_roles_are('public', 'security_audit_log', 'security_audit_log_select_own', ARRAY['authenticated'], 'policy security_audit_log_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'security_audit_log', 'security_audit_log_select_own', 'SELECT', 'policy security_audit_log_select_own is FOR SELECT');
SELECT policies_are('public', 'healthcare_share_audit', ARRAY['healthcare_share_audit_select_own'], 'public.healthcare_share_audit has exactly one policy per allowed command (SELECT: rows are written by definer RPCs only, 20261128001)');
SELECT policy_roles_are('public', 'healthcare_share_audit', 'healthcare_share_audit_select_own', ARRAY['authenticated'], 'policy healthcare_share_audit_select_own applies TO authenticated only');
SELECT policy_cmd_is('public', 'healthcare_share_audit', 'healthcare_share_audit_select_own', 'SELECT', 'policy healthcare_share_audit_select_own is FOR SELECT');
SELECT is_empty($$
	SELECT tablename, policyname, qual, with_check FROM pg_policies
	 WHERE schemaname = 'public'
	   AND (coalesce(qual, '(user_id = ( SELECT auth.uid() AS uid))') <> '(user_id = ( SELECT auth.uid() AS uid))'
	     OR coalesce(with_check, '(user_id = ( SELECT auth.uid() AS uid))') <> '(user_id = ( SELECT auth.uid() AS uid))'
	     OR (cmd IN ('SELECT', 'DELETE') AND (qual IS NULL OR with_check IS NOT NULL))
	     OR (cmd = 'INSERT' AND (qual IS NOT NULL OR with_check IS NULL))
	     OR (cmd = 'UPDATE' AND (qual IS NULL OR with_check IS NULL)))$$,
	'every policy is exactly user_id = (select auth.uid()), in USING and/or WITH CHECK as its command needs');
SELECT is_empty($$
	SELECT tablename, policyname FROM pg_policies
	 WHERE schemaname = 'public' AND (permissive <> 'PERMISSIVE' OR roles <> '{authenticated}')$$,
	'no policy for anon, PUBLIC or service_role; all permissive');
SELECT is_empty($$
	SELECT tablename, cmd, count(*) FROM pg_policies
	 WHERE schemaname = 'public' GROUP BY 1, 2 HAVING count(*) > 1$$,
	'at most one permissive policy per table and command');
SELECT is_empty($$
	SELECT tablename, policyname FROM pg_policies
	 WHERE schemaname = 'public' AND tablename IN ('security_audit_log', 'healthcare_share_audit')
	   AND cmd <> 'SELECT'$$,
	'audit tables have no INSERT, UPDATE, DELETE or ALL policy');
SELECT table_privs_are('public', 'users', 'authenticated', ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE'], 'authenticated holds exactly DELETE, INSERT, SELECT, UPDATE on public.users');
SELECT table_privs_are('public', 'users', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.users');
SELECT table_privs_are('public', 'users', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.users');
SELECT table_privs_are('public', 'encrypted_user_prefs', 'authenticated', ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE'], 'authenticated holds exactly DELETE, INSERT, SELECT, UPDATE on public.encrypted_user_prefs');
SELECT table_privs_are('public', 'encrypted_user_prefs', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.encrypted_user_prefs');
SELECT table_privs_are('public', 'encrypted_user_prefs', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.encrypted_user_prefs');
SELECT table_privs_are('public', 'encrypted_cycle_data', 'authenticated', ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE'], 'authenticated holds exactly DELETE, INSERT, SELECT, UPDATE on public.encrypted_cycle_data');
SELECT table_privs_are('public', 'encrypted_cycle_data', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.encrypted_cycle_data');
SELECT table_privs_are('public', 'encrypted_cycle_data', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.encrypted_cycle_data');
SELECT table_privs_are('public', 'healthcare_share', 'authenticated', ARRAY['DELETE', 'INSERT', 'SELECT'], 'authenticated holds exactly DELETE, INSERT, SELECT on public.healthcare_share (UPDATE only on the columns it may change, 20261128001)');
SELECT table_privs_are('public', 'healthcare_share', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.healthcare_share');
SELECT table_privs_are('public', 'healthcare_share', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.healthcare_share');
SELECT table_privs_are('public', 'share_token', 'authenticated', ARRAY['DELETE', 'SELECT'], 'authenticated holds exactly DELETE, SELECT on public.share_token (UPDATE of expiry and revocation only; tokens come from create_share_token(), 20261128001)');
SELECT table_privs_are('public', 'share_token', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.share_token');
SELECT table_privs_are('public', 'share_token', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.share_token');
SELECT table_privs_are('public', 'device_key', 'authenticated', ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE'], 'authenticated holds exactly DELETE, INSERT, SELECT, UPDATE on public.device_key');
SELECT table_privs_are('public', 'device_key', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.device_key');
SELECT table_privs_are('public', 'device_key', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.device_key');
SELECT table_privs_are('public', 'security_audit_log', 'authenticated', ARRAY['SELECT'], 'authenticated holds exactly SELECT on public.security_audit_log (no INSERT since 20261128001)');
SELECT table_privs_are('public', 'security_audit_log', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.security_audit_log');
SELECT table_privs_are('public', 'security_audit_log', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.security_audit_log');
SELECT table_privs_are('public', 'healthcare_share_audit', 'authenticated', ARRAY['SELECT'], 'authenticated holds exactly SELECT on public.healthcare_share_audit (no INSERT since 20261128001)');
SELECT table_privs_are('public', 'healthcare_share_audit', 'anon', ARRAY[]::text[], 'anon holds no privilege on public.healthcare_share_audit');
SELECT table_privs_are('public', 'healthcare_share_audit', 'service_role', ARRAY[]::text[], 'service_role (BYPASSRLS) holds no privilege on public.healthcare_share_audit');
SELECT is_empty($$
	SELECT c.relname, x.privilege_type FROM pg_class c, aclexplode(c.relacl) x
	 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND x.grantee = 0
	   AND c.relname IN ('users', 'encrypted_user_prefs', 'encrypted_cycle_data', 'healthcare_share',
	                     'share_token', 'device_key', 'security_audit_log', 'healthcare_share_audit')$$,
	'PUBLIC holds no privilege on any Aura table');
SELECT is_empty($$
	SELECT c.relname, r.rolname, p.priv FROM pg_class c
	 CROSS JOIN pg_roles r
	 CROSS JOIN unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p(priv)
	 WHERE c.oid IN ('public.security_audit_log'::regclass, 'public.healthcare_share_audit'::regclass)
	   AND r.rolname NOT LIKE 'pg\_%' AND r.oid <> c.relowner AND NOT r.rolsuper
	   AND has_table_privilege(r.oid, c.oid, p.priv)$$,
	'append-only: no role but the owner (and superusers) may UPDATE, DELETE or TRUNCATE audit rows');
SELECT has_function('public', 'update_cycle_data_optimistic', ARRAY['uuid', 'bigint', 'bytea', 'bytea', 'text', 'text', 'bytea', 'smallint', 'boolean'], 'public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean) exists');
SELECT isnt_definer('public', 'update_cycle_data_optimistic', ARRAY['uuid', 'bigint', 'bytea', 'bytea', 'text', 'text', 'bytea', 'smallint', 'boolean'], 'public.update_cycle_data_optimistic is SECURITY INVOKER');
SELECT function_privs_are('public', 'update_cycle_data_optimistic', ARRAY['uuid', 'bigint', 'bytea', 'bytea', 'text', 'text', 'bytea', 'smallint', 'boolean'], 'anon', ARRAY[]::text[], 'anon may not execute public.update_cycle_data_optimistic');
SELECT function_privs_are('public', 'update_cycle_data_optimistic', ARRAY['uuid', 'bigint', 'bytea', 'bytea', 'text', 'text', 'bytea', 'smallint', 'boolean'], 'authenticated', ARRAY['EXECUTE'], 'authenticated may execute public.update_cycle_data_optimistic');
SELECT function_privs_are('public', 'update_cycle_data_optimistic', ARRAY['uuid', 'bigint', 'bytea', 'bytea', 'text', 'text', 'bytea', 'smallint', 'boolean'], 'service_role', ARRAY[]::text[], 'service_role may not execute public.update_cycle_data_optimistic');
SELECT has_function('public', 'validate_share_token', ARRAY['text'], 'public.validate_share_token(text) exists');
SELECT is_definer('public', 'validate_share_token', ARRAY['text'], 'public.validate_share_token is SECURITY DEFINER');
SELECT function_privs_are('public', 'validate_share_token', ARRAY['text'], 'anon', ARRAY['EXECUTE'], 'anon may execute public.validate_share_token');
SELECT function_privs_are('public', 'validate_share_token', ARRAY['text'], 'authenticated', ARRAY['EXECUTE'], 'authenticated may execute public.validate_share_token');
SELECT function_privs_are('public', 'validate_share_token', ARRAY['text'], 'service_role', ARRAY[]::text[], 'service_role may not execute public.validate_share_token');
SELECT has_function('public', 'healthcare_access_audit', ARRAY['uuid', 'text', 'text', 'text'], 'public.healthcare_access_audit(uuid, text, text, text) exists');
SELECT is_definer('public', 'healthcare_access_audit', ARRAY['uuid', 'text', 'text', 'text'], 'public.healthcare_access_audit is SECURITY DEFINER');
SELECT function_privs_are('public', 'healthcare_access_audit', ARRAY['uuid', 'text', 'text', 'text'], 'anon', ARRAY[]::text[], 'anon may not execute public.healthcare_access_audit');
SELECT function_privs_are('public', 'healthcare_access_audit', ARRAY['uuid', 'text', 'text', 'text'], 'authenticated', ARRAY['EXECUTE'], 'authenticated may execute public.healthcare_access_audit');
SELECT function_privs_are('public', 'healthcare_access_audit', ARRAY['uuid', 'text', 'text', 'text'], 'service_role', ARRAY[]::text[], 'service_role may not execute public.healthcare_access_audit');
SELECT has_function('public', 'rotate_device_key', ARRAY['bytea', 'bytea', 'text'], 'public.rotate_device_key(bytea, bytea, text) exists');
SELECT is_definer('public', 'rotate_device_key', ARRAY['bytea', 'bytea', 'text'], 'public.rotate_device_key is SECURITY DEFINER (it writes an audit row, 20261128001)');
SELECT function_privs_are('public', 'rotate_device_key', ARRAY['bytea', 'bytea', 'text'], 'anon', ARRAY[]::text[], 'anon may not execute public.rotate_device_key');
SELECT function_privs_are('public', 'rotate_device_key', ARRAY['bytea', 'bytea', 'text'], 'authenticated', ARRAY['EXECUTE'], 'authenticated may execute public.rotate_device_key');
SELECT function_privs_are('public', 'rotate_device_key', ARRAY['bytea', 'bytea', 'text'], 'service_role', ARRAY[]::text[], 'service_role may not execute public.rotate_device_key');
SELECT has_function('public', 'cleanup_expired_shares', ARRAY['interval'], 'public.cleanup_expired_shares(interval) exists');
SELECT is_definer('public', 'cleanup_expired_shares', ARRAY['interval'], 'public.cleanup_expired_shares is SECURITY DEFINER');
SELECT function_privs_are('public', 'cleanup_expired_shares', ARRAY['interval'], 'anon', ARRAY[]::text[], 'anon may not execute public.cleanup_expired_shares');
SELECT function_privs_are('public', 'cleanup_expired_shares', ARRAY['interval'], 'authenticated', ARRAY[]::text[], 'authenticated may not execute public.cleanup_expired_shares');
SELECT function_privs_are('public', 'cleanup_expired_shares', ARRAY['interval'], 'service_role', ARRAY['EXECUTE'], 'service_role may execute public.cleanup_expired_shares');
SELECT is_empty($$
	SELECT p.oid::regprocedure FROM pg_proc p
	 WHERE p.pronamespace IN ('public'::regnamespace, 'aura_private'::regnamespace)
	   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
	   AND (p.proconfig IS NULL OR NOT ('search_path=""' = ANY (p.proconfig) OR 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)))$$,
	'every Aura function pins search_path');
SELECT is_empty($$
	SELECT p.oid::regprocedure FROM pg_proc p
	 WHERE p.pronamespace IN ('public'::regnamespace, 'aura_private'::regnamespace)
	   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
	   AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x WHERE x.grantee = 0)$$,
	'no Aura function is executable by PUBLIC');
SELECT results_eq($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace IN ('public'::regnamespace, 'aura_private'::regnamespace, 'auth'::regnamespace)
	   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
	   AND p.pronamespace <> 'auth'::regnamespace
	   AND has_function_privilege('anon', p.oid, 'EXECUTE')$$,
	$$VALUES ('validate_share_token(text)')$$,
	'anon can execute exactly one Aura function: the token RPC');
SELECT is_empty($$
	SELECT p.oid::regprocedure FROM pg_proc p
	 WHERE p.pronamespace = 'aura_private'::regnamespace
	   AND (has_function_privilege('anon', p.oid, 'EXECUTE')
	     OR has_function_privilege('authenticated', p.oid, 'EXECUTE')
	     OR has_function_privilege('service_role', p.oid, 'EXECUTE'))$$,
	'no API role may execute an aura_private function');
SELECT schema_privs_are('aura_private', 'anon', ARRAY[]::text[], 'anon has no access to schema aura_private');
SELECT table_privs_are('aura_private', 'audit_salt', 'anon', ARRAY[]::text[], 'anon cannot read the audit salt');
SELECT schema_privs_are('aura_private', 'authenticated', ARRAY[]::text[], 'authenticated has no access to schema aura_private');
SELECT table_privs_are('aura_private', 'audit_salt', 'authenticated', ARRAY[]::text[], 'authenticated cannot read the audit salt');
SELECT schema_privs_are('aura_private', 'service_role', ARRAY[]::text[], 'service_role has no access to schema aura_private');
SELECT table_privs_are('aura_private', 'audit_salt', 'service_role', ARRAY[]::text[], 'service_role cannot read the audit salt');
CREATE TABLE public.aura_future_table (id int);
SELECT table_privs_are('public', 'aura_future_table', 'service_role', ARRAY[]::text[], 'default privileges: a table created later gives service_role nothing');
SELECT table_privs_are('public', 'aura_future_table', 'anon', ARRAY[]::text[], 'default privileges: a table created later gives anon nothing');

SELECT * FROM finish();
ROLLBACK;
