
# t/002_standby.pl: a physical streaming standby and a dump and restore show
# the same history and schema as the primary after apply().
#
# A primary (wal_level = replica, also listening on 127.0.0.1) and a standby
# from its pg_basebackup -R -X stream, streaming from 127.0.0.1.  On the
# primary: db/init/00_supabase_compat.sql, CREATE EXTENSION aura_schema
# CASCADE, apply() of the bundled Aura migrations, then user migrations
# applied by apply() (a table with RLS, an index, a function, a view) and by
# CALL migrate(), and one that fails (its 'failed' log row is written by the
# background worker).  It proves:
#   - the standby streams (pg_stat_replication shows it, over loopback) and
#     replays up to the primary's pg_current_wal_lsn() after the work;
#   - on the standby: the same history, log and registry rows (every column),
#     the same status(), the same pg_dump --schema-only output byte for byte,
#     the same check_rls(probes => false) findings, and verify() answers;
#   - apply() on the standby is refused with an error (read-only), the
#     standby keeps running;
#   - a later apply() on the primary reaches the standby too;
#   - pg_dump -Fc of the primary restored into a new database shows the same
#     history rows, the same pg_dump --schema-only output and the same
#     status(), and a further apply() there applies nothing
#     (test/shell/dump_restore.sh covers dump and restore in depth);
#   - neither server log shows a process terminated by a signal, or a PANIC.
#
# Run it with test/tap.sh.

use strict;
use warnings;

use File::Basename;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# db/init/ of the tree this file is in (t/ and db/ side by side)
my $init_sql = dirname(__FILE__) . '/../db/init/00_supabase_compat.sql';
my $db       = 'am_sb';
my $rdb      = 'am_sb_restored';

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
# the standby streams over TCP, as a real one does
$primary->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'");
$primary->start;

# query NODE DB SQL: its output, or a text that names the error (so that the
# check comparing it fails and shows why)
sub query
{
	my ($node, $dbname, $sql) = @_;
	my ($rc, $out, $err) = $node->psql($dbname, $sql);
	return $rc == 0 ? $out : "psql exited $rc: $err";
}

