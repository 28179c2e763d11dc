#!/bin/sh
# auditd-live.sh -- the plugin under a real auditd with its log daemon stopped (run by hand, as root)
#
# Starts this machine's auditd with a private configuration directory whose
# plugins.d runs the built plugin, in a private mount namespace where
# /dev/log is a test socket whose reader is stopped (SIGSTOP) for the whole
# run.  Loads the kernel with real syscalls (an audit rule on openat, then
# tar over /usr), asks auditd for its state report (auditctl --signal
# cont) and the plugin for its counters (SIGUSR1), then stops auditd by pid
# and restores the kernel's audit settings.  Then the same again with a
# plugin that never reads its input, for comparison.
#
# The kernel here has no IMA, so the load is the background a plugin must
# wade through, not INTEGRITY records (the VM test, make check-vm, has those).
#
# Usage: bench/auditd-live.sh [BUILDDIR]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src}" && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
if pgrep -x auditd >/dev/null; then
	echo "an auditd is running already; only one can own the kernel's audit" >&2
	exit 2
fi
command -v auditd >/dev/null || { echo "install auditd first" >&2; exit 2; }

w=$(mktemp -d /tmp/auditd-live.XXXXXX)
chmod 0755 "$w"
state_before=$(auditctl -s)
enabled_before=$(echo "$state_before" | awk '$1 == "enabled" { print $2 }')
backlog_before=$(echo "$state_before" | awk '$1 == "backlog_limit" { print $2 }')
restore() {
	pkill -f "auditd -n -c $w" 2>/dev/null || true
	pkill -f "sleep 100000" 2>/dev/null || true
	sleep 1
	auditctl -D >/dev/null 2>&1 || true
	auditctl -b "$backlog_before" >/dev/null 2>&1 || true
	auditctl -e "$enabled_before" >/dev/null 2>&1 || true
	rm -rf "$w"
}
trap restore EXIT
trap "exit 1" INT TERM HUP

# auditd checks that plugin binaries are root's, 0750 or more.
mkdir -m 0755 "$w/bin"
install -m 0750 "$build/audisp-ima" "$w/bin/audisp-ima"
printf '#!/bin/sh\nexec sleep 100000\n' > "$w/bin/not-reading"
chmod 0750 "$w/bin/not-reading"
printf '%064d  /unrelated\n' 7 > "$w/ref.sha256"
"$build/ima-refdb" --db "$w/ref.sqlite" import "$w/ref.sha256" 2>/dev/null
printf 'reference_db = %s\nfacility = local3\n' "$w/ref.sqlite" > "$w/audisp-ima.conf"

# conf_dir DIR PLUGIN : an auditd configuration running PLUGIN
conf_dir() {
	mkdir -p "$1/plugins.d"
	cat > "$1/auditd.conf" <<EOF
local_events = yes
write_logs = no
log_file = $1/audit.log
log_format = ENRICHED
flush = NONE
priority_boost = 4
name_format = NONE
max_log_file = 8
max_log_file_action = ROTATE
space_left = 75
space_left_action = SYSLOG
admin_space_left = 50
admin_space_left_action = SUSPEND
disk_full_action = SUSPEND
disk_error_action = SUSPEND
q_depth = 2000
overflow_action = SYSLOG
max_restarts = 10
plugin_dir = $1/plugins.d
end_of_event_timeout = 2
EOF
	cat > "$1/plugins.d/plugin.conf" <<EOF
active = yes
direction = out
path = $2
type = always
args = $w/audisp-ima.conf
format = string
EOF
	chmod 0640 "$1/auditd.conf" "$1/plugins.d/plugin.conf"
	chmod 0750 "$1/plugins.d"
}

# run NAME PLUGIN : one auditd run under load, its state report printed
run() {
	conf_dir "$w/$1" "$2"
	cat > "$w/$1/inside.sh" <<EOF
set -eu
mount --make-rprivate /
mkdir -p $w/olddev
mount --rbind /dev $w/olddev
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in null zero urandom random; do touch /dev/\$n; mount --bind $w/olddev/\$n /dev/\$n; done
$build/tests/syslog-sink /dev/log $w/$1/syslog &
sink=\$!
sleep 0.3
kill -STOP \$sink
auditctl -b 8192 >/dev/null
auditctl -a always,exit -F arch=b64 -S openat -S execve -k live >/dev/null
auditd -n -c $w/$1 &
apid=\$!
sleep 2
w0=\$(auditctl -s | awk '\$1 == "backlog_wait_time_actual" { print \$2 }')
t0=\$(date +%s.%N)
timeout 60 tar cf /dev/null /usr/share /usr/lib 2>/dev/null || true
t1=\$(date +%s.%N)
sleep 1
lost=\$(auditctl -s | awk '\$1 == "lost" { print \$2 }')
w1=\$(auditctl -s | awk '\$1 == "backlog_wait_time_actual" { print \$2 }')
echo "processes throttled by the kernel's audit backlog: \$((w1 - w0)) jiffies"
auditctl --signal cont >/dev/null 2>&1 || true
sleep 1
pkill -USR1 -x audisp-ima || true
sleep 0.5
# auditd's reload: 3.0.x sends its plugins SIGHUP (4.2 restarts them)
kill -HUP \$apid
sleep 2
echo "load took \$(echo "\$t1 - \$t0" | bc) s; kernel lost counter now \$lost"
cat /var/run/auditd.state 2>/dev/null | grep -i -E 'queue|overflow|suspend' || true
pkill -f "sleep 100000" || true
kill -TERM \$apid
wait \$apid || true
auditctl -D >/dev/null
kill -CONT \$sink
sleep 0.5
kill \$sink
EOF
	echo "=== $1"
	unshare -m sh "$w/$1/inside.sh"
	grep -o 'stats severity=info lines=[0-9]* events=[0-9]* .* dropped=[0-9]*' "$w/$1/syslog" || true
	echo "database loads logged (start, then auditd's reload): $(grep -c 'db_reloaded severity=info' "$w/$1/syslog")"
	grep 'queue to plugins is full' "$w/$1/syslog" | head -3 || true
}

run audisp-ima "$w/bin/audisp-ima"
run not-reading "$w/bin/not-reading"
