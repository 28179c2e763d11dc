#!/bin/sh
# syslog-blocked.sh -- a stopped log daemon costs counted alerts, never a stalled input
#
# The syslog socket's reader is stopped (SIGSTOP) while 1,000,000 lines
# (10,000 of them alerts) are fed: the plugin must still read all of its
# input, and once the reader goes on (SIGCONT) every alert is either
# delivered or counted in one alerts_suppressed line: sent + dropped is
# exactly 10,000.
. "$(dirname "$0")/../lib.sh"

{
	gen_noise 490000 100
	gen_rules 10000 10000 1000 1 /blocked
	gen_noise 490000 700
} > "$T/in.log"
[ "$(wc -l < "$T/in.log")" = 1000000 ] || fail "generator made the wrong number of lines"
make_unrelated_db "$T/none.sqlite"
replay_conf "$T/none.sqlite" "$T/blocked.conf" "rate_limit = off" \
	"dedup_window = 0" "queue_size = 256"

cat > "$T/inside.sh" <<INSIDE
kill -STOP \$sink
( cat "$T/in.log"; touch "$T/fed" ) | $WRAP "$AUDISP_IMA" -c "$T/blocked.conf" &
plugin=\$!
i=0
while [ ! -f "$T/fed" ]; do
	i=\$((i + 1))
	[ \$i -lt 3000 ] || { echo "input not drained while syslog was stopped" >&2; kill -CONT \$sink; exit 1; }
	sleep 0.1
done
echo drained > "$T/drained"
kill -CONT \$sink
wait \$plugin
INSIDE
in_syslog_ns "$T/inside.sh"
[ -f "$T/drained" ] || fail "the input was not drained while syslog was stopped"

sent=$(grep -c ': unknown_file severity=warning event=' "$T/received")
grep ': alerts_suppressed ' "$T/received" > "$T/suppressed" || fail "no alerts_suppressed line"
[ "$(wc -l < "$T/suppressed")" = 1 ] || { cat "$T/suppressed"; fail "expected one alerts_suppressed line"; }
dropped=$(sed -n 's/.* reason=queue_full unknown_file=\([0-9]*\) total=\([0-9]*\)$/\1 \2/p' "$T/suppressed")
[ -n "$dropped" ] || { cat "$T/suppressed"; fail "alerts_suppressed lacks the counts"; }
set -- $dropped
[ "$1" = "$2" ] || fail "by-id count $1 differs from total $2"
[ "$1" -gt 0 ] || fail "nothing was dropped: the test did not block syslog"
[ $((sent + $1)) = 10000 ] || fail "sent $sent + dropped $1 is not 10000"
echo "sent $sent, dropped and counted $1"
