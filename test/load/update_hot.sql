-- test/load/update_hot.sql: a client reads a shared ("hot") record's version in
-- one request and sends its optimistic update in the next, as an offline client
-- does; every client does this on the same few records, so some updates lose
-- (applied = false: a documented conflict, not an error).  Recorded in
-- loadtest.track in the update's transaction.
\set j random(0, :hot - 1)
BEGIN;
SELECT loadtest.act_as(:hotuser);
SET LOCAL ROLE authenticated;
SELECT version AS v FROM public.encrypted_cycle_data WHERE id = loadtest.rid(:hotuser, :j) \gset
COMMIT;
BEGIN;
SELECT loadtest.act_as(:hotuser);
SET LOCAL ROLE authenticated;
SELECT applied, current_version AS cv FROM public.update_cycle_data_optimistic(loadtest.rid(:hotuser, :j), :v, sha256(int8send(:v)) || sha256(int4send(:client_id)), substring(sha256(int8send(:v)) FROM 1 FOR 24), 'k2', 'xchacha20poly1305-ietf') \gset
INSERT INTO loadtest.track (rid, expected, applied, got, client, hot) VALUES (loadtest.rid(:hotuser, :j), :v, :applied, :cv, :client_id, true);
COMMIT;
