#!/bin/sh
# refdb-verbs.sh -- ima-refdb import formats, deny, dump round trip, sign/verify, update/remove, check, crash safety
. "$top_srcdir/tests/lib.sh"

[ -x "$IMA_REFDB" ] || fail "$IMA_REFDB not built"
DB=$T/db.sqlite
H1=$(printf one | sha256sum | cut -c1-64)
H2=$(printf two | sha256sum | cut -c1-64)
S1=$(printf one | sha1sum | cut -c1-40)
ZERO=0000000000000000000000000000000000000000

# expect_fail_msg MSG CMD... : CMD exits 2 and says MSG; the database is unchanged
expect_fail_msg() {
	msg=$1
	shift
	cp "$DB" "$T/before" 2>/dev/null || : > "$T/before"
	"$@" > /dev/null 2> "$T/err"
	rc=$?
	[ "$rc" -eq 2 ] || { cat "$T/err" >&2; fail "exit $rc, wanted 2: $*"; }
	expect_grep "$msg" "$T/err"
	if [ -s "$T/before" ]; then
		cmp -s "$T/before" "$DB" || fail "database changed by a failed $*"
	fi
}

# ---- every import format, detected
printf '%s  /usr/bin/one\n' "$H1" > "$T/gnu.sha256"
printf 'SHA256 (/usr/bin/two) = %s\n' "$H2" > "$T/bsd.sha256"
cat > "$T/policy.json" <<EOS
{"meta": {"version": 1}, "release": 0,
 "digests": {"/usr/bin/kl": ["$H1", "$H2"], "boot_aggregate": ["$S1"]},
 "excludes": ["/tmp/.*"]}
EOS
printf '%s  boot_aggregate\n%s  /usr/bin/allow\n' "$S1" "$H2" > "$T/allowlist"
{
	printf '10 %s ima-ng sha1:%s boot_aggregate\n' "$S1" "$S1"
	printf '10 %s ima-ng sha256:%s /usr/bin/ascii\n' "$S1" "$H1"
	printf '10 %s ima-sig sha256:%s /usr/bin/with_space \n' "$S1" "$H2"
	printf '10 %s ima %s /usr/bin/old\n' "$S1" "$S1"
	printf '10 %s ima-ng sha256:%s /usr/bin/violation\n' "$ZERO" \
		0000000000000000000000000000000000000000000000000000000000000000
	printf '10 %s ima-buf sha256:%s kexec-cmdline 6161\n' "$S1" "$H1"
} > "$T/ascii_runtime_measurements"
run_refdb --db "$DB" import "$T/gnu.sha256" "$T/bsd.sha256" \
	"$T/policy.json" "$T/allowlist" "$T/ascii_runtime_measurements" \
	2> "$T/err" || { cat "$T/err" >&2; fail "import"; }
expect_grep "import binary_runtime_measurements" "$T/err"
for p in one two kl allow ascii with_space old; do
	run_refdb --db "$DB" lookup "/usr/bin/$p" > /dev/null ||
		fail "/usr/bin/$p not imported"
done
run_refdb --db "$DB" lookup /usr/bin/kl > "$T/out"
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "a Keylime path keeps both digests"
expect_grep "keylime:$T/policy.json" "$T/out"
run_refdb --db "$DB" lookup /usr/bin/violation > /dev/null && fail "violation imported"
run_refdb --db "$DB" info > "$T/info" || fail "info"
expect_grep "excludes:   1" "$T/info"

