#!/usr/bin/env python3
"""bench/aura/gen_ddl.py BYTES OUT: write about BYTES of migration DDL to OUT.

Repeats a block shaped like the Aura migrations, with a fresh table name each
time: CREATE TABLE (uuid key, owner column, CryptoEnvelope-like columns, CHECKs,
a foreign key), ENABLE ROW LEVEL SECURITY, REVOKE/GRANT, four owner policies,
an index, a COMMENT, a SECURITY DEFINER function with a pinned search_path,
an ALTER TABLE ADD COLUMN, and every tenth block statements lint() reports on a table the
migration did not create (an index without CONCURRENTLY, ADD COLUMN NOT NULL without
a default, a per-row auth.uid() policy, ALTER COLUMN TYPE, DROP COLUMN, a volatile
default).
"""
import sys

BLOCK = """-- block {i}: table t{i}
CREATE TABLE public.t{i} (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	version bigint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT t{i}_ciphertext_len CHECK (octet_length(ciphertext) BETWEEN 16 AND 262144),
	CONSTRAINT t{i}_algorithm_allowed CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT t{i}_key_id_format CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{{1,128}}$')
);
ALTER TABLE public.t{i} ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE public.t{i} FROM PUBLIC, anon, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.t{i} TO authenticated;
CREATE POLICY t{i}_select ON public.t{i} AS PERMISSIVE FOR SELECT TO authenticated
	USING (user_id = (select auth.uid()));
CREATE POLICY t{i}_insert ON public.t{i} AS PERMISSIVE FOR INSERT TO authenticated
	WITH CHECK (user_id = (select auth.uid()));
CREATE POLICY t{i}_update ON public.t{i} AS PERMISSIVE FOR UPDATE TO authenticated
	USING (user_id = (select auth.uid())) WITH CHECK (user_id = (select auth.uid()));
CREATE POLICY t{i}_delete ON public.t{i} AS PERMISSIVE FOR DELETE TO authenticated
	USING (user_id = (select auth.uid()));
CREATE INDEX t{i}_user_id_updated_at_idx ON public.t{i} (user_id, updated_at);
COMMENT ON TABLE public.t{i} IS 'Client-encrypted records of kind {i}';
CREATE FUNCTION public.t{i}_touch(p_id uuid)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v bigint;
BEGIN
	UPDATE public.t{i} SET version = version + 1 WHERE id = p_id AND user_id = auth.uid()
	RETURNING version INTO v;
	RETURN v;
END;
$$;
REVOKE ALL ON FUNCTION public.t{i}_touch(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.t{i}_touch(uuid) TO authenticated;
ALTER TABLE public.t{i} ADD COLUMN is_deleted boolean NOT NULL DEFAULT false;
"""

EXTRA = """-- block {i}: changes to a table an earlier migration created
CREATE INDEX legacy_{i}_created_at_idx ON public.legacy_{i} (created_at);
ALTER TABLE public.legacy_{i} ADD COLUMN flags integer NOT NULL;
CREATE POLICY legacy_{i}_select ON public.legacy_{i} FOR SELECT TO authenticated USING (user_id = auth.uid());
ALTER TABLE public.legacy_{i} ALTER COLUMN version TYPE numeric;
ALTER TABLE public.legacy_{i} DROP COLUMN nonce;
ALTER TABLE public.legacy_{i} ADD COLUMN touched_at timestamptz DEFAULT clock_timestamp();
"""


def main():
    size, out = int(sys.argv[1]), sys.argv[2]
    parts, n, i = [], 0, 0
    while n < size:
        i += 1
        b = BLOCK.format(i=i)
        if i % 10 == 0:
            b += EXTRA.format(i=i)
        parts.append(b)
        n += len(b.encode())
    with open(out, "w") as f:
        f.write("".join(parts))
    print(i)


if __name__ == "__main__":
    main()
