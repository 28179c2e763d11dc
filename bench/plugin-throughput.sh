#!/bin/sh
# plugin-throughput.sh -- how fast the plugin drains auditd's stream (run by hand)
#
# Input: the recorded busy-host stream (shared/corpus/host-mixed.log.xz, no
# IMA) repeated, with the VM's IMA stream mixed in every 10,000 lines, fed
# from a file.  Baseline in the same run: `wc -l` over the same bytes (the
# cost of merely reading them), so the ratio survives a noisy machine.
# Usage: bench/plugin-throughput.sh [BUILDDIR] [REPEAT]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src}
repeat=${2:-10}
mixed=${MIXED:-$src/../shared/corpus/host-mixed.log.xz}
[ -f "$mixed" ] || { echo "no $mixed (set MIXED=)" >&2; exit 2; }

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
xz -dc "$mixed" > "$w/host.log"
i=0
while [ $i -lt "$repeat" ]; do
	awk -v ima="$src/tests/corpus/vm-ima-enriched.log" \
		'{ print } NR % 10000 == 0 { while ((getline l < ima) > 0) print l; close(ima) }' \
		"$w/host.log"
	i=$((i + 1))
done > "$w/in.log"
lines=$(wc -l < "$w/in.log")
bytes=$(wc -c < "$w/in.log")

"$build/ima-refdb" --db "$w/ref.sqlite" import "$src/tests/corpus/vm-reference.sha256" 2>/dev/null
printf 'reference_db = %s\n' "$w/ref.sqlite" > "$w/conf"

now() { date +%s.%N; }
t0=$(now); wc -l < "$w/in.log" > /dev/null; t1=$(now)
"$build/audisp-ima" --stdout -c "$w/conf" < "$w/in.log" > "$w/alerts"; t2=$(now)
/usr/bin/time -f '%M' -o "$w/rss" "$build/audisp-ima" --stdout -c "$w/conf" < "$w/in.log" > /dev/null

awk -v l="$lines" -v b="$bytes" -v t0="$t0" -v t1="$t1" -v t2="$t2" \
    -v a="$(wc -l < "$w/alerts")" -v rss="$(cat "$w/rss")" 'BEGIN {
	base = t1 - t0; plug = t2 - t1;
	printf "input: %d lines, %.1f MiB\n", l, b / 1048576;
	printf "baseline wc -l: %.3f s\n", base;
	printf "audisp-ima:     %.3f s  (%.0f lines/s, %.1f MiB/s, %.1fx baseline), %d alerts, peak RSS %d KiB\n",
		plug, l / plug, b / 1048576 / plug, plug / base, a, rss;
}'
