#!/bin/sh
# refdb-cli.sh -- end-to-end test of ima-refdb: build, lookup, import, info, failures
. "$top_srcdir/tests/lib.sh"

[ -x "$IMA_REFDB" ] || fail "$IMA_REFDB not built"

# expect_status WANT CMD... : run CMD, fail unless it exits WANT
expect_status() {
	want=$1
	shift
	"$@"
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, wanted $want: $*"
}

# hash FILE : the bare sha256 of FILE
hash() {
	sha256sum < "$1" | cut -c1-64
}

NL='
'
D=$T/tree
mkdir -p "$D/sub" "$T/db" || fail "mkdir"
printf 'hello\n' > "$D/a"
cp "$D/a" "$D/sub/copy"
printf 'spaced' > "$D/with space"
printf 'newline' > "$D/new${NL}line"
printf 'tool' > "$D/tool"
ln -s a "$D/link"
n_skip=1
if mkfifo "$D/fifo" 2>/dev/null; then
	n_skip=2
fi
n_files=5
n_unreadable=0
# root reads everything: an unreadable file can only be tested without it
if [ "$(id -u)" != 0 ]; then
	printf 'secret' > "$D/secret"
	chmod 000 "$D/secret"
	n_unreadable=1
fi
DB=$T/db/refdb.sqlite

# ---- build
run_refdb --db "$DB" build "$D" 2> "$T/build.err" || {
	cat "$T/build.err" >&2
	fail "build failed"
}
expect_grep "$n_files files, 29 bytes, $n_skip skipped, $n_unreadable unreadable" \
	"$T/build.err"
if [ "$n_unreadable" = 1 ]; then
	expect_grep "ima-refdb: cannot read $D/secret: Permission denied" \
		"$T/build.err"
fi
[ -f "$DB" ] || fail "no database after build"
ls -A "$T/db" > "$T/dbdir"
expect_no_grep ".refdb.sqlite." "$T/dbdir"

# ---- lookup by path
run_refdb --db "$DB" lookup "$D/a" > "$T/out" || fail "lookup $D/a"
echo "sha256:$(hash "$D/a")  scan:$D" > "$T/want"
expect_file_eq "$T/want" "$T/out"
# --db after the verb, and a sha256 of a path unknown to it
expect_status 1 run_refdb lookup --db "$DB" "$D/nothing" > "$T/out"
[ -s "$T/out" ] && fail "output for an unknown path"
# symlinks are not followed, so the link is not in the database
expect_status 1 run_refdb --db "$DB" lookup "$D/link" > /dev/null
expect_status 1 run_refdb --db "$DB" lookup "$D/fifo" > /dev/null

# ---- lookup by digest: every path with it, sorted
run_refdb --db "$DB" lookup "$(hash "$D/a")" > "$T/out" || fail "lookup digest"
{
	echo "sha256:$(hash "$D/a")  $D/a"
	echo "sha256:$(hash "$D/a")  $D/sub/copy"
} > "$T/want"
expect_file_eq "$T/want" "$T/out"
run_refdb --db "$DB" lookup "sha256:$(hash "$D/with space")" > "$T/out" ||
	fail "lookup ALGO:HEX"
echo "sha256:$(hash "$D/with space")  $D/with space" > "$T/want"
expect_file_eq "$T/want" "$T/out"
# a newline in a name cannot forge a line: coreutils' escaping
run_refdb --db "$DB" lookup "$(hash "$D/new${NL}line")" > "$T/out" ||
	fail "lookup newline name"
printf '%s\n' "\\sha256:$(hash "$D/new${NL}line")  $D/new\\nline" > "$T/want"
expect_file_eq "$T/want" "$T/out"
# unknown digest, malformed digests
expect_status 1 run_refdb --db "$DB" lookup \
	"sha256:0000000000000000000000000000000000000000000000000000000000000000"
expect_status 2 run_refdb --db "$DB" lookup "sha256:abcd" 2> "$T/err"
expect_grep "ima-refdb: sha256:abcd: a sha256 digest has 64 hex digits" "$T/err"
expect_status 2 run_refdb --db "$DB" lookup 2> "$T/err"

# ---- info
run_refdb --db "$DB" info > "$T/info" || fail "info"
expect_grep "schema:     1" "$T/info"
expect_grep "paths:      $n_files" "$T/info"
expect_grep "digests:    $n_files (sha256=$n_files)" "$T/info"
expect_grep "generator:  ima-refdb " "$T/info"
expect_grep "  scan $D: $n_files entries" "$T/info"
expect_grep "size:       $(wc -c < "$DB") bytes" "$T/info"

# ---- the database named by the config file
printf 'reference_db = %s\n' "$DB" > "$T/audisp-ima.conf"
run_refdb -c "$T/audisp-ima.conf" info > "$T/info" || fail "info via config"
expect_grep "database:   $DB" "$T/info"

# ---- import: GNU manifests (with an escaped name) and BSD tags
sha256sum "$D/a" "$D/with space" "$D/new${NL}line" "$D/tool" > "$T/gnu.sha256"
grep -q '^\\' "$T/gnu.sha256" || fail "sha256sum did not escape the name"
DB2=$T/db/imported.sqlite
run_refdb --db "$DB2" import "$T/gnu.sha256" 2> "$T/err" || {
	cat "$T/err" >&2
	fail "import GNU"
}
expect_grep "imported 4 entries (4 new) from $T/gnu.sha256" "$T/err"
run_refdb --db "$DB2" lookup "$D/new${NL}line" > "$T/out" ||
	fail "imported newline name not found"
