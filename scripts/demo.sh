#!/bin/sh
# scripts/demo.sh: the main job on a throwaway local cluster.
#
# Installs what is missing, builds and installs the extension, starts a
# temporary PostgreSQL 15 cluster (pg_virtualenv: run as the postgres OS
# user, on a free port, dropped afterwards), creates the extension, applies
# the bundled Aura migrations and the examples in examples/migrations,
# checks RLS and prints status().
. "$(dirname "$0")/lib.sh"

ensure_deps
build_install
echo "== starting a throwaway cluster"
as_root pg_virtualenv -t -v $PGVER sh "$ROOT/scripts/demo-inside.sh"
