#!/usr/bin/env bash
#
# test/shell/aura_races.sh: prove with real, concurrent sessions what a single
# pgTAP session cannot:
#   1. two sessions calling update_cycle_data_optimistic() with the same expected
#      version: the second waits on the first's row lock and then loses (applied =
#      false, current_version = the winner's); exactly one winner, no lost update;
#   2. the same with 8 sessions started at once: exactly one winner;
#   3. two concurrent rotate_device_key() calls for one device: the second waits,
#      then retires the key the first activated; exactly one active key;
#   4. 8 concurrent rotations: still exactly one active key, none failed;
#   5. 8 concurrent validate_share_token() calls on a one-use share: exactly one
#      gets the share, the use count is 1, the audit has 1 ok and 7 exhausted.
#
# Runnable alone against the standard PG* variables, on a database where
# db/init and the five migrations have been applied, as a superuser (to set up
# and remove its own test user):
#
#     PGDATABASE=aura bash test/shell/aura_races.sh
#
# Prints one "ok"/"not ok" line per proof; exits non-zero on any failure.  Its
# rows belong to a fresh auth.users id and are deleted at the end.

set -euo pipefail

. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
TMP="$(mktemp -d)"
UID_A="$("${PSQL[@]}" -c 'SELECT gen_random_uuid()')"
TAG="aura_race_$$"
CYCLE_ID=""

cleanup() {
	"${PSQL[@]}" -c "DELETE FROM auth.users WHERE id = '$UID_A'" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# expect DESCRIPTION GOT WANT: check with the arguments in the order read here
expect() { check "$1" "$3" "$2"; }

# as_user SQL: the statement(s) SQL in one transaction as the authenticated user A,
# with the JWT claims PostgREST would set.
as_user() {
	printf '%s\n' "BEGIN;" \
		"SELECT set_config('request.jwt.claims', json_build_object('sub', '$UID_A', 'role', 'authenticated')::text, true) \\g /dev/null" \
		"SELECT set_config('request.jwt.claim.sub', '$UID_A', true) \\g /dev/null" \
		"SET LOCAL ROLE authenticated;" \
		"$1" \
		"COMMIT;"
}
as_anon() {
	printf '%s\n' "BEGIN;" "SET LOCAL ROLE anon;" "$1" "COMMIT;"
}

# wait_for CONDITION_SQL: poll (up to 10 s) until the query returns t.
wait_for() {
	local i
	for i in $(seq 1 100); do
		if [ "$("${PSQL[@]}" -c "$1")" = t ]; then return 0; fi
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------------------
# Set-up: a user with one cycle record (version 1) and a one-use share.
# ---------------------------------------------------------------------------
"${PSQL[@]}" >/dev/null <<SQL
INSERT INTO auth.users (id) VALUES ('$UID_A');
INSERT INTO public.users (id) VALUES ('$UID_A');
INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, max_uses, ciphertext, nonce, key_id, algorithm)
VALUES ('$UID_A', '$UID_A', 'cycle_summary', now() + interval '1 day', 1,
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
VALUES ('$UID_A', '$UID_A', sha256(convert_to('race-token-$TAG-5f0c2a9e7b41d836', 'UTF8')), now() + interval '1 day');
SQL
CYCLE_ID="$("${PSQL[@]}" -c "INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm)
	VALUES ('$UID_A', decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf') RETURNING id")"
ENVELOPE="decode(repeat('ef', 32), 'hex'), decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf'"

# ---------------------------------------------------------------------------
# 1. Optimistic update: two sessions, same expected version, forced overlap.
# ---------------------------------------------------------------------------
UPDATE_SQL="SELECT applied || '|' || current_version FROM public.update_cycle_data_optimistic('$CYCLE_ID', 1, $ENVELOPE);"
as_user "$UPDATE_SQL SELECT pg_sleep(1.5) \\g /dev/null" \
	| PGAPPNAME="${TAG}_s1" "${PSQL[@]}" >"$TMP/u1" 2>&1 &
P1=$!
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '${TAG}_s1' AND query LIKE '%pg_sleep%')" \
	|| notok "session 1 did not reach its sleep"
as_user "$UPDATE_SQL" | PGAPPNAME="${TAG}_s2" "${PSQL[@]}" >"$TMP/u2" 2>&1 &
P2=$!
if wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '${TAG}_s2' AND wait_event_type = 'Lock')"; then
	ok "optimistic update: session 2 blocks on session 1's row lock"
else
	notok "optimistic update: session 2 was never seen waiting for a lock"
fi
wait $P1 || true; wait $P2 || true
expect "optimistic update: session 1 (first) wins" "$(cat "$TMP/u1")" "true|2"
expect "optimistic update: session 2 (same expected version) loses and sees version 2" "$(cat "$TMP/u2")" "false|2"
expect "optimistic update: stored version is 2 (one bump, no lost update)" \
	"$("${PSQL[@]}" -c "SELECT version FROM public.encrypted_cycle_data WHERE id = '$CYCLE_ID'")" "2"

# ---------------------------------------------------------------------------
# 2. Optimistic update: 8 sessions at once with expected version 2.
# ---------------------------------------------------------------------------
UPDATE_SQL="SELECT applied || '|' || current_version FROM public.update_cycle_data_optimistic('$CYCLE_ID', 2, $ENVELOPE);"
PIDS=()
for i in 1 2 3 4 5 6 7 8; do
	as_user "$UPDATE_SQL" | "${PSQL[@]}" >"$TMP/b$i" 2>&1 &
	PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p" || true; done
