# lib.sh -- helpers shared by the shell tests (sourced, not run)
#
# Automake runs each test with top_srcdir and top_builddir exported.  A test
# exits 0 on success, 1 on failure, 77 when it cannot run here (skip).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

AUDISP_IMA="$top_builddir/audisp-ima"
IMA_REFDB="$top_builddir/ima-refdb"
CORPUS="$top_srcdir/tests/corpus"
# Set by `make check-valgrind`: a command to run the binaries under.
WRAP="${AUDISP_IMA_WRAPPER:-}"

T=$(mktemp -d "${TMPDIR:-/tmp}/audisp-ima-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# run_plugin ARGS... : the plugin, under $WRAP when set
run_plugin() {
	$WRAP "$AUDISP_IMA" "$@"
}

# run_refdb ARGS... : ima-refdb, under $WRAP when set
run_refdb() {
	$WRAP "$IMA_REFDB" "$@"
}

# expect_file_eq EXPECTED ACTUAL : diff, showing the difference on failure
expect_file_eq() {
	if ! diff -u "$1" "$2"; then
		fail "$2 differs from $1"
	fi
}

# expect_grep PATTERN FILE : FILE has a line matching the fixed string
expect_grep() {
	grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "no '$1' in $2"; }
}

# expect_no_grep PATTERN FILE
expect_no_grep() {
	if grep -qF -- "$1" "$2"; then
		cat "$2" >&2
		fail "unexpected '$1' in $2"
	fi
}

# make_vm_db DB : the reference database of the VM's pristine test filesystem
make_vm_db() {
	run_refdb --db "$1" import "$CORPUS/vm-reference.sha256" 2>"$T/import.err" ||
		{ cat "$T/import.err" >&2; fail "ima-refdb import failed"; }
}

# Sanitizer and valgrind runs need the seccomp filter off (their runtimes
# make system calls the plugin itself never does).
SANDBOX_CONF=""
if [ -n "$WRAP" ] || [ "${AUDISP_IMA_SANITIZERS:-no}" = yes ]; then
	SANDBOX_CONF="seccomp = no"
fi

# replay_conf DB CONF [LINES...] : a plugin config using DB, plus LINES
replay_conf() {
	db=$1 conf=$2
	shift 2
	{
		printf 'reference_db = %s\n' "$db"
		[ -n "$SANDBOX_CONF" ] && echo "$SANDBOX_CONF"
		for l in "$@"; do echo "$l"; done
	} > "$conf"
}

# replay LOG OUT [CONF] : the plugin over a recorded stream, alerts to OUT.
# OUT.full keeps every line; OUT leaves out db_reloaded (it names the
# sha256 of a database built at test time).
replay() {
	run_plugin --stdout -c "${3:-$T/replay.conf}" < "$1" > "$2.full" 2>"$T/replay.err" ||
		{ cat "$T/replay.err" >&2; fail "audisp-ima exited $? on $1 with ${3:-$T/replay.conf}"; }
	if [ -s "$T/replay.err" ]; then
		cat "$T/replay.err" >&2
		fail "audisp-ima wrote to stderr on $1 with ${3:-$T/replay.conf}"
	fi
	grep -v '^db_reloaded ' "$2.full" > "$2" || true
}

# expect_alert ID SEVERITY FILE OUT : OUT has an alert ID at SEVERITY for FILE
expect_alert() {
	grep -E "^$1 severity=$2 .*file=$3( |\$)" "$4" >/dev/null ||
		{ cat "$4" >&2; fail "no '$1' at $2 for $3"; }
}

# expect_no_alert ID FILE OUT : no alert ID names FILE
expect_no_alert() {
	if grep -E "^$1 .*file=$2( |\$)" "$3"; then
		fail "unexpected '$1' for $2"
	fi
}

# gen_rules N FILES START STEP_MS [DIR] : N measurement events (each an
# INTEGRITY_RULE and its EOE) cycling over FILES files DIR/f0.. with a digest
# per file, record time from START (seconds) in steps of STEP_MS.
gen_rules() {
	awk -v n="$1" -v files="$2" -v start="$3" -v step="$4" -v dir="${5:-/prod}" 'BEGIN {
		for (i = 0; i < n; i++) {
			k = i % files
			t = start * 1000 + i * step
			id = sprintf("%d.%03d:%d", int(t / 1000), t % 1000, 1000 + i)
			h = ""
			for (j = 0; j < 8; j++) h = h sprintf("%08x", k + 1)
			printf "type=INTEGRITY_RULE msg=audit(%s): file=\"%s/f%d\" hash=\"sha256:%s\" ppid=1 pid=%d auid=1000 uid=0 gid=0 comm=\"x\" exe=\"/bin/x\"\n", id, dir, k, h, 100 + k
			printf "type=EOE msg=audit(%s):\n", id
		}
	}'
}

# gen_noise N START : N ordinary syscall records (no IMA), as a busy host sends
gen_noise() {
	awk -v n="$1" -v start="$2" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "type=SYSCALL msg=audit(%d.%03d:%d): arch=c000003e syscall=2 success=yes exit=3 a0=7ffd a1=0 a2=0 a3=0 items=1 ppid=1 pid=77 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" key=(null)\n", start + int(i / 1000), i % 1000, 500000 + i
	}'
}

# wait_for PATTERN FILE [SECONDS] : until FILE has a line with the fixed string
wait_for() {
	i=0
	while ! grep -qF -- "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $((${3:-10} * 20)) ] || { cat "$2" >&2; fail "timed out waiting for '$1' in $2"; }
		sleep 0.05
	done
}

# in_syslog_ns SCRIPT : run the sh SCRIPT in a private mount namespace where
# /dev/log is tests/syslog-sink's socket, as syslogd's would be.  The sink
# writes every message to $T/received; SCRIPT gets its pid as $sink and
# must leave it running.  Skips (77) where a namespace cannot be made.
in_syslog_ns() {
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
	[ -x "$top_builddir/tests/syslog-sink" ] || fail "tests/syslog-sink was not built"
	cat > "$T/ns.sh" <<NS
set -eu
mount --make-rprivate /
mkdir -p "$T/olddev"
mount --rbind /dev "$T/olddev"
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in null zero urandom; do
	touch /dev/\$n
	mount --bind "$T/olddev/\$n" /dev/\$n
done
"$top_builddir/tests/syslog-sink" /dev/log "$T/received" &
sink=\$!
i=0
while [ ! -S /dev/log ] || [ ! -f "$T/received" ]; do
	i=\$((i + 1)); [ \$i -lt 200 ] || { echo "sink did not start" >&2; exit 1; }
	sleep 0.05
done
. "$1"
# the sink reads asynchronously: wait until the count stops growing
last=-1
while [ "\$(wc -l < "$T/received")" != "\$last" ]; do
	last=\$(wc -l < "$T/received")
	sleep 0.2
done
kill -CONT \$sink 2>/dev/null || true
kill \$sink
wait \$sink || true
NS
	unshare -m sh "$T/ns.sh" || fail "the run in the syslog namespace failed"
}

# make_unrelated_db DB : a database that knows none of the generated files
make_unrelated_db() {
	printf '%064d  /unrelated\n' 7 > "$T/unrelated.sha256"
	run_refdb --db "$1" import "$T/unrelated.sha256" 2>/dev/null ||
		fail "ima-refdb import failed"
}
