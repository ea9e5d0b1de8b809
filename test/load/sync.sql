-- test/load/sync.sql: one sync request as PostgREST makes it: the claims, the role,
-- then "what changed since T" on the caller's cycle records (RLS adds user_id).
\set u random(0, :nusers - 1)
\set days random(1, 30)
BEGIN;
SELECT loadtest.act_as(:u);
SET LOCAL ROLE authenticated;
SELECT id, version, is_deleted, updated_at FROM public.encrypted_cycle_data WHERE updated_at > now() - make_interval(days => :days);
COMMIT;
