#!/bin/sh
# production.sh -- floods, rate limits, reloads, signals and unsafe files, on the real binary
. "$(dirname "$0")/../lib.sh"

HEX1=0000000100000001000000010000000100000001000000010000000100000001
HEX2=0000000200000002000000020000000200000002000000020000000200000002

# start_plugin CONF OUT : the plugin reading the fifo $T/in, in the background
# (started directly, so that this shell is its parent, as auditd would be)
start_plugin() {
	rm -f "$T/in"
	mkfifo "$T/in"
	$WRAP "$AUDISP_IMA" --stdout -c "$1" < "$T/in" > "$2" 2>"$T/plugin.err" &
	plugin=$!
	exec 3>"$T/in"
}

# stop_plugin : close its input and expect a clean exit
stop_plugin() {
	exec 3>&-
	wait "$plugin" || fail "the plugin exited $?"
}

# A database that knows none of the generated files.
make_unrelated_db "$T/none.sqlite"

# ---------------------------------------------------------------- 1. duplicates
# 100,000 alerts about 10 files: the first of each, then one summary each.
gen_rules 100000 10 1000 0 > "$T/flood.log"
replay_conf "$T/none.sqlite" "$T/flood.conf"
replay "$T/flood.log" "$T/flood.out" "$T/flood.conf"
[ "$(grep -c '^unknown_file severity=warning ' "$T/flood.out")" = 10 ] ||
	fail "expected 10 first alerts, got $(grep -c '^unknown_file ' "$T/flood.out")"
[ "$(grep -c '^alerts_suppressed severity=warning file=/prod/f[0-9] hash=sha256:[0-9a-f]* reason=duplicate id=unknown_file count=9999 window=60$' "$T/flood.out")" = 10 ] ||
	{ grep alerts_suppressed "$T/flood.out" >&2; fail "expected 10 summaries of 9999 repeats"; }
# 10 alerts, 10 summaries: nothing else
[ "$(wc -l < "$T/flood.out")" = 20 ] || fail "unexpected lines in the flood output"

# A window is measured in record time: 70 s of repeats make two alerts per file.
gen_rules 2 1 1000 70000 > "$T/window.log"
replay "$T/window.log" "$T/window.out" "$T/flood.conf"
[ "$(grep -c '^unknown_file ' "$T/window.out")" = 2 ] ||
	fail "a repeat after the window closed must alert again"

# ---------------------------------------------------------------- 2. rate limits
# 5,000 different unknown files in one second: 1,000 alerts, the rest counted.
gen_rules 5000 5000 2000 0 /rate > "$T/rate.log"
replay "$T/rate.log" "$T/rate.out" "$T/flood.conf"
[ "$(grep -c '^unknown_file ' "$T/rate.out")" = 1000 ] ||
	fail "rate limit: expected 1000 unknown_file alerts"
expect_grep 'alerts_suppressed severity=warning reason=rate_limit level=warning unknown_file=4000 total=4000 window=30' "$T/rate.out"
# crit is never limited: 3,000 tampered files, 3,000 alerts.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%064d  /crit/f%d\n", 0, i }' > "$T/crit.sha256"
run_refdb --db "$T/crit.sqlite" import "$T/crit.sha256" 2>/dev/null || fail "import"
replay_conf "$T/crit.sqlite" "$T/crit.conf"
gen_rules 3000 3000 3000 0 /crit > "$T/crit.log"
replay "$T/crit.log" "$T/crit.out" "$T/crit.conf"
[ "$(grep -c '^hash_mismatch severity=crit ' "$T/crit.out")" = 3000 ] ||
	fail "crit alerts were rate limited"
# the limit is configurable, and can be off
replay_conf "$T/none.sqlite" "$T/norate.conf" "rate_limit = off"
replay "$T/rate.log" "$T/norate.out" "$T/norate.conf"
[ "$(grep -c '^unknown_file ' "$T/norate.out")" = 5000 ] || fail "rate_limit = off"
replay_conf "$T/none.sqlite" "$T/rate10.conf" "rate_limit.warning = 10/1"
replay "$T/rate.log" "$T/rate10.out" "$T/rate10.conf"
[ "$(grep -c '^unknown_file ' "$T/rate10.out")" = 10 ] || fail "rate_limit.warning = 10/1"

# ---------------------------------------------------------------- 3. SIGTERM
# Events still waiting for their quiet time when auditd says stop: none lost.
replay_conf "$T/none.sqlite" "$T/term.conf" "event_timeout = 10000"
start_plugin "$T/term.conf" "$T/term.out"
gen_rules 500 500 4000 1 /term | grep -v '^type=EOE' >&3
sleep 0.5
# a SIGTERM from anyone but the parent is said and ignored
sh -c "kill -TERM $plugin"
wait_for 'SIGTERM not from auditd ignored' "$T/term.out"
kill -TERM "$plugin"
wait "$plugin" || fail "SIGTERM from the parent: exit status $?"
exec 3>&-
[ "$(grep -c '^unknown_file ' "$T/term.out")" = 500 ] ||
	fail "SIGTERM lost alerts: $(grep -c '^unknown_file ' "$T/term.out") of 500"

