-- test/pgtap/00_supabase_compat.sql
--
-- The Supabase compatibility layer (db/init/00_supabase_compat.sql): the roles and
-- their attributes, schema auth, and auth.uid()/role()/jwt() reading the JWT claims
-- exactly as PostgREST sets them.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(34);

SELECT has_role('anon');
SELECT has_role('authenticated');
SELECT has_role('service_role');
SELECT has_role('authenticator');

SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'anon'), false, 'anon is NOLOGIN');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'authenticated'), false, 'authenticated is NOLOGIN');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'service_role'), false, 'service_role is NOLOGIN');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'authenticator'), true, 'authenticator can log in');
SELECT is((SELECT rolinherit FROM pg_roles WHERE rolname = 'authenticator'), false, 'authenticator is NOINHERIT');
SELECT is((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'), true, 'service_role has BYPASSRLS');
SELECT is((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'anon'), false, 'anon does not bypass RLS');
SELECT is((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'authenticated'), false, 'authenticated does not bypass RLS');
SELECT is_member_of('anon', 'authenticator');
SELECT is_member_of('authenticated', 'authenticator');
SELECT is_member_of('service_role', 'authenticator');

SELECT has_schema('auth');
SELECT has_table('auth', 'users', 'auth.users exists');
SELECT col_is_pk('auth', 'users', 'id', 'auth.users.id is the primary key');
SELECT schema_privs_are('auth', 'anon', ARRAY['USAGE']);
SELECT schema_privs_are('auth', 'authenticated', ARRAY['USAGE']);
SELECT schema_privs_are('auth', 'service_role', ARRAY['USAGE']);

SELECT function_returns('auth', 'uid', ARRAY[]::text[], 'uuid');
SELECT function_returns('auth', 'role', ARRAY[]::text[], 'text');
SELECT function_returns('auth', 'jwt', ARRAY[]::text[], 'jsonb');
SELECT volatility_is('auth', 'uid', ARRAY[]::text[], 'stable');
SELECT volatility_is('auth', 'role', ARRAY[]::text[], 'stable');
SELECT volatility_is('auth', 'jwt', ARRAY[]::text[], 'stable');

-- No claims at all: nobody.
SELECT is(auth.uid(), NULL, 'auth.uid() is NULL without JWT claims');

-- PostgREST >= 9 sets request.jwt.claims (JSON) ...
SELECT set_config('request.jwt.claims',
	'{"sub":"00000000-0000-4000-8000-00000000000a","role":"authenticated"}', true);
SELECT is(auth.uid(), '00000000-0000-4000-8000-00000000000a'::uuid,
	'auth.uid() reads sub from request.jwt.claims');
SELECT is(auth.role(), 'authenticated', 'auth.role() reads role from request.jwt.claims');
SELECT is(auth.jwt() ->> 'sub', '00000000-0000-4000-8000-00000000000a',
	'auth.jwt() returns the claims as jsonb');

-- ... and older PostgREST set request.jwt.claim.sub, which wins when non-empty.
SELECT set_config('request.jwt.claim.sub', '00000000-0000-4000-8000-00000000000b', true);
SELECT is(auth.uid(), '00000000-0000-4000-8000-00000000000b'::uuid,
	'auth.uid() prefers a non-empty request.jwt.claim.sub');
SELECT set_config('request.jwt.claim.sub', '', true);
SELECT is(auth.uid(), '00000000-0000-4000-8000-00000000000a'::uuid,
	'an empty request.jwt.claim.sub falls back to request.jwt.claims');
SELECT set_config('request.jwt.claims', '', true);
SELECT is(auth.uid(), NULL, 'empty claims: auth.uid() is NULL, not an error');

SELECT * FROM finish();
ROLLBACK;
