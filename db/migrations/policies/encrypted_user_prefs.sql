-- db/migrations/policies/encrypted_user_prefs.sql
--
-- Row level security policies on public.encrypted_user_prefs: reference copy.
-- Source of truth: db/migrations/production/20250909002_rls_policies.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
