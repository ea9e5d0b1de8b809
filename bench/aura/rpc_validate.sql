-- bench/aura/rpc_validate.sql: a provider presents a share token (anon request).
\set k random(1, :tokens)
BEGIN;
SET LOCAL ROLE anon;
SELECT share_id, scope, expires_at FROM public.validate_share_token(bench.token(:k));
COMMIT;
