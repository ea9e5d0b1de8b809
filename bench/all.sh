#!/usr/bin/env bash
#
# bench/all.sh: every benchmark, one command, one results file.
#
#     sudo bash bench/all.sh            # about 50 minutes on 2 cores (the peers are slow)
#
# 1. bench/run.sh rewrites bench/results.md: apply() and migrate() against
#    the psql floors and the peer tools, N = 100 and 1,000, and the no-op runs;
# 2. bench/aura_rpc.sh appends the Aura RPC section (sync query with RLS
#    against the owner without, update_cycle_data_optimistic tps,
#    validate_share_token latency with 1,000,000 tokens);
# 3. bench/findings_bench.sh appends check_rls over 1,000 tables and 3,000
#    policies, and lint() over 5 MB of DDL.
# Each step writes the machine, versions, load and its targets beside its
# numbers.  QUICK=1 makes steps 2 and 3 small (a smoke run, not a result).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/bench/run.sh" "$@"
OUT="$ROOT/bench/results.md" bash "$ROOT/bench/aura_rpc.sh"
OUT="$ROOT/bench/results.md" bash "$ROOT/bench/findings_bench.sh"
echo "wrote $ROOT/bench/results.md"
