# bench/peers/lib.sh: helpers for the peer contenders (bench/contenders/5x..9x),
# sourced by them from bench/run.sh.  The peers are installed by
# bench/peers/setup.sh: the npm ones into bench/peers/node_modules, sqitch
# from Debian.  A peer that is not installed is not timed: it is declared
# with contender_unavailable (listed in results.md as not measured) and the
# benchmark goes on without it.

PEERS_DIR="$BENCH/peers"
PEERS_BIN="$PEERS_DIR/node_modules/.bin"
# the psql of the (frozen) cluster installation, for sqitch
PEERS_PSQL=${PSQL%% *}

# peer_layout TOOL: the directory holding the N migrations in TOOL's own
# layout (bench/peers/layouts.py), written once per N, untimed (in _prepare).
peer_layout() {
	local root
	root="$(dirname "$BENCH_MIGDIR")/peers"
	if [ ! -e "$root/.done.$BENCH_N" ]; then
		python3 "$PEERS_DIR/layouts.py" "$BENCH_MIGDIR" "$root" || return 1
		: >"$root/.done.$BENCH_N"
	fi
	printf '%s/%s\n' "$root" "$1"
}
# the same path, without writing anything (for _run and _noop)
peer_dir() { printf '%s/peers/%s\n' "$(dirname "$BENCH_MIGDIR")" "$1"; }

# peer_declare ID LETTER LABEL CHECK...: declare the contender as a peer if
# the command CHECK... succeeds, else as unavailable, with CHECK's output
# as the reason
peer_declare() {
	local id=$1 letter=$2 label=$3 why
	shift 3
	if why=$("$@" 2>&1); then
		contender "$id" "$letter" "$label" peer
	else
		contender_unavailable "$id" "$letter" "$label" "${why:-not installed} (run bash bench/peers/setup.sh)"
	fi
}

# peer_version: the installed version of an npm package in bench/peers
peer_npm_version() {
	node -e 'console.log(require(process.argv[1] + "/package.json").version)' \
		"$PEERS_DIR/node_modules/$1" 2>/dev/null || echo "?"
}

# peer_need_file FILE: succeed if FILE is executable, else say why
peer_need_file() { [ -x "$1" ] || { echo "${1#$BENCH/} not found"; return 1; }; }
