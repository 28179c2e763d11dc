#!/bin/sh
# syslog-socket.sh -- alerts reach a real syslog socket with the right facility and priority
#
# syslog(3) writes to /dev/log.  In a private mount namespace a tmpfs covers
# /dev, a datagram socket (tests/syslog-sink, bound the way syslogd binds)
# takes /dev/log's place, and the plugin runs without --stdout, exactly as
# under auditd.  Each message's <PRI> is facility * 8 + severity.
. "$(dirname "$0")/../lib.sh"

make_vm_db "$T/ref.sqlite"
cat > "$T/replay.conf" <<CONF
reference_db = $T/ref.sqlite
facility = local3
# a per-cause override must change the priority on the wire
appraise_failed.missing-hash = notice
$SANDBOX_CONF
CONF

cat > "$T/inside.sh" <<INSIDE
$WRAP "$AUDISP_IMA" -c "$T/replay.conf" < "$CORPUS/vm-ima-enriched.log"
INSIDE
in_syslog_ns "$T/inside.sh"

# The same messages --stdout prints, in the same order.
replay "$CORPUS/vm-ima-enriched.log" "$T/stdout"
sed -e 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* audisp-ima\[[0-9]*\]: //' \
	"$T/received" | grep -v '^db_reloaded ' > "$T/bodies"
expect_file_eq "$T/stdout" "$T/bodies"

# pri LINE-PATTERN: the <PRI> of the first message matching
pri() {
	grep -m1 -E "$1" "$T/received" | sed -n 's/^<\([0-9]*\)>.*/\1/p'
}
# local3 is facility 19: crit 2 -> 154, alert 1 -> 153, warning 4 -> 156, notice 5 -> 157
[ "$(pri 'hash_mismatch severity=crit ')" = 154 ] || fail "hash_mismatch not at local3.crit"
[ "$(pri 'appraise_failed severity=alert .*cause=invalid-hash')" = 153 ] || fail "appraise_failed not at local3.alert"
[ "$(pri 'appraise_failed severity=notice .*cause=missing-hash')" = 157 ] || fail "the missing-hash override did not reach the wire"
[ "$(pri 'unknown_file severity=warning ')" = 156 ] || fail "unknown_file not at local3.warning"
[ "$(pri 'policy_rule severity=info ')" = 158 ] || fail "policy_rule not at local3.info"
# the ident and pid are syslog's
grep -q '^<154>... .. ..:..:.. audisp-ima\[[0-9]*\]: hash_mismatch ' "$T/received" ||
	fail "messages lack the audisp-ima[PID] tag"
# nothing at a level that is off
if grep -q ': match ' "$T/received"; then fail "'match' is off but was sent"; fi
exit 0
