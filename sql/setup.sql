--
-- What the pg_regress files share, set up once, first: the Supabase roles
-- and auth schema of db/init/00_supabase_compat.sql (anon, authenticated,
-- service_role, auth.users, auth.uid(), auth.jwt()), as every file after
-- this one finds them.
--
\set ECHO none
SET client_min_messages = warning;
\i db/init/00_supabase_compat.sql
RESET client_min_messages;
\set ECHO all
SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY 1;
-- the engine has no zero-knowledge role of its own; these tests take Aura's
-- rule (aura_schema brings it in a real database), as a database setting
-- that outlives the files that re-create the extension
ALTER DATABASE contrib_regression SET aura_migrate.zero_knowledge_roles = 'service_role';
SELECT to_regprocedure('auth.uid()') IS NOT NULL AS has_uid;
