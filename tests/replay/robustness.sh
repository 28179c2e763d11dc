#!/bin/sh
# robustness.sh -- bad input, a missing or corrupt database, a bad config: reported, nothing lost
. "$(dirname "$0")/../lib.sh"

make_vm_db "$T/ref.sqlite"
replay_conf "$T/ref.sqlite" "$T/replay.conf"
replay "$CORPUS/vm-ima-enriched.log" "$T/clean"

# 1. Junk around every line: malformed records, NUL bytes, a 100 KiB line.
{
	echo "this is not an audit record"
	printf 'type=INTEGRITY_RULE msg=audit(12:34): file="/x" \000 NUL\n'
	head -c 102400 /dev/zero | tr '\0' 'A'; echo
	echo 'type=INTEGRITY_RULE msg=audit(bogus): file="/y"'
	cat "$CORPUS/vm-ima-enriched.log"
	echo "type=EOE"
} > "$T/junk.log"
replay "$T/junk.log" "$T/junk.out"
grep -v '^input_error ' "$T/junk.out" > "$T/junk.alerts"
expect_file_eq "$T/clean" "$T/junk.alerts"
expect_grep 'input_error severity=err skipped_total=1 reason="over-long input line skipped"' "$T/junk.out"
expect_grep 'input_error severity=err skipped_total=1 reason="malformed input line skipped"' "$T/junk.out"

# 2. Odd read boundaries through a pipe give the same alerts as the file.
dd if="$CORPUS/vm-ima-enriched.log" bs=7 2>/dev/null |
	run_plugin --stdout -c "$T/replay.conf" | grep -v '^db_reloaded ' > "$T/pipe.out"
expect_file_eq "$T/clean" "$T/pipe.out"

# 3. auditd configured with format = binary: said once, with the fix.
printf '\001\000\000\000\020\000\000\000\005\007\000\000\012\000\000\000audit(1:2)' > "$T/binary.in"
head -c 100000 /dev/urandom >> "$T/binary.in"
replay "$T/binary.in" "$T/binary.out"
[ "$(wc -l < "$T/binary.out")" = 1 ] || { cat "$T/binary.out"; fail "binary input: expected one line"; }
expect_grep "format = string" "$T/binary.out"

# 4. No database: said once at err; the kernel's own reports still flow.
replay_conf "$T/missing.sqlite" "$T/missing.conf"
replay "$CORPUS/vm-ima-enriched.log" "$T/nodb.out" "$T/missing.conf"
[ "$(grep -c '^db_unavailable severity=err ' "$T/nodb.out")" = 1 ] ||
	fail "db_unavailable not reported exactly once"
expect_grep "db=$T/missing.sqlite" "$T/nodb.out"
expect_alert appraise_failed alert /mnt/bin/tampered.sh "$T/nodb.out"
expect_alert evm_failed alert /mnt/evm/hashonly.sh "$T/nodb.out"
expect_grep 'policy_change severity=notice' "$T/nodb.out"
for id in hash_mismatch unknown_file known_elsewhere; do
	if grep -q "^$id " "$T/nodb.out"; then
		fail "$id raised without a database"
	fi
done

# 5. A corrupt database: the same, with the reason.
head -c 8192 /dev/urandom > "$T/corrupt.sqlite"
replay_conf "$T/corrupt.sqlite" "$T/corrupt.conf"
replay "$CORPUS/vm-ima-enriched.log" "$T/corrupt.out" "$T/corrupt.conf"
[ "$(grep -c '^db_unavailable severity=err ' "$T/corrupt.out")" = 1 ] ||
	fail "corrupt database not reported exactly once"
expect_alert appraise_failed alert /mnt/bin/tampered.sh "$T/corrupt.out"

# 6. A bad config: each problem with its line; the good lines still apply.
cat > "$T/bad.conf" <<CONF
reference_db = $T/ref.sqlite
hash_mismatch = loud
no_such_key = 1
unknown_file = off
$SANDBOX_CONF
CONF
replay "$CORPUS/vm-ima-enriched.log" "$T/badconf.out" "$T/bad.conf"
expect_grep "config_error severity=err file=$T/bad.conf line=2 reason=\"'loud' is not a severity" "$T/badconf.out"
expect_grep "config_error severity=err file=$T/bad.conf line=3 reason=\"unknown key 'no_such_key'\"" "$T/badconf.out"
expect_alert hash_mismatch crit /mnt/bin/tampered.sh "$T/badconf.out"
if grep -q '^unknown_file ' "$T/badconf.out"; then fail "unknown_file = off ignored"; fi

# A relative config path (an admin testing by hand) is the same file.
(cd "$T" && run_plugin --stdout -c replay.conf < "$CORPUS/vm-ima-enriched.log") |
	grep -v '^db_reloaded ' > "$T/relative.out"
expect_file_eq "$T/clean" "$T/relative.out"

# 7. --check-config: 0 when clean, 1 with the reason when not.
run_plugin --check-config -c "$T/replay.conf" > "$T/check.out" 2>&1 ||
	{ cat "$T/check.out"; fail "--check-config failed on a good config"; }
expect_grep "OK" "$T/check.out"
if run_plugin --check-config -c "$T/bad.conf" > "$T/check.out" 2>&1; then
	fail "--check-config passed a bad config"
fi
expect_grep "config_error severity=err file=$T/bad.conf line=3 reason=\"unknown key 'no_such_key'\"" "$T/check.out"
expect_grep "NOT OK" "$T/check.out"
if run_plugin --check-config -c "$T/missing.conf" > "$T/check.out" 2>&1; then
	fail "--check-config passed a missing database"
fi
expect_grep "missing.sqlite" "$T/check.out"
exit 0