# ---------------------------------------------------------------- 4. reloads
printf '%s  /reload/f0\n' "$HEX1" > "$T/one.sha256"
run_refdb --db "$T/reload.sqlite" import "$T/one.sha256" 2>/dev/null || fail "import"
replay_conf "$T/reload.sqlite" "$T/reload.conf"
cp "$T/reload.conf" "$T/reload.good"
start_plugin "$T/reload.conf" "$T/reload.out"
wait_for 'db_reloaded severity=info' "$T/reload.out"

# rule EVENT FILE HEX : one measurement, written to the plugin
rule() {
	printf 'type=INTEGRITY_RULE msg=audit(5000.%03d:%d): file="%s" hash="sha256:%s" ppid=1 pid=9 auid=0 uid=0 comm="x" exe="/bin/x"\ntype=EOE msg=audit(5000.%03d:%d):\n' \
		"$1" "$1" "$2" "$3" "$1" "$1" >&3
}

# a broken config: reported, not applied; the running one goes on judging
printf 'reference_db = %s\nhash_mismatch = shout\n' "$T/reload.sqlite" > "$T/reload.conf"
kill -HUP "$plugin"
wait_for 'configuration not reloaded; the running one stays in force' "$T/reload.out"
expect_grep "line=2 reason=\"'shout' is not a severity" "$T/reload.out"
rule 1 /reload/f0 eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
wait_for "hash_mismatch severity=crit event=5000.001:1 file=/reload/f0" "$T/reload.out"

# a corrupt database: reported, the old one stays in force
head -c 20000 /dev/urandom > "$T/corrupt.sqlite"
replay_conf "$T/corrupt.sqlite" "$T/reload.conf"
kill -HUP "$plugin"
wait_for "db=$T/corrupt.sqlite" "$T/reload.out"
rule 2 /reload/f0 dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd
wait_for "hash_mismatch severity=crit event=5000.002:2 file=/reload/f0" "$T/reload.out"

# a database renamed into place while events flow: picked up unasked
cp "$T/reload.good" "$T/reload.conf"
rule 3 /reload/f1 "$HEX2"
wait_for "unknown_file severity=warning event=5000.003:3 file=/reload/f1" "$T/reload.out"
printf '%s  /reload/f1\n' "$HEX2" >> "$T/one.sha256"
run_refdb --db "$T/next.sqlite" import "$T/one.sha256" 2>/dev/null || fail "import"
before=$(grep -c '^db_reloaded ' "$T/reload.out")
mv "$T/next.sqlite" "$T/reload.sqlite"
i=0
while [ "$(grep -c '^db_reloaded ' "$T/reload.out")" = "$before" ]; do
	rule $((10 + i)) /reload/flowing "$HEX1"	# events keep flowing meanwhile
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the replaced database was not picked up in 10 s"
	sleep 0.1
done
rule 200 /reload/f1 "$HEX2"
rule 201 /reload/sentinel "$HEX2"
wait_for "event=5000.201:201 file=/reload/sentinel" "$T/reload.out"
expect_no_grep "event=5000.200:200" "$T/reload.out"
[ "$(grep -c 'file=/reload/flowing' "$T/reload.out")" -ge 1 ] ||
	fail "events sent during the reload were not judged"

# least privilege, once started: no capabilities, no_new_privs, seccomp
if [ -z "$SANDBOX_CONF" ] && [ "$(id -u)" = 0 ]; then
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$plugin/status" ||
		fail "capabilities were not dropped"
	grep -q '^CapBnd:[[:space:]]*0000000000000000$' "/proc/$plugin/status" ||
		fail "the bounding set was not cleared"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$plugin/status" ||
		fail "no_new_privs is not set"
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$plugin/status" ||
		fail "no seccomp filter"
fi

# SIGUSR1: the counters, one line
kill -USR1 "$plugin"
wait_for 'stats severity=info lines=' "$T/reload.out"
grep '^stats ' "$T/reload.out" | grep -q " db_sha256=$(sha256sum "$T/reload.sqlite" | cut -c1-64)" ||
	fail "stats does not name the database in force"
stop_plugin
[ ! -s "$T/plugin.err" ] || { cat "$T/plugin.err" >&2; fail "stderr output"; }

