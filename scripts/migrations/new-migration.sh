#!/usr/bin/env bash
#
# scripts/migrations/new-migration.sh: a new migration file with the
# template header and the next free version of today (UTC).
#
#   new-migration.sh NAME [DESCRIPTION]
#   run-migration.sh new NAME [DESCRIPTION]       (the same)
#
# Creates db/migrations/production/YYYYMMDDNNN_NAME.sql (AURA_NEW_DIR
# overrides the directory).  Exit status 0, or 4 when refused.
# See scripts/migrations/README.md.

set -u
PROG=new-migration.sh
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	echo "usage: new-migration.sh NAME [DESCRIPTION]   (NAME in snake_case)" >&2
	exit "$EXIT_REFUSED"
fi
name=$1
desc=${2:-TODO: one line saying what this migration does}
if ! printf '%s' "$name" | grep -Eq '^[a-z][a-z0-9_]*$' || [ ${#name} -gt 63 ]; then
	die "$EXIT_REFUSED" "NAME must be snake_case: lower-case letters, digits and _, starting with a letter, at most 63 characters (got '$name')"
fi
case "$desc" in
	*"
"*) die "$EXIT_REFUSED" "DESCRIPTION must be one line" ;;
esac
dir="${AURA_NEW_DIR:-$AURA_ROOT/db/migrations/production}"
[ -d "$dir" ] || die "$EXIT_REFUSED" "no directory $dir"

# the highest NNN of today in any migration directory, so versions stay unique
today=$(date -u +%Y%m%d)
max=0
for f in "$dir"/"$today"[0-9][0-9][0-9]_*.sql "$AURA_ROOT"/db/migrations/*/"$today"[0-9][0-9][0-9]_*.sql; do
	[ -e "$f" ] || continue
	b=$(basename "$f")
	n=$((10#${b:8:3}))
	[ "$n" -gt "$max" ] && max=$n
done
next=$((max + 1))
[ "$next" -le 999 ] || die "$EXIT_REFUSED" "no free NNN left for $today"
version=$(printf '%s%03d' "$today" "$next")
file="$dir/${version}_$name.sql"
[ -e "$file" ] && die "$EXIT_REFUSED" "$file exists"
author=$(git -C "$AURA_ROOT" config user.name 2>/dev/null || true)
author=${author:-${USER:-$(id -un)}}

cat >"$file" <<EOF
-- Migration: ${version}_$name.sql
-- Description: $desc
-- Author: $author
-- Created: $(date -u +%Y-%m-%d)
--
-- Optional header lines (see db/migrations/README.md):
--   -- Environments: development, staging     (default: all environments)
--   -- Depends: YYYYMMDDNNN
--   -- Requires: schema auth, function auth.uid()
-- A down migration goes beside this file: ${version}_$name.down.sql
--
-- Rules: no BEGIN/COMMIT, no psql meta-commands; schema-qualify everything;
-- a new table in public needs user_id, RLS enabled, owner policies and an
-- index leading with user_id.  Acknowledge a lint finding with
-- "-- aura:allow <code>" above the statement.

EOF
echo "created $file"
echo "version $version; edit it, then: scripts/migrations/run-migration.sh development ${version}_$name.sql --dry-run"
exit "$EXIT_OK"
