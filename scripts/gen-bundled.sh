#!/bin/sh
# gen-bundled.sh FILE...
#
# Writes to stdout the part of the install script that registers the bundled
# migrations: one call of aura_migrate._register_bundled() per up file, with
# its down file (NAME.down.sql beside it) when there is one.  Each file's
# text is dollar-quoted with a tag that does not occur in it.
set -eu

quote() {
	file=$1
	n=0
	tag='$aura_bundled$'
	while grep -qF -- "$tag" "$file"; do
		n=$((n + 1))
		tag="\$aura_bundled_$n\$"
	done
	printf '%s' "$tag"
	cat "$file"
	printf '%s' "$tag"
}

echo
echo "/* ------------------------------------------------------------------------"
echo " * Bundled migrations (generated from db/migrations/production by"
echo " * scripts/gen-bundled.sh: do not edit here)"
echo " * ------------------------------------------------------------------------ */"
for f in "$@"; do
	case "$f" in
		*.down.sql) continue ;;
	esac
	base=$(basename "$f")
	down="${f%.sql}.down.sql"
	printf "SELECT aura_migrate._register_bundled('%s',\n" "$base"
	quote "$f"
	printf ",\n"
	if [ -f "$down" ]; then
		quote "$down"
	else
		printf 'NULL'
	fi
	printf ");\n"
done
