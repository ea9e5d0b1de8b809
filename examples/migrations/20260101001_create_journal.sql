-- Migration: 20260101001_create_journal.sql
-- Description: An example table: encrypted journal entries owned by a user
-- Author: aura_migrate developers
-- Created: 2026-01-01

CREATE TABLE public.journal_entry (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL,
	ciphertext	bytea NOT NULL CHECK (octet_length(ciphertext) BETWEEN 1 AND 65536),
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX journal_entry_user_created_idx
	ON public.journal_entry (user_id, created_at);

ALTER TABLE public.journal_entry ENABLE ROW LEVEL SECURITY;
