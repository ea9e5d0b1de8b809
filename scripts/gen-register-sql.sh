#!/bin/sh
# gen-register-sql.sh FUNCTION FILE...
#
# Writes to stdout SQL that registers migration files: one
#   SELECT 'NAME' AS file, FUNCTION('NAME', $tag$...up...$tag$, $tag$...down...$tag$ | NULL) AS result;
# per up file, with its down file (NAME.down.sql beside it) when there is one.
# Each file's bytes are passed unchanged (quotes, backslashes and $$ bodies
# included), dollar-quoted with a tag that does not occur in the file, so
# the checksum is that of the file.  Used by the Makefile for the bundled
# migrations (FUNCTION = aura_migrate._register_bundled) and by the scripts
# (FUNCTION = aura_migrate.register_file).
set -eu

func=$1
shift

quote() {
	n=0
	tag='$aura_file$'
	# the tag less its last "$" must not occur either: a file ending in
	# "$aura_file" would otherwise close the quote early
	while grep -qF -- "${tag%?}" "$1"; do
		n=$((n + 1))
		tag="\$aura_file_$n\$"
	done
	printf '%s' "$tag"
	cat "$1"
	printf '%s' "$tag"
}

for f in "$@"; do
	case "$f" in
		*.down.sql) continue ;;
	esac
	base=$(basename "$f")
	case "$base" in
		*\'*) echo "gen-register-sql.sh: file name with a quote: $base" >&2; exit 1 ;;
	esac
	down="${f%.sql}.down.sql"
	printf "SELECT '%s' AS file, %s('%s',\n" "$base" "$func" "$base"
	quote "$f"
	printf ",\n"
	if [ -f "$down" ]; then
		quote "$down"
	else
		printf 'NULL'
	fi
	printf ") AS result;\n"
done
