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

# replay_conf DB CONF : a plugin config using DB
replay_conf() {
	printf 'reference_db = %s\n' "$1" > "$2"
}

# replay LOG OUT [CONF] : the plugin over a recorded stream, alerts to OUT
replay() {
	run_plugin --stdout -c "${3:-$T/replay.conf}" < "$1" > "$2" 2>"$T/replay.err" ||
		{ cat "$T/replay.err" >&2; fail "audisp-ima exited $? on $1"; }
	if [ -s "$T/replay.err" ]; then
		cat "$T/replay.err" >&2
		fail "audisp-ima wrote to stderr on $1"
	fi
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
