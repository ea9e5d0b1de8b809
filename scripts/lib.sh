# scripts/lib.sh: shared by scripts/demo.sh and scripts/test.sh.
# Installs what is missing, builds and installs the extension.

set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGVER=${PGVER:-15}
PGBIN=/usr/lib/postgresql/$PGVER/bin

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_deps: install the Debian packages the build and the tests need
ensure_deps() {
	missing=""
	for pkg in postgresql-$PGVER postgresql-server-dev-$PGVER postgresql-$PGVER-pgtap \
		postgresql-$PGVER-plpgsql-check \
		libtap-parser-sourcehandler-pgtap-perl libipc-run-perl postgresql-common make gcc; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $pkg"
	done
	if [ -n "$missing" ]; then
		echo "== installing:$missing"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	fi
	# Debian's package starts a cluster of its own; ours are throwaway ones
	return 0
}

# build_install: compile with warnings as errors and install into PostgreSQL
build_install() {
	echo "== building and installing aura_migrate"
	make -C "$ROOT" -s PG_WERROR=1
	as_root make -C "$ROOT" -s install >/dev/null
}
