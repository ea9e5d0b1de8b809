-- test/pgtap/09_sync_query_plan.sql
--
-- With realistic statistics (150 users x 100 cycle records = 15,000 rows, plus
-- shares and tokens, then ANALYZE), the sync query run as an authenticated user
-- through RLS uses the (user_id, updated_at) index, not a sequential scan, and
-- auth.uid() is evaluated once (an InitPlan), not per row.  No planner setting is
-- touched: the plan comes from the real statistics.  (Inside a test transaction
-- there is no VACUUM, so the visibility map is empty and the planner prefers a
-- bitmap scan to an index-only scan; either is accepted, a Seq Scan is not.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(8);

\ir setup.sql

CREATE FUNCTION pg_temp.plan_of(p_query text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	v_line text;
	v_plan text := '';
BEGIN
	FOR v_line IN EXECUTE 'EXPLAIN ' || p_query LOOP
		v_plan := v_plan || v_line || E'\n';
	END LOOP;
	RETURN v_plan;
END;
$$;

INSERT INTO auth.users (id)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid FROM generate_series(1, 150) g;
INSERT INTO public.users (id) SELECT id FROM auth.users;
INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm)
SELECT u.id, sha256(convert_to(u.id::text || g, 'UTF8')) || sha256(convert_to(g::text, 'UTF8')),
	decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf'
  FROM public.users u CROSS JOIN generate_series(1, 100) g;
INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
SELECT u.id, 'cycle_summary', now() + interval '1 day', decode(repeat('5a', 40), 'hex'),
	decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm'
  FROM public.users u CROSS JOIN generate_series(1, 10) g;
INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
SELECT s.id, s.user_id, sha256(convert_to(s.id::text, 'UTF8')), now() + interval '1 day'
  FROM public.healthcare_share s;
ANALYZE public.users, public.encrypted_cycle_data, public.healthcare_share, public.share_token;

SELECT cmp_ok((SELECT count(*) FROM public.encrypted_cycle_data), '>=', 10000::bigint, 'seeded 10,000+ cycle records');
SELECT cmp_ok((SELECT count(DISTINCT user_id) FROM public.encrypted_cycle_data), '>=', 100::bigint, 'for 100+ users');

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000002a');
CREATE TEMP TABLE plans AS
SELECT pg_temp.plan_of($$SELECT id, version, is_deleted, updated_at FROM public.encrypted_cycle_data
	WHERE updated_at > now() - interval '1 hour'$$) AS sync_meta,
       pg_temp.plan_of($$SELECT * FROM public.encrypted_cycle_data
	WHERE updated_at > now() - interval '1 hour' ORDER BY updated_at$$) AS sync_full,
       pg_temp.plan_of($$SELECT * FROM public.healthcare_share$$) AS shares;
SELECT is((SELECT count(*) FROM public.encrypted_cycle_data WHERE updated_at > now() - interval '1 hour'),
	100::bigint, 'through RLS the user sees its own 100 records');
RESET ROLE;

SELECT unalike((SELECT sync_meta FROM plans), '%Seq Scan%', 'sync query (metadata): no sequential scan');
SELECT matches((SELECT sync_meta FROM plans),
	'(Index Scan|Index Only Scan|Bitmap Index Scan) (using |on )?encrypted_cycle_data_sync_idx',
	'sync query (metadata): scans the (user_id, updated_at) sync index');
SELECT matches((SELECT sync_meta FROM plans),
	-- (the InitPlan's result is $0 up to PostgreSQL 16, (InitPlan 1).col1 from 17 on)
	'InitPlan 1.*Index Cond: \(\(user_id = (\$0|\(InitPlan 1\)\.col1)\) AND \(updated_at > ',
	'the RLS predicate is an index condition on a once-per-query InitPlan (auth.uid() not per row)');
SELECT ok((SELECT sync_full !~ 'Seq Scan' AND sync_full ~ 'Index Scan (using |on )?encrypted_cycle_data_sync_idx' FROM plans),
	'sync query (full envelopes): served by the sync index, no sequential scan');
SELECT unalike((SELECT shares FROM plans), '%Seq Scan%', 'listing one''s shares: no sequential scan');

SELECT * FROM finish();
ROLLBACK;
