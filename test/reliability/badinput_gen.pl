#!/usr/bin/perl
# test/reliability/badinput_gen.pl SEED MUTATIONS GARBAGE MIGRATION_FILES...
#
# Writes to stdout the psql script of badinput.sh: a corpus of malformed and
# hostile inputs to register(), register_file(), lint(), apply(), migrate(),
# rollback() and check_rls().  Every case is framed as
#
#     \echo '#CASE n E|A label'          E: must be an ERROR; A: any answer
#     <the statement>;
#     \echo '#RES n' :ERROR :SQLSTATE
#     SELECT '#ALIVE ' || pg_backend_pid() || ' ' || <registry fingerprint>;
#
# and badinput.sh reads the markers back.  Cases that change something are
# wrapped in BEGIN ... ROLLBACK (the #ALIVE line follows the ROLLBACK).
use strict;
use warnings;
no warnings qw(qw);
binmode(STDOUT, ':encoding(UTF-8)');

my ($seed, $mutations, $garbage, @files) = @ARGV;
srand($seed);
my $n = 0;

sub sqlq { my $s = shift; return 'NULL' unless defined $s; $s =~ s/'/''/g; return "'$s'"; }
sub label { my $l = shift; $l =~ s/[^A-Za-z0-9 _.:,=()+-]/_/g; return substr($l, 0, 110); }
sub alive {
	print "SELECT '#ALIVE ' || pg_backend_pid() || ' ' || (SELECT count(*) || ':' || coalesce(md5(string_agg(version || checksum || coalesce(down_sql, ''), ',' ORDER BY version)), '') FROM aura_migrate.migration);\n";
}
# open_case EXP LABEL SQL: the case, without its #ALIVE line
sub open_case {
	my ($exp, $l, $sql) = @_;
	$n++;
	print "\\echo '#CASE $n $exp " . label($l) . "'\n$sql;\n\\echo '#RES $n' :ERROR :SQLSTATE\n";
}
sub one { my ($exp, $l, $sql) = @_; open_case($exp, $l, $sql); alive(); }
# in_tx EXP LABEL SQL: the case inside BEGIN ... ROLLBACK
sub in_tx { my ($exp, $l, $sql) = @_; print "BEGIN;\n"; open_case($exp, $l, $sql); print "ROLLBACK;\n"; alive(); }
# reg_then_apply EXP_REG LABEL REGISTER_SQL APPLY_SQL [EXP_APPLY]: register, and
# when that worked apply, in one transaction rolled back afterwards
sub reg_then_apply {
	my ($expr, $l, $reg, $apply, $expa) = @_;
	print "BEGIN;\n";
	open_case($expr, "$l: register", $reg);
	print "\\if :ERROR\n\\else\n";
	open_case($expa // 'A', "$l: apply", $apply);
	print "\\endif\nROLLBACK;\n";
	alive();
}

print "\\timing on\n";
alive();    # the registry before the first case
my $V = "'20010101001'";
my $R = "aura_migrate.register";

# ---- register(): NULLs and bad versions, names, arguments -------------------
one('E', "register NULL version", "SELECT $R(NULL, 'n', 'SELECT 1')");
one('E', "register NULL name", "SELECT $R($V, NULL, 'SELECT 1')");
one('E', "register NULL sql", "SELECT $R($V, 'n', NULL)");
one('E', "register all NULL", "SELECT $R(NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
one('E', "register NULL replace", "SELECT $R($V, 'n', 'SELECT 1', replace => NULL)");
for my $v ('', '1', '2025090900', '202509090011', '20250909000', '20251301001',
		   '20250230001', '19691231001', 'abcdefghijk', "\x{FF12}0250909001", ' 20250909001',
		   '20250909001 ', '-2025090901', "2025090900\n1", '2025090900' . "\x{0661}",
		   '00000000000', '99999999999', "20250909001'; DROP TABLE x; --", "2025\x{200B}0909001") {
	one('E', "register bad version " . label($v), "SELECT $R(" . sqlq($v) . ", 'n', 'SELECT 1')");
}
one('E', "register 1MB version", "SELECT $R(repeat('9', 1000000), 'n', 'SELECT 1')");
for my $nm ('', 'Upper', '1abc', 'a-b', 'a' x 64, 'na' . "\x{EF}" . 've', 'a b', '"; DROP TABLE x; --',
			"a\tb", "\x{202E}abc", '_lead', "a\nb") {
	one('E', "register bad name " . label($nm), "SELECT $R($V, " . sqlq($nm) . ", 'SELECT 1')");
}
one('E', "register 10MB name", "SELECT $R($V, repeat('a', 10000000), 'SELECT 1')");
for my $env ("'{NULL}'", "'{\"\"}'", "'{bogus}'", "'{{development},{staging}}'", "array_fill('development'::text, ARRAY[100000])",
			 "'{Development}'", "'{\"development \"}'") {
	# duplicates of a valid environment are harmless: any answer
	($env =~ /array_fill/ ? \&in_tx : \&one)->($env =~ /array_fill/ ? 'A' : 'E', "register environments $env", "SELECT $R($V, 'n', 'SELECT 1', environments => $env)");
}
for my $dep ("'{NULL}'", "'{99999999999}'", "'{20010101001}'", "'{20990101001}'", "'{\"\"}'", "'{{a},{b}}'",
			 "'{garbage}'", "array_fill('20000101001'::text, ARRAY[10000])") {
	one('E', "register depends_on $dep", "SELECT $R($V, 'n', 'SELECT 1', depends_on => $dep)");
}

# ---- SQL that register() must refuse (and lint() must answer) ---------------
my @must_refuse = (
	['empty', "''"], ['blank', "'   '"], ['newlines only', "E'\\n\\n\\n'"], ['comment only', "'-- nothing here'"],
	['block comment only', "'/* nothing */'"], ['semicolons only', "';;;;'"], ['100k semicolons', "repeat(';', 100000)"],
	['psql include', "'\\i /etc/passwd'"], ['psql include relative', "'SELECT 1;\n\\ir x.sql'"], ['psql set', "'\\set x 1'"],
	['psql variable', "'SELECT :var'"], ['psql quoted variable', "'SELECT :''var'''"], ['psql copy', "'\\copy t from x'"],
	['psql gexec', "'SELECT 1 \\gexec'"],
	['COPY FROM STDIN', "'CREATE TABLE t (a int); COPY t FROM STDIN;'"], ['COPY FROM STDIN with data', "E'COPY t FROM STDIN;\\n1\\n\\\\.\\n'"],
	['BEGIN', "'BEGIN'"], ['COMMIT', "'SELECT 1; COMMIT'"], ['ROLLBACK', "'ROLLBACK'"], ['SAVEPOINT', "'SAVEPOINT a'"],
	['RELEASE', "'RELEASE SAVEPOINT a'"], ['PREPARE TRANSACTION', "'PREPARE TRANSACTION ''x'''"], ['COMMIT PREPARED', "'COMMIT PREPARED ''x'''"],
	['START TRANSACTION', "'START TRANSACTION'"], ['END', "'END'"], ['ABORT', "'ABORT'"],
	['CREATE INDEX CONCURRENTLY', "'CREATE INDEX CONCURRENTLY i ON t (a)'"], ['VACUUM', "'VACUUM'"], ['CREATE DATABASE', "'CREATE DATABASE x'"],
	['ALTER SYSTEM', "'ALTER SYSTEM SET work_mem = 1'"],
	['DROP EXTENSION', "'DROP EXTENSION aura_migrate'"], ['DROP SCHEMA aura_migrate', "'DROP SCHEMA aura_migrate CASCADE'"],
	['ALTER EXTENSION', "'ALTER EXTENSION aura_migrate UPDATE'"], ['DELETE history', "'DELETE FROM aura_migrate.history'"],
	['TRUNCATE log', "'TRUNCATE aura_migrate.log'"], ['UPDATE migration', "'UPDATE aura_migrate.migration SET up_sql = ''x'''"],
	['ALTER TABLE history', "'ALTER TABLE aura_migrate.history ADD COLUMN x int'"], ['INSERT history', "'INSERT INTO aura_migrate.history VALUES (1)'"],
	['DROP TABLE migration', "'DROP TABLE aura_migrate.migration'"],
	['unterminated dollar quote', "'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS \$\$ SELECT 1'"],
	['unterminated tagged dollar quote', "'DO \$body\$ BEGIN NULL; END \$bod\$'"], ['unterminated quote', "'SELECT ''abc'"],
	['unterminated comment', "'SELECT 1; /* never closed'"], ['nested unterminated comment', "'/* a /* b */ SELECT 1'"],
	['unterminated identifier', "'SELECT \"abc'"], ['lone dollar', "'\$'"], ['backslash only', "'\\'"],
	['syntax error', "'SELEC 1'"], ['garbage after statement', "'SELECT 1 garbage garbage'"],
	['100k open parens', "'SELECT ' || repeat('(', 100000) || '1' || repeat(')', 100000)"],
	['100k unbalanced parens', "'SELECT ' || repeat('(', 100000)"],
	['10MB string', "repeat('x', 10000000)"], ['10MB literal', "'SELECT ''' || repeat('x', 10000000) || ''''"],
	['10MB comment', "'-- ' || repeat('x', 10000000)"], ['9MB valid statement', "'SELECT ''' || repeat('y', 9000000) || ''''"],
	['invalid unicode escape', "'SELECT U&''\\D800'''"],
);
for my $c (@must_refuse) {
	my ($l, $sql) = @$c;
	one('E', "register $l", "SELECT $R($V, 'bad_sql', $sql)");
	one('A', "lint $l", "SELECT count(*) FROM aura_migrate.lint($sql)");
}
# a NUL escape (E'\x00') and an escaped backslash: may parse; any answer
for my $c (['NUL escape', "'SELECT E''\\x00'''"], ['escaped backslash x00', "'SELECT E''\\\\x00'''"]) {
	in_tx('A', "register $c->[0]", "SELECT $R($V, 'nul_escape', $c->[1])");
	one('A', "lint $c->[0]", "SELECT count(*) FROM aura_migrate.lint($c->[1])");
}
# lint(): NULL and weird schema arrays
one('A', "lint NULL", "SELECT count(*) FROM aura_migrate.lint(NULL)");
for my $sch ("NULL", "'{NULL}'", "'{\"\"}'", "'{}'", "'{nonexistent}'", "'{pg_catalog,aura_migrate}'", "'{{public}}'",
			 "array_fill('public'::name, ARRAY[10000])", "ARRAY[repeat('s', 1000)::name]") {
	one('A', "lint schemas $sch", "SELECT count(*) FROM aura_migrate.lint('CREATE TABLE x (a int)', $sch)");
}
# invalid UTF-8 never reaches the functions: convert_from() refuses it
for my $b ('\\xc328', '\\xff', '\\xf09f98', '\\xed a080') {
	(my $bb = $b) =~ s/ //g;
	one('E', "lint invalid UTF-8 $bb", "SELECT count(*) FROM aura_migrate.lint(convert_from('$bb'::bytea, 'UTF8'))");
	one('E', "register invalid UTF-8 $bb", "SELECT $R($V, 'bad_utf8', convert_from('$bb'::bytea, 'UTF8'))");
}

# ---- random text: valid UTF-8, garbage -----------------------------------
my @kw = qw(SELECT FROM WHERE CREATE TABLE DROP ALTER INDEX DO BEGIN END ; ( ) ' " $$ $x$ -- /* */ , . :: \\ :var \\i
			COPY STDIN COMMIT ROLLBACK SAVEPOINT LANGUAGE plpgsql AS RETURNS FUNCTION POLICY USING WITH CHECK
			GRANT REVOKE ON TO public aura_migrate.history E'\\\\ U&'\\0041' NULL);
my @ranges = ([0x21, 0x7e], [0x20, 0x20], [0x0a, 0x0a], [0x09, 0x09], [0x01, 0x1f], [0xa0, 0xff], [0x400, 0x4ff],
			  [0x4e00, 0x4fff], [0x1f600, 0x1f64f], [0x300, 0x36f], [0x200b, 0x200f], [0x202a, 0x202e],
			  [0xfeff, 0xfeff], [0xfff0, 0xfffd], [0x10000, 0x10ffff]);
for my $g (1 .. $garbage) {
	my $len = 1 + int(rand(rand() < 0.2 ? 20000 : 400));
	my $s = '';
	while (length($s) < $len) {
		if (rand() < 0.3) {
			$s .= $kw[int(rand(@kw))] . ' ';
		} else {
			my $r = $ranges[int(rand(@ranges))];
			my $cp = $r->[0] + int(rand($r->[1] - $r->[0] + 1));
			next if $cp >= 0xd800 && $cp <= 0xdfff;
			$s .= chr($cp);
		}
	}
	one('A', "lint random text $g ($len chars)", "SELECT count(*) FROM aura_migrate.lint(" . sqlq($s) . ")");
	reg_then_apply('A', "random text $g", "SELECT $R($V, 'garbage_$g', " . sqlq($s) . ")",
				   "SELECT count(*) FROM aura_migrate.apply($V)");
}

# ---- mutated real migrations ----------------------------------------------
my @real;
for my $f (@files) {
	open(my $fh, '<:encoding(UTF-8)', $f) or die "$f: $!";
	local $/;
	my $t = <$fh>;
	close $fh;
	(my $base = $f) =~ s{.*/}{};
	push @real, [$base, $t];
}
my @hostile_tokens = ('(', ')', ';', "'", '$$', '"', 'END', 'BEGIN', '--', '/*', 'COMMIT', '\\i x', 'NULL', ',', 'DROP', "\x{1F600}");
for my $i (1 .. $mutations) {
	my ($base, $t) = @{ $real[($i - 1) % @real] };
	my ($version) = $base =~ /^(\d{11})/;
	(my $name = $base) =~ s/^\d{11}_(.*)\.sql$/$1/;
	my @lines = split /\n/, $t, -1;
	my $op = int(rand(6));
	my ($what, $m);
	if ($op == 0) {
		my $at = int(rand(length $t));
		$m = substr($t, 0, $at);
		$what = "truncated at $at";
	} elsif ($op == 1) {
		my @l = @lines;
		my $k = 1 + int(rand(3));
		splice(@l, int(rand(@l)), 1) for 1 .. $k;
		$m = join("\n", @l);
		$what = "$k lines deleted";
	} elsif ($op == 2) {
		my @l = @lines;
		my $at = int(rand(@l));
		splice(@l, $at, 0, $l[$at]) for 1 .. 1 + int(rand(2));
		$m = join("\n", @l);
		$what = "line $at duplicated";
	} elsif ($op == 3) {
		my @tok = split /(\s+)/, $t;
		my @idx = grep { $tok[$_] !~ /^\s*$/ } 0 .. $#tok;
		my ($a, $b) = ($idx[int(rand(@idx))], $idx[int(rand(@idx))]);
		@tok[$a, $b] = @tok[$b, $a];
		$m = join('', @tok);
		$what = "tokens $a and $b swapped";
	} elsif ($op == 4) {
		my @tok = split /(\s+)/, $t;
		my @idx = grep { $tok[$_] !~ /^\s*$/ } 0 .. $#tok;
		my $a = $idx[int(rand(@idx))];
		$tok[$a] = $hostile_tokens[int(rand(@hostile_tokens))];
		$m = join('', @tok);
		$what = "token $a replaced";
	} else {
		my @l = @lines;
		my ($a, $b) = (int(rand(@l)), int(rand(@l)));
		@l[$a, $b] = @l[$b, $a];
		$m = join("\n", @l);
		$what = "lines $a and $b swapped";
	}
	one('A', "lint mutated $base, $what", "SELECT count(*) FROM aura_migrate.lint(" . sqlq($m) . ")");
	my $reg = ($i % 2)
		? "SELECT aura_migrate.register_file('$base', " . sqlq($m) . ", replace => true)"
		: "SELECT $R('$version', '$name', " . sqlq($m) . ", replace => true)";
	reg_then_apply('A', "mutated $base, $what", $reg, "SELECT count(*) FROM aura_migrate.apply('$version')");
}

# ---- apply(), migrate(), rollback(): bad targets and hostile migrations -----
for my $t ("''", "'abc'", "'2025'", "'99999999999'", "'00000000000'", "repeat('1', 1000000)", "E'\\x01'",
		   "'20250909001; DROP TABLE x'", "'20250909001 '", "'20250909001'::text || chr(0x200B)") {
	in_tx('E', "apply target $t", "SELECT count(*) FROM aura_migrate.apply($t)");
	in_tx('E', "rollback target $t", "SELECT count(*) FROM aura_migrate.rollback($t)");
}
one('E', "migrate target 'abc'", "CALL aura_migrate.migrate('abc')");
in_tx('E', "migrate in a transaction block", "CALL aura_migrate.migrate()");
in_tx('A', "rollback NULL with nothing applied", "SELECT count(*) FROM aura_migrate.rollback(NULL)");
print "BEGIN ISOLATION LEVEL REPEATABLE READ;\n"; open_case('E', "apply at REPEATABLE READ", "SELECT count(*) FROM aura_migrate.apply()"); print "ROLLBACK;\n"; alive();
print "BEGIN ISOLATION LEVEL SERIALIZABLE;\n"; open_case('E', "apply at SERIALIZABLE", "SELECT count(*) FROM aura_migrate.apply()"); print "ROLLBACK;\n"; alive();
print "BEGIN READ ONLY;\n"; open_case('E', "apply in a read-only transaction", "SELECT count(*) FROM aura_migrate.apply('20250909001')"); print "ROLLBACK;\n"; alive();

my @hostile = (
	['DROP EXTENSION via EXECUTE', "DO \$\$BEGIN EXECUTE 'DROP EXTENSION aura_migrate CASCADE'; END\$\$;"],
	['TRUNCATE history via EXECUTE', "DO \$\$BEGIN EXECUTE 'TRUNCATE aura_migrate.history'; END\$\$;"],
	['DELETE registry via EXECUTE', "DO \$\$BEGIN EXECUTE 'DELETE FROM aura_migrate.migration'; END\$\$;"],
	['INSERT history via function', "CREATE FUNCTION hx() RETURNS void LANGUAGE sql AS \$\$ INSERT INTO aura_migrate.history (version, name, checksum, statements, run_id, applied_by, environment, duration_ms) VALUES ('20990101001', 'x', 'x', 1, 1, 'x', 'x', 1) \$\$; SELECT hx();"],
	['ALTER TABLE log via EXECUTE', "DO \$\$BEGIN EXECUTE 'ALTER TABLE aura_migrate.log DROP COLUMN message'; END\$\$;"],
	['nested apply', "SELECT count(*) FROM aura_migrate.apply();"],
	['nested migrate', "CALL aura_migrate.migrate();"],
	['nested rollback', "SELECT count(*) FROM aura_migrate.rollback();"],
	['nested register', "SELECT aura_migrate.register('20010101002', 'inner', 'SELECT 1');"],
	['COMMIT inside DO', "DO \$\$BEGIN COMMIT; END\$\$;"],
	['ROLLBACK inside DO', "DO \$\$BEGIN ROLLBACK; END\$\$;"],
	['advisory unlock all', "SELECT pg_advisory_unlock_all();"],
	['RESET ALL', "RESET ALL;"],
	['SET ROLE to nobody', "CREATE ROLE bi_nobody_x; SET ROLE bi_nobody_x; CREATE TABLE bi_t (a int);"],
	['SET search_path empty', "SET search_path = ''; CREATE TABLE bi_t2 (a int);"],
	['SET LOCAL statement_timeout 1ms', "SET LOCAL statement_timeout = 1; SELECT pg_sleep(0.1);"],
	['infinite recursion', "CREATE FUNCTION bi_rec(i int) RETURNS int LANGUAGE plpgsql AS \$\$BEGIN RETURN bi_rec(i + 1); END\$\$; SELECT bi_rec(1);"],
	['huge allocation', "SELECT repeat('x', 1073741823) || repeat('x', 10);"],
	['division by zero in DO', "DO \$\$BEGIN PERFORM 1 / 0; END\$\$;"],
	['RAISE with custom SQLSTATE', "DO \$\$BEGIN RAISE EXCEPTION USING ERRCODE = 'AM999', MESSAGE = 'custom'; END\$\$;"],
	['LOCK history', "LOCK TABLE aura_migrate.history IN ACCESS EXCLUSIVE MODE;"],
	['SELECT FOR UPDATE history', "SELECT * FROM aura_migrate.history FOR UPDATE;"],
	['CREATE EVENT TRIGGER', "CREATE FUNCTION bi_evt() RETURNS event_trigger LANGUAGE plpgsql AS \$\$BEGIN RAISE EXCEPTION 'no'; END\$\$; CREATE EVENT TRIGGER bi_evt ON ddl_command_end EXECUTE FUNCTION bi_evt(); CREATE TABLE bi_t3 (a int);"],
	['table without RLS in public', "CREATE TABLE bi_norls (a int);"],
	['no-transaction migration', "-- aura:no-transaction\nCREATE INDEX CONCURRENTLY bi_i ON pg_class (relname);"],
	['pg_terminate other backends is allowed but harmless', "SELECT count(*) FROM pg_stat_activity WHERE false;"],
	['temp table', "CREATE TEMP TABLE bi_tmp (a int); INSERT INTO bi_tmp VALUES (1);"],
	['LISTEN NOTIFY', "LISTEN bi_chan; NOTIFY bi_chan, 'x';"],
	['PREPARE and EXECUTE', "PREPARE bi_p AS SELECT 1; EXECUTE bi_p; DEALLOCATE bi_p;"],
	['cursor', "DECLARE bi_c CURSOR FOR SELECT 1; FETCH bi_c; CLOSE bi_c;"],
	['set_config of aura_migrate GUCs', "SELECT set_config('aura_migrate.environment', 'production', true);"],
	['load a library', "LOAD 'aura_migrate';"],
	['DISCARD ALL', "DISCARD ALL;"],
);
my $hv = 0;
for my $h (@hostile) {
	my ($l, $sql) = @$h;
	$hv++;
	my $v = sprintf("'20010101%03d'", 100 + $hv);
	reg_then_apply('A', "hostile migration: $l", "SELECT $R($v, 'hostile_$hv', " . sqlq($sql) . ")",
				   "SELECT count(*) FROM aura_migrate.apply($v)");
}
# hostile down SQL: register with it, apply, rollback()
my @downs = (
	['DROP EXTENSION', "DROP EXTENSION aura_migrate CASCADE;"],
	['garbage', "this is not sql ((("],
	['DO that truncates history', "DO \$\$BEGIN EXECUTE 'TRUNCATE aura_migrate.history'; END\$\$;"],
	['COMMIT', "COMMIT;"],
	['error', "SELECT 1/0;"],
	['empty', ""],
	['nested rollback', "SELECT count(*) FROM aura_migrate.rollback();"],
);
for my $d (@downs) {
	my ($l, $down) = @$d;
	$hv++;
	my $v = sprintf("'20010101%03d'", 100 + $hv);
	print "BEGIN;\n";
	open_case('A', "down SQL $l: register", "SELECT $R($v, 'down_$hv', 'CREATE TABLE bi_down_$hv (a int); -- aura:allow table_without_rls', " . sqlq($down) . ")");
	print "\\if :ERROR\n\\else\n";
	open_case('A', "down SQL $l: apply", "SELECT count(*) FROM aura_migrate.apply($v)");
	open_case('A', "down SQL $l: rollback", "SELECT count(*) FROM aura_migrate.rollback()");
	print "\\endif\nROLLBACK;\n";
	alive();
}

# ---- register_file(): bad file names and headers -----------------------------
for my $fn ('', 'x.sql', '20250909001.sql', '20250909001_.sql', '20250909001_Bad.sql', '20250909001_ok.txt',
			'../../etc/passwd', '20250909001_ok.down.sql', "20250909001_ok.sql\n", '20251399001_ok.sql',
			'2025090900a_ok.sql', ('a' x 10000) . '.sql') {
	one('E', "register_file name " . label(substr($fn, 0, 40)), "SELECT aura_migrate.register_file(" . sqlq($fn) . ", 'SELECT 1')");
}
one('E', "register_file NULL name", "SELECT aura_migrate.register_file(NULL, 'SELECT 1')");
one('E', "register_file NULL sql", "SELECT aura_migrate.register_file('20010101001_x.sql', NULL)");
for my $hdr ("-- Migration: 20010101002_other.sql\n-- Description: x\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: x\n-- Created: 2025-02-30\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: x\n-- Created: yesterday\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: x\n-- Environments: mars\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: x\n-- Depends: 99999999999\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: x\n-- Depends: ,,,\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: x\n-- Requires: nonsense thing\nSELECT 1",
			 "-- Migration: 20010101001_x.sql\n-- Description: " . ('d' x 100000) . "\nSELECT 1") {
	one('E', "register_file header " . label(substr($hdr, 36, 40)), "SELECT aura_migrate.register_file('20010101001_x.sql', " . sqlq($hdr) . ")");
}

# ---- check_rls(): weird schema arrays, probes, allow lists --------------------
for my $sch ("NULL", "'{}'", "'{NULL}'", "'{\"\"}'", "'{nonexistent}'", "'{public,public}'", "'{pg_catalog}'",
			 "'{information_schema}'", "'{aura_migrate}'", "'{pg_toast}'", "'{auth}'", "'{aura_private}'",
			 "'{{public}}'", "array_fill('public'::name, ARRAY[10000])", "ARRAY[repeat('p', 200)::name]",
			 "'{\"a\\\"b\", \"x;y\", \"\\\\\"}'", "'{public,NULL,auth}'", "(SELECT array_agg(nspname) FROM pg_namespace)") {
	one('A', "check_rls schemas $sch", "SELECT count(*) FROM aura_migrate.check_rls($sch)");
	one('A', "check_rls schemas $sch probes", "SELECT count(*) FROM aura_migrate.check_rls($sch, true)");
}
for my $al ("'{NULL}'", "'{\"\"}'", "'{\"not a function(\"}'", "'{public.validate_share_token(text)}'",
			"'{x.y.z.w}'", "'{pg_catalog.now()}'", "array_fill('f'::text, ARRAY[10000])", "'{\"public.x\\\")(\"}'",
			"'{{a},{b}}'") {
	one('A', "check_rls allow_definer $al", "SELECT count(*) FROM aura_migrate.check_rls('{public}', true, $al)");
}
one('A', "check_rls all NULL", "SELECT count(*) FROM aura_migrate.check_rls(NULL, NULL, NULL)");
print "BEGIN;\nSET LOCAL search_path = '';\n"; open_case('A', "check_rls with an empty search_path", "SELECT count(*) FROM aura_migrate.check_rls()"); print "ROLLBACK;\n"; alive();
print "\\echo '#DONE $n'\n";
