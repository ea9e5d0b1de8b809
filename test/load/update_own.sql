-- test/load/update_own.sql: an optimistic update of a record only this pgbench
-- client writes (client c owns the users u with u % clients = c), so it must
-- always apply; the result is recorded in loadtest.track in the same transaction.
\set k random(0, :per_client - 1)
\set u :client_id + :clients * :k
\set j random(0, :recs - 1)
BEGIN;
SELECT loadtest.act_as(:u);
SET LOCAL ROLE authenticated;
SELECT version AS v FROM public.encrypted_cycle_data WHERE id = loadtest.rid(:u, :j) \gset
SELECT applied, current_version AS cv FROM public.update_cycle_data_optimistic(loadtest.rid(:u, :j), :v, sha256(int8send(:v)) || sha256(int4send(:client_id)), substring(sha256(int8send(:v)) FROM 1 FOR 24), 'k2', 'xchacha20poly1305-ietf') \gset
INSERT INTO loadtest.track (rid, expected, applied, got, client, hot) VALUES (loadtest.rid(:u, :j), :v, :applied, :cv, :client_id, false);
COMMIT;