sha256sum --tag "$D/a" "$D/sub/copy" > "$T/bsd.sha256"
sha512sum --tag "$D/a" >> "$T/bsd.sha256"
run_refdb --db "$DB2" import - < "$T/bsd.sha256" 2> "$T/err" ||
	fail "import BSD"
expect_grep "imported 3 entries (2 new) from -" "$T/err"
run_refdb --db "$DB2" lookup "$D/a" > "$T/out" || fail "lookup after import"
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "wanted sha256 and sha512 for $D/a"
expect_grep "sha512:$(sha512sum < "$D/a" | cut -c1-128)  manifest:stdin" \
	"$T/out"

# ---- a bad line anywhere: nothing imported, the file untouched
before=$(sha256sum < "$DB2")
{
	sha256sum "$D/sub/copy"
	echo "# a comment"
	echo "0123456789  $D/short"
} > "$T/bad.sha256"
expect_status 2 run_refdb --db "$DB2" import "$T/gnu.sha256" \
	"$T/bad.sha256" 2> "$T/err"
expect_grep "ima-refdb: $T/bad.sha256:3: cannot tell the algorithm of a 10-digit digest" "$T/err"
expect_no_grep "imported 4 entries" "$T/err"
expect_grep "nothing imported; $DB2 unchanged" "$T/err"
[ "$(sha256sum < "$DB2")" = "$before" ] || fail "a failed import changed $DB2"
ls -A "$T/db" > "$T/dbdir"
expect_no_grep ".imported.sqlite." "$T/dbdir"
printf 'SHA256 (%s) = %s\n' "$D/x" 1234 > "$T/bad2.sha256"
expect_status 2 run_refdb --db "$DB2" import "$T/bad2.sha256" 2> "$T/err"
expect_grep "bad2.sha256:1: digest has 4 hex digits, sha256 needs 64" "$T/err"
printf 'BLAKE2b (%s) = 00\n' "$D/x" > "$T/bad3.sha256"
expect_status 2 run_refdb --db "$DB2" import "$T/bad3.sha256" 2> "$T/err"
expect_grep "bad3.sha256:1: unknown tag 'BLAKE2b'" "$T/err"
[ "$(sha256sum < "$DB2")" = "$before" ] || fail "a failed import changed $DB2"
expect_status 2 run_refdb --db "$DB2" import "$T/no-such-file" 2> "$T/err"
expect_grep "ima-refdb: $T/no-such-file: No such file or directory" "$T/err"

# ---- build with excludes and several algorithms
DB3=$T/db/excluded.sqlite
run_refdb --db "$DB3" build -q --exclude "$D/sub" -a sha256 -a sha512 "$D" \
	2> "$T/err" || fail "build --exclude"
expect_status 1 run_refdb --db "$DB3" lookup "$D/sub/copy" > /dev/null
run_refdb --db "$DB3" lookup "$D/a" > "$T/out" || fail "lookup $D/a"
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "wanted two algorithms"
run_refdb --db "$DB3" info > "$T/info"
expect_grep "excludes:   1" "$T/info"
expect_status 2 run_refdb --db "$DB3" build --exclude '/x(' "$D" 2> "$T/err"
expect_grep "bad exclude pattern '/x(' at offset 3" "$T/err"
expect_status 2 run_refdb --db "$DB3" build -a tgr192 "$D" 2> "$T/err"
expect_status 2 run_refdb --db "$DB3" build "$T/nonexistent" 2> "$T/err"
expect_grep "$T/nonexistent: No such file or directory" "$T/err"
run_refdb --db "$DB3" info > /dev/null || fail "failed builds broke $DB3"

# ---- a missing or broken database
expect_status 2 run_refdb --db "$T/db/none.sqlite" info 2> "$T/err"
expect_grep "ima-refdb: $T/db/none.sqlite: no such database (create it with 'ima-refdb build DIR' or 'ima-refdb import FILE')" "$T/err"
[ -e "$T/db/none.sqlite" ] && fail "info created a database"
expect_status 2 run_refdb --db "$T/db/none.sqlite" lookup "$D/a" 2> "$T/err"
expect_grep "no such database" "$T/err"
head -c 8192 /dev/urandom > "$T/db/junk.sqlite"
expect_status 2 run_refdb --db "$T/db/junk.sqlite" lookup "$D/a" 2> "$T/err"
expect_grep "junk.sqlite: not a reference database" "$T/err"

# ---- usage
run_refdb --version > "$T/out" || fail "--version"
expect_grep "ima-refdb " "$T/out"
run_refdb --help > "$T/out" || fail "--help"
expect_grep "Usage: ima-refdb" "$T/out"
expect_status 2 run_refdb frobnicate 2> "$T/err"
expect_grep "ima-refdb: unknown verb 'frobnicate'" "$T/err"
expect_status 2 run_refdb --db "$DB" lookup --bogus x 2> /dev/null
expect_status 2 run_refdb --db "$DB" build 2> /dev/null

exit 0
