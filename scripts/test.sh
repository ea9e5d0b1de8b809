#!/bin/sh
# scripts/test.sh: every test suite on a throwaway cluster.
#
# Installs what is missing, builds (warnings are errors) and installs the
# extension, starts a temporary PostgreSQL 15 cluster with pg_virtualenv
# (run as the postgres OS user on a free port, dropped afterwards) and runs
# scripts/test-inside.sh there: pg_regress, pgTAP, and the fast shell-level
# suites.  Exits non-zero on any failure.
. "$(dirname "$0")/lib.sh"

ensure_deps
build_install
echo "== starting a throwaway cluster"
as_root pg_virtualenv -t -v $PGVER sh "$ROOT/scripts/test-inside.sh"
