-- Migration: 20250909002_rls_policies.sql
-- Description: Owner-isolation RLS policies, table privileges for authenticated only, append-only audit tables
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema auth, function auth.uid(), role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Zero knowledge, enforced twice:
--   * privileges: only authenticated holds table privileges on user data.  anon and
--     PUBLIC hold none (anon reaches sharing only through public.validate_share_token()),
--     and service_role holds none either: it has BYPASSRLS on Supabase, so a policy
--     cannot restrict it and only the absence of privileges does (any access: 42501).
--   * policies: one PERMISSIVE policy per table and command, all TO authenticated, all
--     with the predicate user_id = (select auth.uid()).  The sub-select makes the
--     planner evaluate auth.uid() once per statement (an InitPlan) instead of once per
--     row, and lets the (user_id, ...) indexes of 20250909004 serve the predicate.
-- The audit tables (security_audit_log, healthcare_share_audit) are append-only:
-- authenticated may INSERT and SELECT its own rows; nobody but the owner of the
-- tables holds UPDATE, DELETE or TRUNCATE, and there are no UPDATE/DELETE policies.
-- Default privileges make sure tables created later in schema public by the role
-- that applies migrations are not handed to anon or service_role.

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
REVOKE ALL ON TABLE public.users,
	public.encrypted_user_prefs,
	public.encrypted_cycle_data,
	public.healthcare_share,
	public.share_token,
	public.device_key,
	public.security_audit_log,
	public.healthcare_share_audit
	FROM PUBLIC, anon, authenticated, service_role;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.users, public.encrypted_user_prefs,
	public.encrypted_cycle_data, public.healthcare_share, public.share_token,
	public.device_key
	TO authenticated;

-- Append-only: no UPDATE, DELETE or TRUNCATE for any API role.
GRANT SELECT, INSERT ON TABLE public.security_audit_log, public.healthcare_share_audit
	TO authenticated;

-- Tables and sequences created later in schema public by this role start with
-- nothing for anon and service_role (Supabase's defaults would grant them ALL).
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM anon, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM anon, service_role;

-- ---------------------------------------------------------------------------
-- Policies: owner isolation, TO authenticated, one per table and command.
-- ---------------------------------------------------------------------------

-- users
CREATE POLICY users_select_own
	ON public.users
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY users_insert_own
	ON public.users
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY users_update_own
	ON public.users
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY users_delete_own
	ON public.users
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- encrypted_user_prefs
CREATE POLICY encrypted_user_prefs_select_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY encrypted_user_prefs_insert_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_user_prefs_update_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_user_prefs_delete_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- encrypted_cycle_data
CREATE POLICY encrypted_cycle_data_select_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY encrypted_cycle_data_insert_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_cycle_data_update_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_cycle_data_delete_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- healthcare_share
CREATE POLICY healthcare_share_select_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_insert_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_update_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_delete_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- share_token
CREATE POLICY share_token_select_own
	ON public.share_token
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY share_token_insert_own
	ON public.share_token
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY share_token_update_own
	ON public.share_token
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY share_token_delete_own
	ON public.share_token
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- device_key
CREATE POLICY device_key_select_own
	ON public.device_key
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY device_key_insert_own
	ON public.device_key
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY device_key_update_own
	ON public.device_key
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY device_key_delete_own
	ON public.device_key
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- security_audit_log
CREATE POLICY security_audit_log_select_own
	ON public.security_audit_log
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY security_audit_log_insert_own
	ON public.security_audit_log
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

-- healthcare_share_audit
CREATE POLICY healthcare_share_audit_select_own
	ON public.healthcare_share_audit
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_audit_insert_own
	ON public.healthcare_share_audit
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

