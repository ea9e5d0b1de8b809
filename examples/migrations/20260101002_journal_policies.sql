-- Migration: 20260101002_journal_policies.sql
-- Description: Example owner-isolation policies for journal_entry
-- Author: aura_migrate developers
-- Created: 2026-01-01
-- Depends: 20260101001

CREATE POLICY journal_entry_select ON public.journal_entry
	FOR SELECT TO authenticated
	USING (user_id = (SELECT auth.uid()));

CREATE POLICY journal_entry_insert ON public.journal_entry
	FOR INSERT TO authenticated
	WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY journal_entry_delete ON public.journal_entry
	FOR DELETE TO authenticated
	USING (user_id = (SELECT auth.uid()));

GRANT SELECT, INSERT, DELETE ON public.journal_entry TO authenticated;
