#!/bin/sh
# build-crash.sh -- a build or an update killed with SIGKILL half way leaves the previous database intact and usable
. "$top_srcdir/tests/lib.sh"

[ -x "$IMA_REFDB" ] || fail "$IMA_REFDB not built"
mkdir -p "$T/db" "$T/small" "$T/big" || fail "mkdir"
DB=$T/db/refdb.sqlite
printf 'one\n' > "$T/small/one"
run_refdb --db "$DB" build -q "$T/small" || fail "first build"
cp "$DB" "$T/before" || fail "cp"

# A tree that takes a single thread a second or two with five algorithms
# (96 MiB, 3072 files); under valgrind much longer.
head -c 100663296 /dev/zero | (cd "$T/big" && split -b 32768 -a 4 - f) ||
	fail "cannot make the big tree"
# Not through run_refdb: $! must be ima-refdb itself, not a subshell.
$WRAP "$IMA_REFDB" --db "$DB" build -q -j 1 -a sha512 -a sha384 -a sha1 -a sha256 \
	-a sha3-512 "$T/big" &
pid=$!
# The temporary database appears when the build has begun writing.
i=0
until ls -A "$T/db" | grep -q '^\.refdb\.sqlite\.'; do
	i=$((i + 1))
	[ $i -le 600 ] || { kill -9 $pid; fail "no temporary database appeared"; }
	kill -0 $pid 2>/dev/null || fail "build ended before it could be killed"
	sleep 0.05
done
sleep 0.2
kill -9 $pid 2>/dev/null || fail "build ended before it could be killed (too fast)"
wait $pid
rc=$?
[ $rc -eq 137 ] || fail "build exit $rc, wanted 137 (SIGKILL)"

# The previous database: byte-identical, and it still answers.
cmp "$T/before" "$DB" || fail "the database changed under a killed build"
run_refdb --db "$DB" lookup "$T/small/one" > "$T/out" || fail "lookup after the kill"
echo "sha256:$(sha256sum < "$T/small/one" | cut -c1-64)  scan:$T/small" > "$T/want"
expect_file_eq "$T/want" "$T/out"
run_refdb --db "$DB" info > /dev/null || fail "info after the kill"
run_refdb --db "$DB" lookup "$T/big/faaaa" > /dev/null && fail "half a build is visible"
# The lock died with the process: the next build goes through.
run_refdb --db "$DB" build -q "$T/small" "$T/big/faaaa" || fail "build after the kill"
run_refdb --db "$DB" lookup "$T/big/faaaa" > /dev/null || fail "build after the kill lost a file"

# An update of the local layer (one SQLite transaction in place, under the
# lock) killed half way: the layer keeps what it had, nothing of the update.
LOCAL=$T/db/local.sqlite
printf 'reference_db = %s\nlocal_db = %s\n' "$DB" "$LOCAL" > "$T/conf"
run_refdb -c "$T/conf" update -q "$T/small/one" || fail "first local update"
run_refdb -c "$T/conf" --db "$LOCAL" dump > "$T/local.before" || fail "dump local"
$WRAP "$IMA_REFDB" -c "$T/conf" update -q -a sha512 -a sha384 -a sha1 -a sha256 \
	-a sha3-512 "$T"/big/f* &
pid=$!
sleep 0.5
kill -9 $pid 2>/dev/null || fail "update ended before it could be killed (too fast)"
wait $pid
rc=$?
[ $rc -eq 137 ] || fail "update exit $rc, wanted 137 (SIGKILL)"
run_refdb -c "$T/conf" --db "$LOCAL" dump > "$T/local.after" || fail "dump after the kill"
expect_file_eq "$T/local.before" "$T/local.after"
run_refdb -c "$T/conf" update -q "$T/big/faaab" || fail "update after the kill"
run_refdb --db "$LOCAL" lookup "$T/big/faaab" > /dev/null || fail "update after the kill lost a file"
exit 0
