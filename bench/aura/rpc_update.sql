-- bench/aura/rpc_update.sql: one update_cycle_data_optimistic() request as
-- PostgREST makes it (one statement for role and
-- claims, then the RPC), on a random record of a random
-- user, sending the record's current version (read in the same statement).
\set u random(0, :users - 1)
\set j random(0, :recs - 1)
BEGIN;
SELECT bench.act_as_role(:u);
SELECT applied FROM public.update_cycle_data_optimistic(bench.rid(:u, :j), (SELECT version FROM public.encrypted_cycle_data WHERE id = bench.rid(:u, :j)), sha256(int4send(:u)) || sha256(int4send(:j)), substring(sha256(int4send(:j)) FROM 1 FOR 24), 'k2', 'xchacha20poly1305-ietf');
COMMIT;
