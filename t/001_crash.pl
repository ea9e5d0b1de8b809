
# t/001_crash.pl: SIGKILL of the backend running apply() or CALL migrate()
# at a random moment, then the postmaster's crash restart.
#
# RUNS runs (default 20; FAST=1: 3), each in a fresh database with 50
# registered migrations (a table with RLS, an index, one row, some with a
# foreign key to the one before, about one in three with a pg_sleep of 30 to
# 90 ms).  Odd runs call SELECT * FROM apply() (one transaction), even runs
# CALL migrate() (a commit per migration, so a crash leaves progress behind).
# At a random moment while it runs (once it applies a random migration TARGET,
# 0 to 46, 0 meaning as soon as the backend appears, plus 0 to KILL_JITTER ms)
# the backend gets SIGKILL; the postmaster (restart_after_crash = on)
# reinitializes and runs crash recovery.  Each run proves:
#   - the backend was killed while applying (the client lost its connection;
#     what pg_stat_activity showed last is in the test name) and the server
#     came back after crash recovery;
#   - history and schema agree: every version in history has its table (and
#     its row), no table exists for a version not in history; for apply() the
#     history is empty (the transaction died); the 'applied' events in the log
#     are exactly the history;
#   - the next apply() finishes the job: it applies exactly the rest; then all
#     50 versions are in history once, each table holds exactly one row
#     (nothing applied twice), status() says applied for all 50, and a further
#     apply() applies nothing.
# After all runs, the server log holds one "terminated by signal 9" line per
# kill, each naming a killed pid, no other "terminated by signal" line, and
# no PANIC.
#
# Environment: RUNS, FAST=1, SEED (printed, so that a failing run can be
# repeated), KILL_JITTER (ms, default 60).  Run it with test/tap.sh.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $runs =
    defined $ENV{RUNS} && $ENV{RUNS} ne '' ? $ENV{RUNS}
  : ($ENV{FAST} // '0') eq '1' ? 3
  :                              20;
my $seed =
  defined $ENV{SEED} && $ENV{SEED} ne '' ? $ENV{SEED} : time() % 32768;
my $kill_jitter = $ENV{KILL_JITTER} || 60;
my $nmig        = 50;
srand($seed);
diag("001_crash.pl: RUNS=$runs SEED=$seed KILL_JITTER=${kill_jitter}ms");

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', 'restart_after_crash = on');
$node->start;

sub ver { return sprintf('20260201%03d', $_[0]); }

# query DB SQL: its output, or a text that names the error (so that the
# check comparing it fails and shows why)
sub query
{
	my ($db, $sql) = @_;
	my ($rc, $out, $err) = $node->psql($db, $sql);
	return $rc == 0 ? $out : "psql exited $rc: $err";
}

# the migration set (the same for every run)
my $set_sql = '';
for my $k (1 .. $nmig)
{
	my $sql = "CREATE TABLE c$k (id int PRIMARY KEY, v text);
ALTER TABLE c$k ENABLE ROW LEVEL SECURITY;
CREATE INDEX c${k}_v_idx ON c$k (v);
INSERT INTO c$k VALUES ($k, 'row of migration $k');";
	$sql .= "\nALTER TABLE c$k ADD COLUMN prev int REFERENCES c"
	  . ($k - 1) . " (id);"
	  if $k > 1 && $k % 4 == 0;
	$sql .= "\nSELECT pg_sleep(0.0" . (3 + int(rand(7))) . ");"
	  if int(rand(3)) == 0;
	$sql .= "\nCOMMENT ON TABLE c$k IS 'migration $k';";
	$set_sql .= sprintf(
		"SELECT aura_migrate.register('%s', 'crash_%s', \$amq\$%s\$amq\$);\n",
		ver($k), $k, $sql);
}

# agree(DB): (history, tables, tables with their one row, 'applied' events,
# 1 when history, tables and events hold exactly the same versions)
my $agree_sql = q{
WITH h AS (SELECT version FROM aura_migrate.history),
     t AS (SELECT '20260201' || lpad(substr(relname, 2), 3, '0') AS version, oid
             FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname ~ '^c[0-9]+$'),
     e AS (SELECT version FROM aura_migrate.log WHERE event = 'applied')
SELECT (SELECT count(*) FROM h), (SELECT count(*) FROM t),
       (SELECT count(*) FROM t WHERE (xpath('//n/text()', query_to_xml('SELECT count(*) AS n FROM ' || t.oid::regclass, false, false, '')))[1]::text = '1'),
       (SELECT count(*) FROM e),
       ((SELECT array_agg(version ORDER BY version) FROM h) IS NOT DISTINCT FROM (SELECT array_agg(version ORDER BY version) FROM t)
        AND (SELECT array_agg(version ORDER BY version) FROM h) IS NOT DISTINCT FROM (SELECT array_agg(version ORDER BY version) FROM e))::int
};

sub agree
{
	my ($db) = @_;
	my $out = query($db, $agree_sql);
	my @f = split /\|/, $out, -1;
	return @f == 5 ? @f : ("($out)", '', '', '', '');
}

my @killed;
my $retries = 0;
my $run     = 0;
while ($run < $runs)
{
	$run++;
	my ($mode, $call) =
	  $run % 2
	  ? ('apply',   'SELECT count(*) FROM aura_migrate.apply();')
	  : ('migrate', 'CALL aura_migrate.migrate();');
	my $db = "am_crash_$run";
	my $L  = "run $run ($mode)";

	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
});
	$node->safe_psql($db, $set_sql);

	my $target = int(rand($nmig - 3));
	my $delay  = int(rand($kill_jitter));
	my ($out, $err) = ('', '');
	my $client = IPC::Run::start(
		[
			'psql', '-X', '-q', '-At', '-d',
			$node->connstr($db) . ' application_name=am_crash_apply',
			'-c', $call
		],
		'>', \$out, '2>', \$err);

	my $pid = '';
	for (1 .. 200)
	{
		$pid = query($db,
			"SELECT pid FROM pg_stat_activity WHERE application_name = 'am_crash_apply'"
		);
		last if $pid =~ /^\d+$/;
		usleep(20_000);
	}
	if ($pid !~ /^\d+$/)
	{
		fail("$L: the applying backend never appeared ($pid)");
		$client->finish;
		next;
	}

	# the random moment: once the backend is applying migration TARGET or a
	# later one (TARGET 0: as soon as it appears), plus 0 to KILL_JITTER ms
	if ($target > 0)
	{
		my $v = ver($target);
		$node->safe_psql(
			$db, qq{
DO \$\$
BEGIN
	FOR i IN 1 .. 30000 LOOP
		PERFORM pg_stat_clear_snapshot();
		EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid AND state = 'active')
			OR (SELECT substring(query FROM 'applying migration ([0-9]{11})') >= '$v'
				FROM pg_stat_activity WHERE pid = $pid);
		PERFORM pg_sleep(0.002);
	END LOOP;
END
\$\$;
});
	}
	usleep($delay * 1000);
	my $last = query($db, "SELECT query FROM pg_stat_activity WHERE pid = $pid");
	my $log_offset = -s $node->logfile;

	# the run already over (its backend still there, the client not yet
	# gone): not the moment this test is after, like a backend already gone
	if ($last !~ /aura_migrate: (applying|rolling back) migration/ || !kill('KILL', $pid))
	{
		$client->finish;
		$node->psql('postgres', "DROP DATABASE $db WITH (FORCE)");
		$retries++;
		if ($retries <= 10)
		{
			note(
				"$L: apply finished before the kill (migration $target + $delay ms); run again"
			);
			$run--;
		}
		else
		{
			fail("$L: apply finished before the kill, 10 times");
		}
		next;
	}
	push @killed, $pid;
	$client->finish;
	my $rc = $client->result(0);
	$last =~ s/\s+/ /g;
	ok( $rc != 0
		  && $err =~ /server closed the connection|terminat|connection to server/i,
		"$L: backend $pid killed with SIGKILL (at migration $target + $delay ms), last seen: "
		  . substr($last, 0, 90))
	  or diag("psql exited $rc, stdout: $out, stderr: $err");

	# the postmaster notices the dead backend, ends every other one, and
	# reinitializes; then crash recovery, then connections again
	my $back = eval {
		$node->wait_for_log(
			qr/all server processes terminated; reinitializing/,
			$log_offset);
		1;
	};
	ok($back && $node->poll_query_until('postgres', 'SELECT 1', '1'),
		"$L: the postmaster restarted after crash recovery and accepts connections"
	) or die "$L: the server did not come back";

	my ($nh, $nt, $nrow, $nev, $agreed) = agree($db);
	is( "$agreed|$nt|$nrow|$nev",
		"1|$nh|$nh|$nh",
		"$L: history ($nh) and schema agree: tables ($nt) = history = 'applied' events ($nev), one row each ($nrow)"
	);
	is($nh, 0, "$L: apply() died with its transaction: no history, no table")
	  if $mode eq 'apply';

	my $rest = $nh =~ /^\d+$/ ? $nmig - $nh : '?';
	is(query($db, 'SELECT count(*) FROM aura_migrate.apply()'),
		$rest, "$L: the next apply() applies exactly the remaining $rest");
	($nh, $nt, $nrow, $nev, $agreed) = agree($db);
	is( "$agreed|$nh|$nt|$nrow|$nev",
		"1|$nmig|$nmig|$nmig|$nmig",
		"$L: afterwards all $nmig applied exactly once: history, tables, one row each, events"
	);
	is( query(
			$db,
			"SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")
		  . '|'
		  . query($db, 'SELECT count(*) FROM aura_migrate.apply()'),
		"$nmig|0",
		"$L: status() says applied for all $nmig; a further apply() applies nothing"
	);
	$node->psql('postgres', "DROP DATABASE $db WITH (FORCE)");
}

# the server log
my $kills = scalar @killed;
my @sig = grep { /terminated by signal/ }
  split /\n/, slurp_file($node->logfile);
is(scalar @sig, $kills,
	"server log: one 'terminated by signal' line per kill ($kills)");
my $named = grep {
	my $p = $_;
	grep { /server process \(PID $p\) was terminated by signal 9/ } @sig
} @killed;
is($named, $kills, "server log: each names a killed pid and signal 9");
my $pids = join '|', @killed;
my @other =
  grep { !/PID ($pids)\) was terminated by signal 9/ } @sig;
is(scalar @other, 0, "server log: no other process terminated by a signal")
  or diag(join "\n", @other);
my @panic = grep { /PANIC/ } split /\n/, slurp_file($node->logfile);
is(scalar @panic, 0, "server log: no PANIC") or diag(join "\n", @panic);

$node->stop;
done_testing();
