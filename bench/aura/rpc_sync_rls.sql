-- bench/aura/rpc_sync_rls.sql: a sync request as PostgREST makes it, through RLS: one
-- statement sets the role and the claims (as PostgREST does), then the query.
\set u random(0, :users - 1)
BEGIN;
SELECT bench.act_as_role(:u);
SELECT id, version, is_deleted, updated_at FROM public.encrypted_cycle_data WHERE updated_at > now() - interval '7 days';
COMMIT;
