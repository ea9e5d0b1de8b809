#!/usr/bin/env bash
# bench/peers/setup.sh: install the peer migration tools that bench/run.sh
# times against aura_migrate (contenders e..i, bench/contenders/50..90):
#
#   dbmate, node-pg-migrate, postgres-migrations, graphile-migrate (and pg)
#       from npm, at the versions pinned in bench/peers/package.json and
#       package-lock.json (npm install), into bench/peers/node_modules (not
#       committed);
#       dbmate's npm package ships its Go binary as the optional dependency
#       @dbmate/linux-x64 (no download at install time)
#   sqitch and DBD::Pg from Debian (apt-get install sqitch libdbd-pg-perl),
#       when run as root
#
# Needs node (>= 20.11, for node-pg-migrate 9) and npm.  Idempotent; prints
# the installed versions.  A tool that cannot be installed is reported and
# left out: bench/run.sh then lists it as not available.
set -uo pipefail
PEERS=$(cd "$(dirname "$0")" && pwd)
rc=0

if command -v npm >/dev/null && command -v node >/dev/null; then
	# npm install follows package-lock.json (npm ci would refuse it: npm 11
	# leaves dbmate's other-platform packages out of the lock file)
	(cd "$PEERS" && npm install --no-audit --no-fund --loglevel=error) || rc=1
	# dbmate's postinstall-free layout: the binary comes from the platform
	# package; say so clearly if this platform has none
	if ! "$PEERS/node_modules/.bin/dbmate" --version >/dev/null 2>&1; then
		echo "setup: dbmate did not install a working binary for $(uname -sm)" >&2
		rc=1
	fi
else
	echo "setup: node and npm are needed for dbmate, node-pg-migrate, postgres-migrations and graphile-migrate" >&2
	rc=1
fi

if ! command -v sqitch >/dev/null || ! perl -MDBD::Pg -e 1 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q sqitch libdbd-pg-perl >/dev/null ||
			{ apt-get update -q >/dev/null && apt-get install -y -q sqitch libdbd-pg-perl >/dev/null; } || rc=1
	else
		echo "setup: sqitch is not installed; as root: apt-get install sqitch libdbd-pg-perl" >&2
		rc=1
	fi
fi

v() { node -e 'console.log(require(process.argv[1]).version)' "$PEERS/node_modules/$1/package.json" 2>/dev/null || echo "not installed"; }
echo "dbmate              $("$PEERS/node_modules/.bin/dbmate" --version 2>/dev/null | sed 's/.*version //' || echo 'not installed')"
echo "node-pg-migrate     $(v node-pg-migrate)"
echo "postgres-migrations $(v postgres-migrations)"
echo "graphile-migrate    $(v graphile-migrate)"
echo "pg (node-postgres)  $(v pg)"
echo "sqitch              $(sqitch --version 2>/dev/null | sed 's/.* v//' || echo 'not installed')"
echo "DBD::Pg             $(perl -MDBD::Pg -e 'print $DBD::Pg::VERSION' 2>/dev/null || echo 'not installed')"
echo "node                $(node --version 2>/dev/null || echo 'not installed')"
exit $rc
