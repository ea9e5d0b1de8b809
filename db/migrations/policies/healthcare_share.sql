-- db/migrations/policies/healthcare_share.sql
--
-- Row level security policies on public.healthcare_share: reference copy.
-- Source of truth: db/migrations/production/20250909002_rls_policies.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
