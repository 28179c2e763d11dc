#!/bin/sh
# vm-formats-agree.sh -- ENRICHED and RAW input give the same verdicts for the same files
#
# The two streams come from two boots of the same scenario, so event ids,
# timestamps and pids differ; everything else must agree.  Only the
# ENRICHED boot measured /etc/passwd and /etc/group (auditd reads them to
# interpret ids), so those two are left out.
. "$(dirname "$0")/../lib.sh"

make_vm_db "$T/ref.sqlite"
replay_conf "$T/ref.sqlite" "$T/replay.conf"
replay "$CORPUS/vm-ima-enriched.log" "$T/enriched"
replay "$CORPUS/vm-ima-raw.log" "$T/raw"

normalise() {
	sed -e 's/ event=[^ ]*//' -e 's/ pid=[0-9]*//' -e 's/ ppid=[0-9]*//' "$1" |
		grep -v -e ' file=/etc/passwd ' -e ' file=/etc/group ' | sort
}
normalise "$T/enriched" > "$T/enriched.n"
normalise "$T/raw" > "$T/raw.n"
[ -s "$T/raw.n" ] || fail "no alerts from the RAW stream"
expect_file_eq "$T/enriched.n" "$T/raw.n"
# and the two excluded ones really are the ENRICHED boot's extras
expect_grep 'unknown_file severity=warning event=1796414555.436:51 file=/etc/passwd ' "$T/enriched"
expect_no_grep 'file=/etc/passwd' "$T/raw"
