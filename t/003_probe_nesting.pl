
# t/003_probe_nesting.pl: code a probe runs cannot nest check_rls() probes,
# and a backend terminated while its probes run exits.
#
# A table owner's trigger, fired by check_rls()'s probes, calls
# check_rls(probes => true) again (catching whatever it raises) and then
# sleeps.  Nested probes once stacked the probes' log hook over itself: a
# FATAL (pg_terminate_backend) raised during the sleep then looped in that
# hook for ever, holding its locks, and only SIGKILL (a cluster restart)
# ended it.  It proves:
#   - the nested call is refused (its error is what the trigger caught);
#   - pg_terminate_backend() of the probing backend ends it within seconds;
#   - the server did not restart (no process terminated by a signal);
#   - afterwards check_rls() with probes runs as before.
#
# Run it with test/tap.sh.

use strict;
use warnings;

use File::Basename;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $init_sql = dirname(__FILE__) . '/../db/init/00_supabase_compat.sql';
my $node     = PostgreSQL::Test::Cluster->new('probes');
$node->init;
$node->start;

$node->safe_psql('postgres', 'SET client_min_messages = warning;' . slurp_file($init_sql));
$node->safe_psql('postgres', q{
CREATE EXTENSION aura_migrate;
CREATE TABLE nest_log (pid int, caught text);
GRANT INSERT ON nest_log TO PUBLIC;
CREATE TABLE public.nest_t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL, v text);
ALTER TABLE public.nest_t ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.nest_t TO authenticated USING (user_id = auth.uid());
CREATE SCHEMA nest_empty;
-- the first probe row: check_rls() again, then wait to be terminated
CREATE FUNCTION public.nest_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('nest.done', true) IS DISTINCT FROM 'y' THEN
		PERFORM set_config('nest.done', 'y', false);
		BEGIN
			PERFORM count(*) FROM aura_migrate.check_rls('{nest_empty}', true);
			PERFORM set_config('application_name', 'nest: nested probes ran', false);
		EXCEPTION WHEN OTHERS THEN
			-- seen from outside through the session's application_name
			PERFORM set_config('application_name', left('nest: ' || SQLERRM, 63), false);
		END;
		PERFORM pg_sleep(60);
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER nest_trg BEFORE INSERT ON public.nest_t
	FOR EACH ROW EXECUTE FUNCTION public.nest_trg();
});

# the probing session, in the background (IPC::Run: the same on every major)
my ($in, $out, $err) = ('', '', '');
my $bg = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-c',
	  'SELECT count(*) FROM aura_migrate.check_rls(probes => true)' ],
	\$in, \$out, \$err, IPC::Run::timeout(60));

# the trigger has run the nested call and is sleeping
my $pid;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name LIKE 'nest: %'"),
	'the trigger ran its nested check_rls() and sleeps');
my $caught = $node->safe_psql('postgres',
	"SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'nest: %'");
like($caught, qr/^nest: check_rls\(\) cannot run its probes/,
	'the nested probes were refused');
$pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'nest: %'");

$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid"),
	'the terminated backend exited');
# a backend stuck in the old loop would keep psql waiting: do not wait for it
eval { $bg->finish; };
$bg->kill_kill if $@;

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC/,
	'no process was killed, no restart');

# the session state is clean for the next caller
$node->safe_psql('postgres', 'DROP TRIGGER nest_trg ON public.nest_t');
my $findings = $node->safe_psql('postgres',
	"SELECT count(*) FROM aura_migrate.check_rls(probes => true) WHERE code = 'probe_error'");
is($findings, '0', 'check_rls() with probes runs afterwards');

$node->stop('immediate');
done_testing();
