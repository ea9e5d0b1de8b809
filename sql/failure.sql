--
-- failure: a failing statement rolls back its whole migration, the error
-- names the migration, statement and line with the original SQLSTATE, and
-- the failure is recorded durably
--
\set VERBOSITY default
SELECT aura_migrate.register('20260401001', 'good_one', $sql$
CREATE TABLE fl_good (id int PRIMARY KEY);
ALTER TABLE fl_good ENABLE ROW LEVEL SECURITY;
$sql$);
SELECT aura_migrate.register('20260401002', 'fails_halfway', $sql$
CREATE TABLE fl_partial (id int);
CREATE INDEX fl_partial_idx ON fl_partial (id);

INSERT INTO fl_partial (id,
	no_such_column)
VALUES (1, 2);
CREATE TABLE fl_never (id int);
$sql$);

SELECT * FROM aura_migrate.apply();

-- nothing half-applied, and the earlier migration of the same call went too
SELECT to_regclass('fl_partial') AS partial, to_regclass('fl_partial_idx') AS idx,
	   to_regclass('fl_never') AS never, to_regclass('fl_good') AS good;
SELECT count(*) AS history_rows FROM aura_migrate.history;

-- the failure survived the rollback of the caller's transaction
SELECT version, event, sqlstate, message, statement_no, line, statement_text
  FROM aura_migrate.log ORDER BY id;
SELECT version, state, last_error FROM aura_migrate.status();

-- the SQLSTATE is the original one
DO $$
BEGIN
	PERFORM * FROM aura_migrate.apply();
EXCEPTION WHEN undefined_column THEN
	RAISE NOTICE 'caught undefined_column (%)', SQLSTATE;
END $$;

-- errors raised inside the migration keep their code too
SELECT aura_migrate.register('20260401002', 'fails_halfway', $sql$
CREATE TABLE fl_partial (id int);
DO $do$ BEGIN RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0099', HINT = 'a hint'; END $do$;
$sql$, replace => true);
SELECT * FROM aura_migrate.apply();
SELECT version, sqlstate, message, statement_no, line FROM aura_migrate.log
 WHERE event = 'failed' ORDER BY id DESC LIMIT 1;

-- outside development the log keeps no statement text and no DETAIL
SET aura_migrate.environment = 'staging';
SELECT aura_migrate.register('20260401002', 'fails_halfway', $sql$
CREATE TABLE fl_partial (id int PRIMARY KEY);
ALTER TABLE fl_partial ENABLE ROW LEVEL SECURITY;
INSERT INTO fl_partial VALUES (1);
INSERT INTO fl_partial VALUES (1);
$sql$, replace => true);
SELECT * FROM aura_migrate.apply();
SELECT version, sqlstate, message, detail, statement_no, line, statement_text, environment
  FROM aura_migrate.log WHERE event = 'failed' ORDER BY id DESC LIMIT 1;
RESET aura_migrate.environment;

-- fixed, it applies; the failures stay in the log
SELECT aura_migrate.register('20260401002', 'fails_halfway',
	'CREATE TABLE fl_partial (id int);', replace => true);
SELECT version, status FROM aura_migrate.apply();
SELECT version, state, last_error FROM aura_migrate.status();
SELECT event, count(*) FROM aura_migrate.log GROUP BY event ORDER BY event;

-- clean up
DROP TABLE fl_good, fl_partial;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