# ---- the binary measurement list: an ima-ng record, in this machine's order
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"; }
hexbytes() {
	h=$1
	while [ -n "$h" ]; do
		b=${h%"${h#??}"}
		h=${h#??}
		printf "$(printf '\\%03o' "0x$b")"
	done
}
{
	name="/usr/bin/bin ary"
	dfield_len=$((8 + 32))
	nfield_len=$((${#name} + 1))
	le32 10; hexbytes "$S1"; le32 6; printf ima-ng
	le32 $((4 + dfield_len + 4 + nfield_len))
	le32 $dfield_len; printf 'sha256:\000'; hexbytes "$H2"
	le32 $nfield_len; printf '%s\000' "$name"
} > "$T/binary_runtime_measurements"
run_refdb --db "$DB" import "$T/binary_runtime_measurements" 2> "$T/err" ||
	{ cat "$T/err" >&2; fail "binary import"; }
run_refdb --db "$DB" lookup "/usr/bin/bin ary" > "$T/out" || fail "binary name with a space"
expect_grep "sha256:$H2  ima-binary:" "$T/out"

# ---- deny lists
printf '%s\nsha256:%s\n' "$H1" "$H2" > "$T/bad.list"
run_refdb --db "$DB" import --deny "$T/bad.list" 2>/dev/null || fail "import --deny"
run_refdb --db "$DB" lookup "sha256:$H1" > "$T/out"
expect_grep "(deny list)" "$T/out"

# ---- hostile input: a message with the place, nothing changed
printf '%s  /ok\nzz  /bad\n' "$H1" > "$T/nonhex"
expect_fail_msg "nonhex:2: " run_refdb --db "$DB" import "$T/nonhex"
printf '%s  /ok\n%s  /short\n' "$H1" "abcd" > "$T/short"
expect_fail_msg "short:2: " run_refdb --db "$DB" import "$T/short"
printf '%s  /ok\n%s  /n\000ul\n' "$H1" "$H2" > "$T/nul"
expect_fail_msg "nul:2: NUL" run_refdb --db "$DB" import "$T/nul"
printf '{"digests": {"/a": ["%s"' "$H1" > "$T/trunc.json"
expect_fail_msg "trunc.json: line 1, column" run_refdb --db "$DB" import "$T/trunc.json"
printf '{"digests": {"/a": ["%s"],\n "/b": ["%s"], "/a": ["%s"]}}' "$H1" "$H2" "$H2" > "$T/dup.json"
expect_fail_msg 'dup.json: line 2, column 78: duplicate key "/a"' run_refdb --db "$DB" import "$T/dup.json"
printf '{"digests": {"/a": ["xyz"]}}' > "$T/badhex.json"
expect_fail_msg 'digests["/a"][0]: digest is not hex' run_refdb --db "$DB" import "$T/badhex.json"
printf '{"digests": {}, "excludes": ["(unclosed"]}' > "$T/badre.json"
expect_fail_msg "excludes[0]" run_refdb --db "$DB" import "$T/badre.json"
# an escaped GNU name with a newline is fine
printf '\\%s  /usr/bin/new\\nline\n' "$H1" > "$T/esc"
run_refdb --db "$DB" import "$T/esc" 2>/dev/null || fail "escaped name"

# ---- dump: stable and importable, round trip exact
run_refdb --db "$DB" dump > "$T/dump1" || fail "dump"
run_refdb --db "$T/copy.sqlite" import "$T/dump1" 2>/dev/null || fail "import dump"
run_refdb --db "$T/copy.sqlite" dump > "$T/dump2" || fail "dump copy"
expect_file_eq "$T/dump1" "$T/dump2"

# ---- sign and verify; tampering and rollback are refused
if command -v openssl >/dev/null 2>&1; then
	openssl genpkey -algorithm ed25519 -out "$T/k.pem" 2>/dev/null
	openssl pkey -in "$T/k.pem" -pubout -out "$T/k.pub" 2>/dev/null
	run_refdb --db "$DB" sign --key "$T/k.pem" > "$T/out" || fail "sign"
	expect_grep "release:    1" "$T/out"
	run_refdb --db "$DB" verify --pubkey "$T/k.pub" > "$T/out" || fail "verify"
	expect_grep "signature:  good" "$T/out"
	run_refdb --db "$DB" info > "$T/info"
	expect_grep "signed:     release 1, ed25519 key" "$T/info"
	expect_fail_msg "releases only grow" run_refdb --db "$DB" sign --key "$T/k.pem" --release 1
	cp "$DB.sig" "$T/sig1"
	run_refdb --db "$DB" sign --key "$T/k.pem" > /dev/null || fail "sign 2"
	sed 's/^release 2$/release 3/' "$DB.sig" > "$T/sig.bad" && cp "$T/sig.bad" "$DB.sig"
	run_refdb --db "$DB" verify --pubkey "$T/k.pub" > /dev/null 2> "$T/err"
	[ $? -eq 1 ] || fail "a tampered manifest verified"
	expect_grep "does not verify" "$T/err"
	cp "$T/sig1" "$DB.sig"
	run_refdb --db "$DB" verify --pubkey "$T/k.pub" > /dev/null || fail "release 1 manifest"
	printf 'x' >> "$T/copy.sqlite"
	cp "$DB.sig" "$T/copy.sqlite.sig"
	run_refdb --db "$T/copy.sqlite" verify --pubkey "$T/k.pub" > /dev/null 2> "$T/err"
	[ $? -eq 1 ] || fail "a tampered database verified"
fi

# ---- update, remove, check on a real tree
D=$T/tree
mkdir -p "$D"
printf 'a' > "$D/a"
printf 'b' > "$D/b"
run_refdb --db "$T/t.sqlite" build -q "$D" || fail "build"
run_refdb --db "$T/t.sqlite" check -q "$D" > "$T/out" || { cat "$T/out"; fail "clean check"; }
printf 'A' > "$D/a"
rm "$D/b"
printf 'c' > "$D/c"
run_refdb --db "$T/t.sqlite" check -q "$D" > "$T/out"
[ $? -eq 1 ] || fail "check found no difference"
printf 'changed: %s/a\nmissing: %s/b\nnew: %s/c\n' "$D" "$D" "$D" > "$T/want"
expect_file_eq "$T/want" "$T/out"
run_refdb --db "$T/t.sqlite" update -q "$D/a" "$D/b" "$D/c" || fail "update"
run_refdb --db "$T/t.sqlite" check -q "$D" > "$T/out" || { cat "$T/out"; fail "check after update"; }
run_refdb --db "$T/t.sqlite" remove -q "$D/c" || fail "remove"
run_refdb --db "$T/t.sqlite" lookup "$D/c" > /dev/null && fail "removed path found"

# ---- a local layer from the config, written in place
printf 'reference_db = %s\nlocal_db = %s/local.sqlite\n' "$T/t.sqlite" "$T" > "$T/conf"
run_refdb -c "$T/conf" update -q "$D/c" || fail "update into local_db"
run_refdb -c "$T/conf" --local lookup "$D/c" > /dev/null || fail "local lookup"
run_refdb -c "$T/conf" lookup "$D/c" > /dev/null && fail "the base was changed"

# ---- kill -9 in the middle of an import leaves the old database
i=0
: > "$T/big"
while [ $i -lt 200 ]; do
	printf '%s  /big/%d\n' "$H1" $i
	i=$((i + 1))
done > "$T/big"
cp "$DB" "$T/before.kill"
for sig in 1 2 3; do
	( cat "$T/big"; sleep 5 ) | run_refdb --db "$DB" import - 2>/dev/null &
	sleep 1
	pkill -9 -P $! 2>/dev/null
	kill -9 $! 2>/dev/null
	wait 2>/dev/null
	cmp -s "$T/before.kill" "$DB" || fail "database changed by a killed import"
done
run_refdb --db "$DB" info > /dev/null || fail "database unreadable after kill"
exit 0
