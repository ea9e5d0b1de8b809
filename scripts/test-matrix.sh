#!/bin/sh
# scripts/test-matrix.sh: build and test aura_migrate against other
# PostgreSQL majors, each in a minimal Debian chroot with the packaged server.
#
#     sh scripts/test-matrix.sh            # 17 and 18
#     sh scripts/test-matrix.sh 15 17 18   # any of 15 (bookworm), 17 (trixie), 18 (forky)
#
# For each major: a chroot of the Debian suite that ships it, made once with
# debootstrap --variant=minbase and apt-get (postgresql-N, its server-dev,
# pgTAP, pg_prove, make, gcc), is kept as $AM_CACHE/chroot-SUITE-rN.tar.zst
# (default AM_CACHE=/var/cache/aura_migrate; AM_REFRESH=1 builds it again).
# Each run unpacks a fresh copy next to it, copies the source tree in (the
# files git knows, not build products) and runs scripts/test-matrix-inside.sh
# there: build with warnings as errors and install, then, as the chroot's
# postgres user, a throwaway cluster (Unix socket only) with the pg_regress
# and pgTAP suites.  The shell-level and reliability suites run on the host's
# 15 only (scripts/test.sh).  The copy, its mounts and its processes are
# removed afterwards, also on failure or interrupt.
#
# Needs root (debootstrap, chroot, mount); installs debootstrap and zstd on
# the host when missing.  Prints a summary line per major and exits non-zero
# on any failure.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AM_CACHE=${AM_CACHE:-/var/cache/aura_migrate}
MIRROR=${AM_MIRROR:-http://deb.debian.org/debian}
# the cached tarball's name carries CHROOT_REV: raise it when what a chroot
# holds changes (build_chroot's packages or settings), and the next run
# builds the new one
CHROOT_REV=1
SRC=/build/aura_migrate			# the source tree's place inside the chroot

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo env AM_CACHE="$AM_CACHE" AM_MIRROR="$MIRROR" AM_REFRESH="${AM_REFRESH:-0}" \
			sh "$0" "$@"
	fi
	echo "test-matrix.sh: needs root (debootstrap, chroot, mount)" >&2
	exit 1
fi

say() { printf '== %s\n' "$*"; }

# suite_of MAJOR: the Debian suite whose archive ships postgresql-MAJOR
suite_of() {
	case $1 in
	15) echo bookworm ;;
	17) echo trixie ;;
	18) echo forky ;;
	*) return 1 ;;
	esac
}

# ensure_host_tools: debootstrap and zstd, from the host's own archive
ensure_host_tools() {
	missing=""
	command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
	command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
	if [ -n "$missing" ]; then
		say "installing on the host:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	fi
}

# mounts_under DIR: the mount points at or below DIR, deepest first
mounts_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r
}

