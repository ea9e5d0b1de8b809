--
-- Privacy outside development: no value from a row reaches the raised
-- error, aura_migrate.log, status() or report().  The rule: the SQLSTATE,
-- the statement number and line stay; in the message and hint, every
-- quoted literal is elided ("..."); DETAIL and statement text are dropped.
-- A failure belongs to the content that failed: replacing the migration
-- clears it from status().
--
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
RESET client_min_messages;
CREATE TABLE tp_parent (id int PRIMARY KEY);
CREATE TABLE tp_t (
	id int PRIMARY KEY,
	label text NOT NULL,
	score int CHECK (score < 10),
	parent int REFERENCES tp_parent (id),
	user_id uuid
);
INSERT INTO tp_t VALUES (1, 'secret_diagnosis', 1, NULL, NULL);
SET aura_migrate.environment = 'staging';

SELECT aura_migrate.register('20261001001', 'type_input',
	'UPDATE tp_t SET user_id = label::uuid;');
SELECT * FROM aura_migrate.apply('20261001001');
SELECT aura_migrate.register('20261001001', 'type_input',
	$$INSERT INTO tp_t VALUES (2, 'secret_diagnosis', 99);$$, replace => true);
SELECT * FROM aura_migrate.apply('20261001001');
SELECT aura_migrate.register('20261001001', 'type_input',
	$$INSERT INTO tp_t VALUES (1, 'secret_diagnosis');$$, replace => true);
SELECT * FROM aura_migrate.apply('20261001001');
SELECT aura_migrate.register('20261001001', 'type_input',
	$$INSERT INTO tp_t (id, label, score) VALUES (3, NULL, 7);$$, replace => true);
SELECT * FROM aura_migrate.apply('20261001001');
SELECT aura_migrate.register('20261001001', 'type_input',
	$$INSERT INTO tp_t VALUES (4, 'secret_diagnosis', 1, 424242);$$, replace => true);
SELECT * FROM aura_migrate.apply('20261001001');
SELECT aura_migrate.register('20261001001', 'type_input',
	$$DO $d$ BEGIN RAISE EXCEPTION 'found %', 'secret_diagnosis' USING HINT = 'value ''secret_diagnosis'''; END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply('20261001001');

SELECT event, sqlstate, message, detail, statement_no, line, statement_text
  FROM aura_migrate.log ORDER BY id;
SELECT count(*) AS rows_with_the_value FROM aura_migrate.log
 WHERE concat_ws(' ', message, detail, statement_text) LIKE '%secret%'
	OR concat_ws(' ', message, detail, statement_text) LIKE '%424242%';
SELECT version, state, last_error FROM aura_migrate.status();
SELECT aura_migrate.report() LIKE '%secret%' AS report_has_the_value;

-- replaced by content that works: its old failures are not its own
SELECT aura_migrate.register('20261001001', 'type_input', 'SELECT 1;', replace => true);
SELECT version, state, last_error FROM aura_migrate.status();

-- a failure recorded in development keeps its words there, and loses its
-- values once the database is stricter
RESET aura_migrate.environment;
SELECT aura_migrate.register('20261001002', 'dev_failure',
	'UPDATE tp_t SET user_id = label::uuid;');
SELECT * FROM aura_migrate.apply('20261001002');
SELECT version, state, last_error FROM aura_migrate.status() WHERE version = '20261001002';
SET aura_migrate.environment = 'production';
SELECT version, state, last_error FROM aura_migrate.status() WHERE version = '20261001002';
SELECT aura_migrate.report() LIKE '%secret%' AS report_has_the_value;
RESET aura_migrate.environment;

-- clean up
SET client_min_messages = warning;
DROP TABLE tp_t, tp_parent;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
RESET client_min_messages;