expect "optimistic update x8: exactly one winner" "$(cat "$TMP"/b? | grep -c '^true|3$' || true)" "1"
expect "optimistic update x8: seven report a conflict at version 3" "$(cat "$TMP"/b? | grep -c '^false|3$' || true)" "7"
expect "optimistic update x8: stored version is 3" \
	"$("${PSQL[@]}" -c "SELECT version FROM public.encrypted_cycle_data WHERE id = '$CYCLE_ID'")" "3"

# ---------------------------------------------------------------------------
# 3. Key rotation: two sessions, forced overlap.
# ---------------------------------------------------------------------------
DEVICE="sha256(convert_to('device-$TAG', 'UTF8'))"
as_user "SELECT public.rotate_device_key($DEVICE, decode(repeat('10', 32), 'hex'), 'x25519') \\g /dev/null" \
	| "${PSQL[@]}" >/dev/null
ROTATE_SQL="SELECT new_key_id FROM public.rotate_device_key($DEVICE, decode(repeat('11', 32), 'hex'), 'x25519');"
as_user "$ROTATE_SQL SELECT pg_sleep(1.5) \\g /dev/null" | PGAPPNAME="${TAG}_r1" "${PSQL[@]}" >"$TMP/r1" 2>&1 &
P1=$!
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '${TAG}_r1' AND query LIKE '%pg_sleep%')" \
	|| notok "rotation session 1 did not reach its sleep"
as_user "$ROTATE_SQL" | PGAPPNAME="${TAG}_r2" "${PSQL[@]}" >"$TMP/r2" 2>&1 &
P2=$!
if wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = '${TAG}_r2' AND wait_event_type = 'Lock')"; then
	ok "key rotation: session 2 waits for session 1"
else
	notok "key rotation: session 2 was never seen waiting for a lock"
fi
R1=0; R2=0
wait $P1 || R1=$?; wait $P2 || R2=$?
expect "key rotation: both rotations succeed" "$R1/$R2" "0/0"
expect "key rotation: exactly one active key for the device" \
	"$("${PSQL[@]}" -c "SELECT count(*) FROM public.device_key WHERE user_id = '$UID_A' AND device_id_hash = $DEVICE AND is_active")" "1"
expect "key rotation: the active key is the one session 2 activated" \
	"$("${PSQL[@]}" -c "SELECT id FROM public.device_key WHERE user_id = '$UID_A' AND device_id_hash = $DEVICE AND is_active")" \
	"$(cat "$TMP/r2")"

# ---------------------------------------------------------------------------
# 4. Key rotation: 8 sessions at once.
# ---------------------------------------------------------------------------
PIDS=()
for i in 1 2 3 4 5 6 7 8; do
	as_user "$ROTATE_SQL" | "${PSQL[@]}" >"$TMP/k$i" 2>&1 &
	PIDS+=($!)
done
FAILS=0
for p in "${PIDS[@]}"; do wait "$p" || FAILS=$((FAILS + 1)); done
expect "key rotation x8: no rotation failed" "$FAILS" "0"
expect "key rotation x8: exactly one active key" \
	"$("${PSQL[@]}" -c "SELECT count(*) FROM public.device_key WHERE user_id = '$UID_A' AND device_id_hash = $DEVICE AND is_active")" "1"
expect "key rotation x8: 11 keys in all, 10 retired, each rotation audited" \
	"$("${PSQL[@]}" -c "SELECT count(*) || '/' || count(*) FILTER (WHERE NOT is_active) || '/' ||
		(SELECT count(*) FROM public.security_audit_log WHERE user_id = '$UID_A' AND event_type = 'device_key_rotated')
		FROM public.device_key WHERE user_id = '$UID_A'")" "11/10/10"

# ---------------------------------------------------------------------------
# 5. Token validation: 8 providers at once on a one-use share.
# ---------------------------------------------------------------------------
PIDS=()
for i in 1 2 3 4 5 6 7 8; do
	as_anon "SELECT share_id FROM public.validate_share_token('race-token-$TAG-5f0c2a9e7b41d836');" \
		| "${PSQL[@]}" >"$TMP/t$i" 2>&1 &
	PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p" || true; done
expect "share token x8: exactly one provider gets the share" "$(cat "$TMP"/t? | grep -c "^$UID_A\$" || true)" "1"
expect "share token x8: the others get nothing and no error" "$(cat "$TMP"/t? | grep -vc "^$UID_A\$" || true)" "0"
expect "share token x8: use_count is exactly max_uses (1)" \
	"$("${PSQL[@]}" -c "SELECT use_count FROM public.healthcare_share WHERE id = '$UID_A'")" "1"
expect "share token x8: audit counts 1 ok and 7 exhausted attempts" \
	"$("${PSQL[@]}" -c "SELECT coalesce(sum(attempts) FILTER (WHERE reason = 'ok'), 0) || '/' || coalesce(sum(attempts) FILTER (WHERE reason = 'exhausted'), 0)
		FROM public.healthcare_share_audit WHERE share_id = '$UID_A'")" "1/7"

finish