# release DIR: end every process whose root is DIR (a server a failed test
# left running: a fast shutdown first, then signals), unmount everything
# below DIR, then remove it.  Refuses to remove DIR while anything is still
# mounted there.
release() {
	_dir=$1
	[ -n "$_dir" ] && [ -d "$_dir" ] || return 0
	_pidfile=$_dir/var/tmp/aura_matrix/data/postmaster.pid
	if [ -f "$_pidfile" ] && [ -d "$_dir/proc/self" ]; then
		_ids=$(stat -c %u:%g "$_pidfile")
		chroot --userspec="$_ids" --groups="${_ids#*:}" "$_dir" /bin/sh -c \
			'/usr/lib/postgresql/*/bin/pg_ctl -D /var/tmp/aura_matrix/data -m fast -w -t 30 stop' \
			>/dev/null 2>&1 || true
	fi
	for _sig in TERM KILL; do
		_pids=""
		for _p in /proc/[0-9]*; do
			_r=$(readlink "$_p/root" 2>/dev/null) || continue
			case $_r in "$_dir" | "$_dir"/*) _pids="$_pids ${_p#/proc/}" ;; esac
		done
		[ -z "$_pids" ] && break
		kill -s "$_sig" $_pids 2>/dev/null || true
		sleep 2
	done
	for _m in $(mounts_under "$_dir"); do
		umount "$_m" 2>/dev/null || umount -l "$_m" || true
	done
	if [ -n "$(mounts_under "$_dir")" ]; then
		echo "test-matrix.sh: still mounted below $_dir, not removing it:" >&2
		mounts_under "$_dir" >&2
		return 1
	fi
	rm -rf "$_dir"
}

# mount_api DIR: /proc and a private /dev/shm for the server and dpkg
mount_api() {
	mount -t proc proc "$1/proc"
	mkdir -p "$1/dev/shm"
	mount -t tmpfs -o mode=1777,size=512m shm "$1/dev/shm"
}

# in_chroot DIR CMD...: run CMD as root in DIR with a clean environment
in_chroot() {
	_root=$1
	shift
	chroot "$_root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 "$@"
}

# build_chroot SUITE MAJOR TARBALL: debootstrap SUITE into $AM_CACHE/build-SUITE,
# install what the build and the suites need, and keep it as TARBALL (written
# under another name and renamed when complete, so an interrupted build is
# redone).  Returns non-zero on failure, leaving the directory for the caller
# to release.
build_chroot() {
	suite=$1
	major=$2
	tarball=$3
	dir=$AM_CACHE/build-$suite
	log=$AM_CACHE/build-$suite.log
	release "$dir" || return 1
	mkdir -p "$dir" || return 1
	script=/usr/share/debootstrap/scripts/$suite
	[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
	say "debootstrap $suite (PostgreSQL $major) into $dir"
	if ! debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" "$script" >"$log" 2>&1; then
		tail -n 20 "$log"
		echo "debootstrap $suite failed (log: $log)"
		return 1
	fi

	# forky's Release is older than its Valid-Until here; no recommends
	cat >"$dir/etc/apt/apt.conf.d/90aura_migrate" <<-'EOF' || return 1
		Acquire::Check-Valid-Until "false";
		APT::Install-Recommends "false";
		APT::Install-Suggests "false";
		Dpkg::Options { "--force-confdef"; "--force-confold"; };
	EOF
	# postgresql-common must neither create nor start a main cluster
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d" || return 1
	chmod 755 "$dir/usr/sbin/policy-rc.d" || return 1
	mkdir -p "$dir/etc/postgresql-common" || return 1
	echo "create_main_cluster = false" >"$dir/etc/postgresql-common/createcluster.conf" || return 1

	mount_api "$dir" || return 1
	say "apt-get install in $suite"
	if ! { in_chroot "$dir" apt-get update -qq &&
		in_chroot "$dir" apt-get install -y -qq postgresql-common &&
		in_chroot "$dir" apt-get install -y -qq \
			postgresql-"$major" postgresql-server-dev-"$major" postgresql-"$major"-pgtap \
			libtap-parser-sourcehandler-pgtap-perl perl make gcc diffutils &&
		in_chroot "$dir" apt-get clean; } >>"$log" 2>&1; then
		tail -n 20 "$log"
		echo "apt-get in the $suite chroot failed (log: $log)"
		return 1
	fi
	rm -rf "$dir"/var/lib/apt/lists/*
	for m in $(mounts_under "$dir"); do umount "$m" || return 1; done
	if [ -n "$(ls -A "$dir/etc/postgresql" 2>/dev/null)" ]; then
		echo "the $suite chroot has a cluster of its own in /etc/postgresql"
		return 1
	fi
	printf 'suite=%s major=%s rev=%s built=%s\n' "$suite" "$major" "$CHROOT_REV" \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dir/.aura_migrate-chroot" || return 1
	say "caching it as $tarball"
	if ! tar -C "$dir" --numeric-owner -cf - . | zstd -q -3 -T2 -f -o "$tarball.tmp"; then
		rm -f "$tarball.tmp"
		echo "could not write $tarball"
		return 1
	fi
	# earlier revisions of this suite's chroot are of no more use
	for old in "$AM_CACHE"/chroot-"$suite"-r*.tar.zst; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
	mv "$tarball.tmp" "$tarball" || return 1
	rm -f "$log"
	release "$dir"
}

# copy_source DEST: the source tree as git sees it (tracked and new files,
# with their working-tree contents; no build products, nothing ignored)
copy_source() {
	mkdir -p "$1"
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done; :' sh |
			tar -cf - --no-recursion -T -) | tar -C "$1" -xf -
	else
		(cd "$ROOT" && tar -cf - --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
			--exclude=results --exclude='regression.*' --exclude='./aura_migrate--*.sql' \
			--exclude='./aura_schema--*.sql' .) | tar -C "$1" -xf -
	fi
}

# free_port START: a port no server on the host uses (the cluster listens on
# a Unix socket only, but its shared memory key and any log read by a person
# are clearer with a port of its own)
free_port() {
	p=$1
	while [ -e "/tmp/.s.PGSQL.$p" ] || [ -e "/var/run/postgresql/.s.PGSQL.$p" ] ||
		grep -qi ":$(printf %04X "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

WORK=""			# the chroot being built or the run's copy: the trap releases it
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$WORK" ]; then
		release "$WORK" || rc=1
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# test_major MAJOR: one major's whole run; leaves its summary line in RESULT
# and returns non-zero on any failure.  Every step's status is checked here,
# since errexit does not hold in a function called from a condition.
test_major() {
	major=$1
	t0=$(date +%s)
	if ! suite=$(suite_of "$major"); then
		RESULT="PostgreSQL $major: no Debian suite ships it (15: bookworm, 17: trixie, 18: forky)"
		return 1
	fi
	RESULT="PostgreSQL $major ($suite): FAILED"
	tarball=$AM_CACHE/chroot-$suite-r$CHROOT_REV.tar.zst
	mkdir -p "$AM_CACHE"
	# one build of a suite's chroot at a time on this machine
	exec 9>"$AM_CACHE/lock-$suite"
	flock 9
	if [ "${AM_REFRESH:-0}" = 1 ] || [ ! -f "$tarball" ]; then
		WORK=$AM_CACHE/build-$suite
		if ! build_chroot "$suite" "$major" "$tarball"; then
			exec 9>&-
			RESULT="$RESULT to build its chroot"
			return 1
		fi
		WORK=""
	else
		say "PostgreSQL $major: the cached $suite chroot ($tarball)"
	fi
	exec 9>&-
	t1=$(date +%s)

	WORK=$AM_CACHE/run-$suite-$$
	release "$WORK" || return 1
	mkdir -p "$WORK"
	if ! zstd -q -dc "$tarball" | tar -C "$WORK" --numeric-owner -xf - ||
		[ ! -f "$WORK/.aura_migrate-chroot" ]; then
		rm -f "$tarball"
		RESULT="$RESULT: the cached chroot $tarball did not unpack; removed, run again"
		return 1
	fi
	if ! copy_source "$WORK$SRC"; then
		RESULT="$RESULT to copy the source tree"
		return 1
	fi
	mount_api "$WORK" || return 1
	pg_uid=$(awk -F: '$1 == "postgres" { print $3 }' "$WORK/etc/passwd")
	pg_gid=$(awk -F: '$1 == "postgres" { print $4 }' "$WORK/etc/passwd")
	port=$(free_port $((54300 + major)))
	t2=$(date +%s)

	say "PostgreSQL $major ($suite): build and install"
	if ! in_chroot "$WORK" sh "$SRC/scripts/test-matrix-inside.sh" build "$major"; then
		RESULT="$RESULT to build"
		return 1
	fi
	chown -R "$pg_uid:$pg_gid" "$WORK$SRC"
	t3=$(date +%s)
	say "PostgreSQL $major ($suite): a throwaway cluster, pg_regress and pgTAP"
	rc=0
	chroot --userspec="$pg_uid:$pg_gid" --groups="$pg_gid" "$WORK" /usr/bin/env -i \
		PATH=/usr/bin:/bin HOME=/var/lib/postgresql LC_ALL=C.UTF-8 \
		sh "$SRC/scripts/test-matrix-inside.sh" test "$major" "$port" || rc=$?
	t4=$(date +%s)
	release "$WORK" || rc=1
	WORK=""
	timing="chroot $((t1 - t0))s, unpack $((t2 - t1))s, build $((t3 - t2))s, tests $((t4 - t3))s"
	if [ "$rc" -eq 0 ]; then
		RESULT="PostgreSQL $major ($suite): ok ($timing)"
	else
		RESULT="PostgreSQL $major ($suite): FAILED ($timing)"
	fi
	return "$rc"
}

ensure_host_tools
[ $# -gt 0 ] || set -- 17 18
# copies left by a run that was killed outright (its pid is gone)
for stale in "$AM_CACHE"/run-*-*; do
	[ -d "$stale" ] || continue
	kill -0 "${stale##*-}" 2>/dev/null || release "$stale" || true
done

SUMMARY=""
failed=0
passed=0
for major in "$@"; do
	RESULT=""
	if test_major "$major"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		if [ -n "$WORK" ]; then
			release "$WORK" || true
			WORK=""
		fi
	fi
	echo "$RESULT"
	SUMMARY="$SUMMARY$RESULT
"
done
echo
say "matrix"
printf '%s' "$SUMMARY"
echo "majors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
