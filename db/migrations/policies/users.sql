-- db/migrations/policies/users.sql
--
-- Row level security policies on public.users: reference copy.
-- Source of truth: db/migrations/production/20250909002_rls_policies.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
