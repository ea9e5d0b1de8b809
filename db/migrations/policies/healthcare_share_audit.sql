-- db/migrations/policies/healthcare_share_audit.sql
--
-- Row level security policies on public.healthcare_share_audit: reference copy.
-- Source of truth: db/migrations/production/20250909002_rls_policies.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
