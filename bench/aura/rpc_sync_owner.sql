-- bench/aura/rpc_sync_owner.sql: the same request as the table owner, no RLS,
-- the user filter written out (same transaction shape, same claims).
\set u random(0, :users - 1)
BEGIN;
SELECT bench.act_as(:u);
SELECT id, version, is_deleted, updated_at FROM public.encrypted_cycle_data WHERE user_id = bench.uid(:u) AND updated_at > now() - interval '7 days';
COMMIT;
