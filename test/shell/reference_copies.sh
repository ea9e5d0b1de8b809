#!/usr/bin/env bash
#
# test/shell/reference_copies.sh: prove that the readable reference copies
# (db/migrations/policies/*.sql, db/functions/*.sql) say exactly what the
# migrations in db/migrations/production/ do.
#
# Both sides are split into SQL statements (aware of quotes, dollar quotes and
# comments; comments in front of a statement are not part of it).  It then proves:
#   1. every statement of every reference file occurs, character for character, as a
#      statement of some migration file;
#   2. every CREATE POLICY and CREATE FUNCTION statement of the migrations occurs in
#      exactly one reference file (so no reference copy is missing).
# Exits non-zero and names the file and statement that differ otherwise.
#
#     bash test/shell/reference_copies.sh            # check
#     bash test/shell/reference_copies.sh --write    # regenerate the copies from the migrations
#
# Needs only bash and perl; no database.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODE="${1:-check}"

exec perl -e '
use strict; use warnings;
my ($root, $mode) = @ARGV;

# Split SQL text into statements; returns list of [text, first line number].
sub split_sql {
	my ($sql) = @_;
	my @out; my $cur = ""; my $i = 0; my $n = length $sql; my $line = 1; my $start;
	while ($i < $n) {
		my $c = substr($sql, $i, 1);
		if (!defined $start && $c !~ /\s/ && substr($sql, $i, 2) ne "--") { $start = $line; }
		if (substr($sql, $i, 2) eq "--") {                     # line comment
			my $e = index($sql, "\n", $i); $e = $n if $e < 0;
			$cur .= substr($sql, $i, $e - $i) if defined $start;
			$i = $e; next;
		}
		if (substr($sql, $i, 2) eq "/*") {                     # block comment
			my $e = index($sql, "*/", $i + 2); $e = $n - 2 if $e < 0;
			my $t = substr($sql, $i, $e + 2 - $i);
			$cur .= $t if defined $start; $line += ($t =~ tr/\n//);
			$i = $e + 2; next;
		}
		if ($c eq "\x27") {                                    # single-quoted string
			my $j = $i + 1;
			while ($j < $n) {
				if (substr($sql, $j, 1) eq "\x27") {
					if (substr($sql, $j + 1, 1) eq "\x27") { $j += 2; next; }
					last;
				}
				$j++;
			}
			my $t = substr($sql, $i, $j + 1 - $i);
			$cur .= $t; $line += ($t =~ tr/\n//); $i = $j + 1; next;
		}
		if ($c eq "\$" && substr($sql, $i) =~ /^(\$[A-Za-z_]*\$)/) {   # dollar quote
			my $tag = $1;
			my $e = index($sql, $tag, $i + length $tag);
			$e = $n - length $tag if $e < 0;
			my $t = substr($sql, $i, $e + length($tag) - $i);
			$cur .= $t; $line += ($t =~ tr/\n//); $i = $e + length $tag; next;
		}
		if ($c eq ";") {
			push @out, [$cur . ";", $start] if defined $start;
			$cur = ""; undef $start; $i++; next;
		}
		$line++ if $c eq "\n";
		$cur .= $c if defined $start;
		$i++;
	}
	push @out, [$cur, $start] if defined $start && $cur =~ /\S/;
	s/\s+\z// for map { $_->[0] } @out;
	return map { $_->[0] =~ s/\s+\z//r =~ s/\s+;\z/;/r } @out;
}

sub slurp { my ($f) = @_; open my $h, "<", $f or die "$f: $!\n"; local $/; my $t = <$h>; close $h; return $t; }

my @mig = sort glob("$root/db/migrations/production/*.sql");
@mig = grep { !/\.down\.sql$/ } @mig;
die "no migration files under db/migrations/production\n" unless @mig;
my %in_mig;      # statement -> migration file
my @creates;     # [kind, key, stmt, file]
for my $f (@mig) {
	(my $short = $f) =~ s{^\Q$root\E/}{};
	for my $s (split_sql(slurp($f))) {
		$in_mig{$s} //= $short;
		if ($s =~ /^CREATE\s+POLICY\s+(\w+)\s+ON\s+([\w.]+)/i) {
			(my $t = $2) =~ s/^public\.//;
			push @creates, ["policy", $t, $s, $short];
		} elsif ($s =~ /^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)\s*\(/i) {
			push @creates, ["function", $1, $s, $short];
		}
	}
}

if ($mode eq "--write") {
	my %files;
	for my $c (@creates) {
		my ($kind, $key, $s, $src) = @$c;
		my $f = $kind eq "policy" ? "db/migrations/policies/$key.sql" : "db/functions/$key.sql";
		$files{$f} //= { src => {}, stmts => [] , kind => $kind, key => $key };
		$files{$f}{src}{$src} = 1;
		push @{$files{$f}{stmts}}, $s;
	}
	for my $f (sort keys %files) {
		my $e = $files{$f};
		my $what = $e->{kind} eq "policy" ? "Row level security policies on public.$e->{key}" : "Function $e->{key}";
		open my $h, ">", "$root/$f" or die "$f: $!\n";
		print $h "-- $f\n--\n-- $what: reference copy.\n";
		print $h "-- Source of truth: " . join(", ", sort keys %{$e->{src}}) . ".\n";
		print $h "-- Kept identical to it by test/shell/reference_copies.sh; edit the migration\n";
		print $h "-- (or add a new one), then run that script with --write.\n\n";
		print $h join("\n\n", @{$e->{stmts}}), "\n";
		close $h;
		print "wrote $f\n";
	}
	exit 0;
}

my $fail = 0; my $checked = 0;
my %in_ref;
my @refs = (sort(glob("$root/db/migrations/policies/*.sql")), sort(glob("$root/db/functions/*.sql")));
die "no reference files found\n" unless @refs;
for my $f (@refs) {
	(my $short = $f) =~ s{^\Q$root\E/}{};
	my @st = split_sql(slurp($f));
	if (!@st) { print "not ok: $short has no statements\n"; $fail++; next; }
	for my $s (@st) {
		$checked++;
		$in_ref{$s}++;
		next if exists $in_mig{$s};
		my ($head) = $s =~ /^([^\n]*)/;
		print "not ok: $short: statement \"$head\" does not appear verbatim in any migration\n";
		$fail++;
	}
}
for my $c (@creates) {
	my ($kind, $key, $s, $src) = @$c;
	my $k = $in_ref{$s} // 0;
	next if $k == 1;
	my ($head) = $s =~ /^([^\n]*)/;
	print "not ok: $src: \"$head\" " . ($k ? "appears $k times in the reference copies\n" : "has no identical reference copy\n");
	$fail++;
}
if ($fail) { print "reference copies: $fail difference(s)\n"; exit 1; }
printf "ok: %d reference statements in %d files match the migrations verbatim; all %d CREATE POLICY/FUNCTION statements have a copy\n", $checked, scalar @refs, scalar @creates;
' "$ROOT" "$MODE"
