#!/bin/sh
# syslog-socket.sh -- alerts reach a real syslog socket with the right facility and priority
#
# syslog(3) writes to /dev/log.  In a private mount namespace a tmpfs covers
# /dev, a datagram socket (tests/syslog-sink, bound the way syslogd binds)
# takes /dev/log's place, and the plugin runs without --stdout, exactly as
# under auditd.  Each message's <PRI> is facility * 8 + severity.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
SINK="$top_builddir/tests/syslog-sink"
[ -x "$SINK" ] || fail "tests/syslog-sink was not built"

make_vm_db "$T/ref.sqlite"
cat > "$T/replay.conf" <<CONF
reference_db = $T/ref.sqlite
facility = local3
# a per-cause override must change the priority on the wire
appraise_failed.missing-hash = notice
CONF

# inside NS: run the plugin in syslog mode against the sink on /dev/log
cat > "$T/inside.sh" <<INSIDE
set -eu
mount --make-rprivate /
mkdir "$T/olddev"
mount --rbind /dev "$T/olddev"
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in null zero urandom; do
	touch /dev/\$n
	mount --bind "$T/olddev/\$n" /dev/\$n
done
"$SINK" /dev/log "$T/received" &
sink=\$!
i=0
while [ ! -S /dev/log ] || [ ! -f "$T/received" ]; do
	i=\$((i + 1)); [ \$i -lt 200 ] || { echo "sink did not start" >&2; exit 1; }
	sleep 0.05
done
$WRAP "$AUDISP_IMA" -c "$T/replay.conf" < "$CORPUS/vm-ima-enriched.log"
# the sink reads asynchronously: wait until the count stops growing
last=-1
while [ "\$(wc -l < "$T/received")" != "\$last" ]; do
	last=\$(wc -l < "$T/received")
	sleep 0.2
done
kill \$sink
wait \$sink || true
INSIDE
unshare -m sh "$T/inside.sh" || fail "the namespace run failed"

# The same messages --stdout prints, in the same order.
replay "$CORPUS/vm-ima-enriched.log" "$T/stdout"
sed -e 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* audisp-ima\[[0-9]*\]: //' \
	"$T/received" > "$T/bodies"
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