# same_text TEXT_A TEXT_B NAME: identical and not empty; on a difference the
# first differing lines are shown
sub same_text
{
	my ($a, $b, $name) = @_;
	my $same = length($a) && $a eq $b;
	ok($same, $name);
	return 1 if $same;
	my @a = split /\n/, $a, -1;
	my @b = split /\n/, $b, -1;
	my $i = 0;
	$i++ while $i < @a && $i < @b && $a[$i] eq $b[$i];
	diag("first difference at line " . ($i + 1) . ":\n"
		  . "  primary: " . ($a[$i] // '(end)') . "\n"
		  . "  other:   " . ($b[$i] // '(end)'));
	return 0;
}

# schema_dump NODE DB: pg_dump --schema-only without the \restrict lines
# (their key is random per dump)
sub schema_dump
{
	my ($node, $dbname) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_dump', '--schema-only', '-d', $node->connstr($dbname) ],
		'>', \$out, '2>', \$err);
	return "pg_dump failed: $err" if $? != 0;
	$out =~ s/^\\(?:un)?restrict .*\n//mg;
	return $out;
}

$primary->safe_psql('postgres', "CREATE DATABASE $db");
$primary->safe_psql($db, slurp_file($init_sql));
$primary->safe_psql($db, 'CREATE EXTENSION aura_schema CASCADE');

# the standby, taken before the migrations so that they arrive by streaming:
# pg_basebackup -R -X stream from 127.0.0.1 (the later -h wins over the one
# backup() passes, so -R writes a primary_conninfo naming 127.0.0.1)
$primary->backup('sb',
	backup_options => [ '-h', '127.0.0.1', '-R', '-X', 'stream' ]);
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'sb');
$standby->start;

is(query($standby, $db, 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
my $streaming =
  "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND client_addr = '127.0.0.1'";
ok($primary->poll_query_until('postgres', $streaming, '1'),
	'the primary streams to it over loopback (pg_stat_replication)');

# the migrations
is(query($primary, $db, 'SELECT count(*) FROM aura_migrate.apply()'),
	'5', 'apply() of the 5 bundled Aura migrations');
my ($rc, $out, $err) = $primary->psql(
	$db, q{
SELECT aura_migrate.register('20260301001', 'sb_notes', $m$
CREATE TABLE sb_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL, body bytea);
ALTER TABLE sb_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY sb_notes_owner ON sb_notes FOR ALL TO authenticated USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE INDEX sb_notes_user_idx ON sb_notes (user_id);
$m$);
SELECT aura_migrate.register('20260301002', 'sb_func_view', $m$
CREATE FUNCTION sb_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM sb_notes $$;
CREATE VIEW sb_note_ids WITH (security_invoker = true) AS SELECT id FROM sb_notes;
$m$);
SELECT aura_migrate.register('20260301003', 'sb_column', $m$
ALTER TABLE sb_notes ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
$m$);
SELECT aura_migrate.register('20260301004', 'sb_fails', $m$
CREATE TABLE sb_partial (id int PRIMARY KEY);
ALTER TABLE sb_partial ENABLE ROW LEVEL SECURITY;
INSERT INTO sb_no_such_table VALUES (1);
$m$);
});
is($rc, 0, 'the 4 user migrations are registered') or diag($err);
is( query(
		$primary, $db,
		"SELECT count(*) FROM aura_migrate.apply('20260301002')"),
	'2',
	"apply('20260301002') applies 2 user migrations");
$primary->psql($db, "CALL aura_migrate.migrate('20260301003')");
is( query(
		$primary, $db,
		"SELECT count(*) FROM aura_migrate.history WHERE version = '20260301003'"
	),
	'1',
	"CALL migrate('20260301003') applied the third");
($rc, $out, $err) =
  $primary->psql($db, 'SELECT * FROM aura_migrate.apply()');
is( ($rc != 0 ? 1 : 0) . '|'
	  . ($err =~ /migration 20260301004 \(sb_fails\) failed at statement 3/
		? 1
		: 0)
	  . '|'
	  . query(
		$primary, $db,
		"SELECT count(*) FROM aura_migrate.log WHERE version = '20260301004' AND event = 'failed' AND statement_no = 3 AND sqlstate = '42P01'"
	  ),
	'1|1|1',
	'the fourth fails at statement 3 (42P01) and is logged durably')
  or diag("apply(): $err");

# replayed: until the standby has replayed the primary's current LSN
sub replayed
{
	my $lsn = query($primary, 'postgres', 'SELECT pg_current_wal_lsn()');
	return (
		$standby->poll_query_until(
			'postgres', "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn"),
		$lsn);
}
my ($caught_up, $lsn) = replayed();
ok($caught_up, "the standby replayed up to the primary's LSN $lsn");

# compare QUERY NAME: the same output on both, without an error
sub compare
{
	my ($sql, $name) = @_;
	my ($rc_p, $out_p, $err_p) = $primary->psql($db, $sql);
	my ($rc_s, $out_s, $err_s) = $standby->psql($db, $sql);
	my $lines = () = $out_p =~ /^/mg;
	if ($rc_p != 0 || $rc_s != 0)
	{
		fail("standby: $name: the query failed");
		diag("primary: $err_p\nstandby: $err_s");
		return;
	}
	same_text($out_p, $out_s, "standby: $name identical ($lines lines)");
}
compare('SELECT h::text FROM aura_migrate.history h ORDER BY version',
	'history rows');
compare('SELECT l::text FROM aura_migrate.log l ORDER BY id',
	"log rows (including the worker's 'failed' row)");
compare(
	'SELECT version, checksum, source, md5(up_sql) FROM aura_migrate.migration ORDER BY version',
	'registry rows');
compare(
	'SELECT version, state, checksum FROM aura_migrate.status() ORDER BY version',
	'status()');
# the 'end' row: the same output even when there is no finding
compare(
	q{SELECT severity, code, object FROM (
	SELECT severity, code, object, 0 AS k FROM aura_migrate.check_rls('{public}', false)
	UNION ALL SELECT 'end', '', '', 1) f
ORDER BY k, 1, 2, 3},
	'check_rls(probes => false) findings');
is(query($standby, $db, 'SELECT count(*) FROM aura_migrate.history'),
	'8', 'standby: history holds the 5 Aura and 3 user migrations');
($rc, $out, $err) =
  $standby->psql($db, 'SELECT count(*) FROM aura_migrate.verify()');
is("$rc|$err", '0|', 'standby: verify() answers');

my $pri_dump = schema_dump($primary, $db);
same_text($pri_dump, schema_dump($standby, $db),
	'standby: pg_dump --schema-only identical to the primary\'s ('
	  . (() = $pri_dump =~ /\n/g) . ' lines)');

($rc, $out, $err) = $standby->psql($db, 'SELECT * FROM aura_migrate.apply()');
ok($rc != 0 && $err =~ /ERROR:  /,
	'standby: apply() is refused with an ERROR');
note("standby apply(): $err");
is(query($standby, $db, 'SELECT pg_is_in_recovery()'),
	't', 'standby: still in recovery and answering');

# a later apply() on the primary
$primary->safe_psql(
	$db, q{
SELECT aura_migrate.register('20260301004', 'sb_fails', $m$
CREATE TABLE sb_partial (id int PRIMARY KEY);
ALTER TABLE sb_partial ENABLE ROW LEVEL SECURITY;
$m$, replace => true);
});
is(query($primary, $db, 'SELECT count(*) FROM aura_migrate.apply()'),
	'1', 'primary: the repaired fourth migration applies');
($caught_up, $lsn) = replayed();
ok($caught_up, "the standby replayed up to $lsn again");
compare('SELECT h::text FROM aura_migrate.history h ORDER BY version',
	'history rows after the later apply()');
is( query(
		$standby, $db,
		"SELECT relrowsecurity FROM pg_class WHERE relname = 'sb_partial'"),
	't',
	'standby: sb_partial exists with RLS');
$pri_dump = schema_dump($primary, $db);
same_text($pri_dump, schema_dump($standby, $db),
	'standby: pg_dump --schema-only identical again ('
	  . (() = $pri_dump =~ /\n/g) . ' lines)');

# a dump and restore of the primary
my $dumpfile = PostgreSQL::Test::Utils::tempdir() . '/primary.dump';
IPC::Run::run([ 'pg_dump', '-Fc', '-d', $primary->connstr($db), '-f', $dumpfile ],
	'2>', \$err);
is("$?|$err", '0|', 'dump and restore: pg_dump -Fc of the primary');
$primary->safe_psql('postgres', "CREATE DATABASE $rdb");
IPC::Run::run([ 'pg_restore', '-d', $primary->connstr($rdb), $dumpfile ],
	'2>', \$err);
$rc = $? >> 8;
chomp $err;
is("$rc|$err", '0|', 'dump and restore: pg_restore without messages');
my $hist = 'SELECT h::text FROM aura_migrate.history h ORDER BY version';
my $h_pri = query($primary, $db, $hist);
is(query($primary, $rdb, $hist), $h_pri,
	'dump and restore: the same history rows (' . (() = $h_pri =~ /^/mg) . ')');
same_text($pri_dump, schema_dump($primary, $rdb),
	'dump and restore: pg_dump --schema-only identical to the primary\'s');
my $status =
  "SELECT string_agg(version || '=' || state, ',' ORDER BY version) FROM aura_migrate.status()";
is(query($primary, $rdb, $status),
	query($primary, $db, $status),
	'dump and restore: status() the same');
is(query($primary, $rdb, 'SELECT count(*) FROM aura_migrate.apply()'),
	'0', 'dump and restore: a further apply() applies nothing');

my @bad = grep { /terminated by signal|PANIC/ }
  map { split /\n/, slurp_file($_->logfile) } ($primary, $standby);
is(scalar @bad, 0, "server logs: no 'terminated by signal' and no PANIC")
  or diag(join "\n", @bad);

$standby->stop;
$primary->stop;
done_testing();
