-- db/migrations/policies/security_audit_log.sql
--
-- Row level security policies on public.security_audit_log: reference copy.
-- Source of truth: db/migrations/production/20250909002_rls_policies.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
