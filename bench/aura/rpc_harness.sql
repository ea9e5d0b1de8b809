-- bench/aura/rpc_harness.sql: server-side timing for bench/aura_rpc.sh.
\set ON_ERROR_STOP 1

-- The sync query ("what changed since T") timed inside the server, p_reps times in
-- a row, average microseconds per execution.  'rls': as authenticated with the
-- user's claims, the policy adds user_id = (select auth.uid()); 'owner': as the
-- table owner (RLS does not apply), with the same filter written out.  Both are
-- static PL/pgSQL queries, so both run cached plans, as prepared statements do.
CREATE FUNCTION bench.sync_time(p_mode text, p_uid uuid, p_since timestamptz, p_reps integer)
RETURNS double precision
LANGUAGE plpgsql
AS $$
DECLARE
	t0 timestamptz;
	t1 timestamptz;
	n bigint;
	total bigint := 0;
BEGIN
	IF p_mode = 'rls' THEN
		PERFORM set_config('request.jwt.claims',
			json_build_object('sub', p_uid, 'role', 'authenticated')::text, true);
		PERFORM set_config('request.jwt.claim.sub', p_uid::text, true);
		PERFORM set_config('role', 'authenticated', true);
		t0 := clock_timestamp();
		FOR i IN 1 .. p_reps LOOP
			SELECT count(*) INTO n FROM (
				SELECT id, version, is_deleted, updated_at
				  FROM public.encrypted_cycle_data
				 WHERE updated_at > p_since) s;
			total := total + n;
		END LOOP;
		t1 := clock_timestamp();
		PERFORM set_config('role', 'none', true);
	ELSE
		t0 := clock_timestamp();
		FOR i IN 1 .. p_reps LOOP
			SELECT count(*) INTO n FROM (
				SELECT id, version, is_deleted, updated_at
				  FROM public.encrypted_cycle_data
				 WHERE user_id = p_uid AND updated_at > p_since) s;
			total := total + n;
		END LOOP;
		t1 := clock_timestamp();
	END IF;
	IF total = 0 AND p_since < now() - interval '300 days' THEN
		RAISE EXCEPTION 'sync returned no row for %', p_uid;
	END IF;
	RETURN extract(epoch FROM t1 - t0) * 1e6 / p_reps;
END;
$$;

CREATE TABLE bench.sync_sample (kind text, mode text, us double precision, rows_per_query bigint);

-- validate_share_token() timed per call inside the server, as anon, p_n calls on
-- random tokens of 1 .. p_tokens (p_unknown_pct percent of them unknown tokens).
CREATE FUNCTION bench.validate_time(p_n integer, p_tokens integer, p_unknown_pct integer)
RETURNS TABLE (kind text, us double precision, got_row boolean)
LANGUAGE plpgsql
AS $$
DECLARE
	t0 timestamptz;
	t1 timestamptz;
	tok text;
	k integer;
	unknown boolean;
	kinds text[] := '{}';
	times double precision[] := '{}';
	rows boolean[] := '{}';
	got boolean;
BEGIN
	PERFORM set_config('role', 'anon', true);
	FOR i IN 1 .. p_n LOOP
		k := 1 + floor(random() * p_tokens)::integer;
		unknown := random() * 100 < p_unknown_pct;
		tok := CASE WHEN unknown THEN 'aura-bench-unknown-tok-' || lpad(k::text, 10, '0') ELSE bench.token(k) END;
		t0 := clock_timestamp();
		PERFORM 1 FROM public.validate_share_token(tok);
		got := FOUND;
		t1 := clock_timestamp();
		kinds := kinds || CASE WHEN unknown THEN 'unknown' ELSE 'valid' END;
		times := times || extract(epoch FROM t1 - t0) * 1e6;
		rows := rows || got;
	END LOOP;
	PERFORM set_config('role', 'none', true);
	RETURN QUERY SELECT * FROM unnest(kinds, times, rows);
END;
$$;
CREATE TABLE bench.validate_sample (kind text, us double precision, got_row boolean);
