-- test/pgtap/setup.sql: what the pgTAP files share, included with \ir setup.sql
-- inside each file's transaction (pg_temp objects go with the session).
--
-- act_as(role, uid): act as PostgREST does for a request.
CREATE FUNCTION pg_temp.act_as(p_role text, p_uid uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	-- What PostgREST does for a request: claims in request.jwt.claims (and the
	-- legacy request.jwt.claim.sub), then SET LOCAL ROLE to the JWT's role.
	PERFORM set_config('request.jwt.claims',
		json_build_object('sub', p_uid, 'role', p_role)::text, true);
	PERFORM set_config('request.jwt.claim.sub', coalesce(p_uid::text, ''), true);
	PERFORM set_config('role', p_role, true);
END;
$$;
