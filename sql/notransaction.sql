--
-- notransaction: migrations marked "-- aura:no-transaction" run through
-- migrate(), one statement at a time at top level
--
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
\set VERBOSITY terse

SELECT aura_migrate.register('20261201001', 'create_reading', $sql$
CREATE TABLE nt_reading (id int PRIMARY KEY, v int);
ALTER TABLE nt_reading ENABLE ROW LEVEL SECURITY;
INSERT INTO nt_reading SELECT g, g % 7 FROM generate_series(1, 1000) g;
$sql$);
SELECT aura_migrate.register('20261201002', 'index_reading', $sql$-- aura:no-transaction
CREATE INDEX CONCURRENTLY nt_reading_v_idx ON nt_reading (v);
VACUUM ANALYZE nt_reading;
INSERT INTO nt_reading VALUES (0, 0);
$sql$);
SELECT version, no_transaction FROM aura_migrate.migration ORDER BY 1;

-- apply() refuses up front, and applies nothing
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('nt_reading') AS reading;

-- migrate() applies both
CALL aura_migrate.migrate();
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index
 WHERE indrelid = 'nt_reading'::regclass ORDER BY 1;
SELECT count(*) AS readings, (SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables
							  WHERE relname = 'nt_reading') AS vacuumed
  FROM nt_reading;
SELECT version, state FROM aura_migrate.status();
SELECT version, event FROM aura_migrate.log ORDER BY id;

-- a CREATE INDEX CONCURRENTLY that fails leaves an INVALID index: the
-- failure names it, and the next attempt drops it first
SELECT aura_migrate.register('20261201003', 'unique_v', $sql$-- aura:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY nt_reading_v_key ON nt_reading (v);
$sql$);
CALL aura_migrate.migrate();
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index
 WHERE indrelid = 'nt_reading'::regclass ORDER BY 1;
SELECT version, event, sqlstate, statement_no, line, message FROM aura_migrate.log
 WHERE version = '20261201003';
SELECT aura_migrate.register('20261201003', 'unique_v', $sql$-- aura:no-transaction
CREATE UNIQUE INDEX CONCURRENTLY nt_reading_v_key ON nt_reading (id, v);
$sql$, replace => true);
CALL aura_migrate.migrate();
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index
 WHERE indrelid = 'nt_reading'::regclass ORDER BY 1;
SELECT version, state FROM aura_migrate.status();

-- inside a transaction block migrate() cannot run them either
SELECT aura_migrate.register('20261201004', 'drop_v_idx', $sql$-- aura:no-transaction
DROP INDEX CONCURRENTLY nt_reading_v_idx;
$sql$);
BEGIN;
CALL aura_migrate.migrate();
ROLLBACK;
CALL aura_migrate.migrate();
SELECT to_regclass('nt_reading_v_idx') AS dropped;

-- what they created was recorded as theirs
SELECT version, action, object_identity FROM aura_migrate.object_change
 WHERE version LIKE '202612%' ORDER BY id;

DROP TABLE nt_reading;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