# ---------------------------------------------------------------- 5. signed databases
openssl genpkey -algorithm ed25519 -out "$T/key.pem" 2>/dev/null || fail "openssl genpkey"
openssl pkey -in "$T/key.pem" -pubout -out "$T/key.pub" 2>/dev/null || fail "openssl pkey"
make_vm_db "$T/signed.sqlite"
run_refdb --db "$T/signed.sqlite" sign --key "$T/key.pem" --release 5 >/dev/null 2>&1 ||
	fail "ima-refdb sign"
replay_conf "$T/signed.sqlite" "$T/signed.conf" "verify_key = $T/key.pub" \
	"require_signature = yes"
replay "$CORPUS/vm-ima-enriched.log" "$T/signed.out" "$T/signed.conf"
sum=$(sha256sum "$T/signed.sqlite" | cut -c1-64)
grep -q "^db_reloaded severity=info db=$T/signed.sqlite sha256=$sum release=5 entries=25 key_id=[0-9a-f]\{64\}$" "$T/signed.out.full" ||
	{ cat "$T/signed.out.full" >&2; fail "the signed database's load is not logged with sha256 and release"; }
expect_alert hash_mismatch crit /mnt/bin/tampered.sh "$T/signed.out"

# unsigned, while a signature is required: refused, measurements unjudged
make_vm_db "$T/unsigned.sqlite"
replay_conf "$T/unsigned.sqlite" "$T/unsigned.conf" "verify_key = $T/key.pub" \
	"require_signature = yes"
replay "$CORPUS/vm-ima-enriched.log" "$T/unsigned.out" "$T/unsigned.conf"
expect_grep "db_rejected severity=alert db=$T/unsigned.sqlite" "$T/unsigned.out"
expect_grep 'reason="unsigned database refused (require_signature = yes)"' "$T/unsigned.out"
if grep -q '^hash_mismatch \|^unknown_file ' "$T/unsigned.out"; then
	fail "an unsigned database was used"
fi

# changed after signing: refused
cp "$T/signed.sqlite" "$T/tampered.sqlite"
cp "$T/signed.sqlite.sig" "$T/tampered.sqlite.sig"
printf 'x' >> "$T/tampered.sqlite"
replay_conf "$T/tampered.sqlite" "$T/tampered.conf" "verify_key = $T/key.pub"
replay "$CORPUS/vm-ima-enriched.log" "$T/tampered.out" "$T/tampered.conf"
expect_grep 'reason="signature does not verify"' "$T/tampered.out"
if grep -q '^db_reloaded ' "$T/tampered.out.full"; then fail "a tampered database was loaded"; fi

# an older release renamed over the one in force: refused, the newer one serves on
cp "$T/signed.sqlite" "$T/old.sqlite"
run_refdb --db "$T/old.sqlite" sign --key "$T/key.pem" --release 2 >/dev/null 2>&1 ||
	fail "ima-refdb sign --release 2"
start_plugin "$T/signed.conf" "$T/rollback.out"
wait_for 'release=5' "$T/rollback.out"
mv "$T/old.sqlite.sig" "$T/signed.sqlite.sig"
mv "$T/old.sqlite" "$T/signed.sqlite"
wait_for 'reason="rollback refused"' "$T/rollback.out" 10
expect_grep 'error="release 2 is older than release 5 in force"' "$T/rollback.out"
printf 'type=INTEGRITY_RULE msg=audit(6000.001:1): file="/mnt/bin/tampered.sh" hash="sha256:%s" ppid=1 pid=9 auid=0 uid=0 comm="x" exe="/bin/x"\ntype=EOE msg=audit(6000.001:1):\n' "$HEX1" >&3
wait_for 'hash_mismatch severity=crit event=6000.001:1 ' "$T/rollback.out"
stop_plugin

# ---------------------------------------------------------------- 6. unsafe files
cp "$T/reload.sqlite" "$T/open.sqlite"
chmod 0666 "$T/open.sqlite"
replay_conf "$T/open.sqlite" "$T/open.conf"
replay "$CORPUS/vm-ima-enriched.log" "$T/open.out" "$T/open.conf"
expect_grep "db_rejected severity=alert db=$T/open.sqlite error=\"$T/open.sqlite is writable by others (mode 0666)\" reason=\"unsafe permissions\"" "$T/open.out"
if grep -q '^unknown_file \|^hash_mismatch ' "$T/open.out"; then
	fail "a world-writable database was used"
fi
# A refused config means the defaults, seccomp filter included: valgrind
# cannot run a filtered process, so that run is left to the plain build.
if [ -z "$WRAP" ]; then
	chmod 0666 "$T/open.conf"
	replay "$CORPUS/vm-ima-enriched.log" "$T/openconf.out" "$T/open.conf"
	expect_grep "config_error severity=err file=$T/open.conf error=\"$T/open.conf is writable by others (mode 0666)\" reason=\"configuration refused: unsafe permissions\"" "$T/openconf.out"
fi
exit 0
