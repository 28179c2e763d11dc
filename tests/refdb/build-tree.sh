#!/bin/sh
# build-tree.sh -- ima-refdb build: --root images, compressed kernel modules, hard links, --verbose, the progress bar
. "$top_srcdir/tests/lib.sh"

[ -x "$IMA_REFDB" ] || fail "$IMA_REFDB not built"

# hash FILE : the bare sha256 of FILE
hash() {
	sha256sum < "$1" | cut -c1-64
}

# ---- an image mounted elsewhere, indexed under its booted paths
I=$T/img
mkdir -p "$I/usr/bin" "$I/etc/skipdir" "$I/usr/lib/modules/6.1/kernel" "$T/host" ||
	fail "mkdir"
printf 'host secret\n' > "$T/host/secret"
printf 'hello\n' > "$I/usr/bin/hello"
printf 'conf\n' > "$I/etc/x.conf"
printf 'skip\n' > "$I/etc/skip.conf"
printf 'deep\n' > "$I/etc/skipdir/deep"
ln -s usr/bin "$I/bin"				# merged /usr, relative
ln -s "$T/host" "$I/usr/bin/host"		# absolute: the host's files
ln -s /etc "$I/usr/etc"				# absolute, inside the image
mkfifo "$I/etc/fifo" || fail "mkfifo"
if [ "$(id -u)" = 0 ]; then
	mknod "$I/etc/null" c 1 3 || fail "mknod"
fi

DB=$T/img.sqlite
# an image path ($I/usr), one relative to the image (/etc: not the host's),
# one through an absolute link inside the image (/usr/etc -> /etc)
run_refdb --db "$DB" build -v --root "$I" -e '/etc/skip' "$I/usr/bin" /etc \
	2> "$T/err" || { cat "$T/err" >&2; fail "build --root"; }
run_refdb --db "$DB" dump > "$T/dump" || fail "dump"
expect_grep "scan /usr/bin" "$T/dump"
expect_grep "scan /etc" "$T/dump"
expect_grep "$(hash "$I/usr/bin/hello") 2 - /usr/bin/hello" "$T/dump"
expect_grep "$(hash "$I/etc/x.conf") 3 - /etc/x.conf" "$T/dump"
expect_no_grep "$T" "$T/dump"
expect_no_grep "$(hash "$T/host/secret")" "$T/dump"
expect_no_grep " - /etc/skip" "$T/dump"
expect_no_grep "/etc/passwd" "$T/dump"
# the excludes name booted paths, and --verbose says what was skipped
expect_grep "ima-refdb: skipped /usr/bin/host: symlink" "$T/err"
expect_grep "ima-refdb: skipped /etc/skip.conf: excluded" "$T/err"
expect_grep "ima-refdb: skipped /etc/skipdir: excluded" "$T/err"
expect_grep "ima-refdb: skipped /etc/fifo: fifo" "$T/err"
if [ "$(id -u)" = 0 ]; then
	expect_grep "ima-refdb: skipped /etc/null: device" "$T/err"
fi
expect_grep "ima-refdb: $DB: 2 files," "$T/err"
# relative symlinks resolve inside the image: /bin is /usr/bin there
run_refdb --db "$DB" build --root "$I" /bin /usr/etc 2> "$T/err" ||
	{ cat "$T/err" >&2; fail "build --root through links"; }
run_refdb --db "$DB" lookup /usr/bin/hello > /dev/null || fail "/bin is not /usr/bin"
run_refdb --db "$DB" lookup /etc/x.conf > /dev/null || fail "/usr/etc is not /etc"
run_refdb --db "$DB" dump > "$T/dump" || fail "dump"
expect_no_grep "$T" "$T/dump"
# a directory the image does not have, and a --root that is not one
run_refdb --db "$DB" build --root "$I" /nonexistent > /dev/null 2> "$T/err" &&
	fail "build of a missing directory succeeded"
expect_grep "/nonexistent: No such file or directory (inside the image $I)" "$T/err"
run_refdb --db "$DB" build --root "$I/etc/x.conf" /etc > /dev/null 2> "$T/err" &&
	fail "build with a file as --root succeeded"
expect_grep "not a directory" "$T/err"
# without --verbose nothing is listed
run_refdb --db "$DB" build --root "$I" /etc 2> "$T/err" || fail "build"
expect_no_grep "skipped /" "$T/err"

# ---- compressed kernel modules: the file's digest and the decompressed one
K=$T/mods
mkdir -p "$K" || fail "mkdir"
head -c 200000 /dev/urandom > "$T/m.ko"
printf 'some text that compresses well\n%.0s' $(seq 1 2000) >> "$T/m.ko"
n_mod=0
for tool in xz gzip zstd; do
	command -v $tool > /dev/null || continue
	case $tool in
	xz) ext=xz ;;
	gzip) ext=gz ;;
	zstd) ext=zst ;;
	esac
	$tool -c < "$T/m.ko" > "$K/m.ko.$ext" || fail "$tool"
	n_mod=$((n_mod + 1))
done
[ $n_mod -gt 0 ] || skip "no xz, gzip or zstd"
# a module that does not decompress keeps its file digest, with a warning
printf 'not xz at all' > "$K/bad.ko.xz"
# a file merely named like one is hashed as it is
cp "$T/m.ko" "$K/plain.ko"
run_refdb --db "$DB" build "$K" 2> "$T/err" || { cat "$T/err" >&2; fail "build modules"; }
expect_grep "$n_mod modules decompressed" "$T/err"
expect_grep "ima-refdb: $K/bad.ko.xz: corrupt or truncated xz data: only the file's digest recorded" "$T/err"
want_plain=$(hash "$T/m.ko")
for f in "$K"/m.ko.*; do
	case $f in
	*.xz) dec=$(xz -dc "$f" | sha256sum | cut -c1-64) ;;
	*.gz) dec=$(gzip -dc "$f" | sha256sum | cut -c1-64) ;;
	*.zst) dec=$(zstd -dc "$f" | sha256sum | cut -c1-64) ;;
	esac
	[ "$dec" = "$want_plain" ] || fail "$f does not decompress to m.ko"
	run_refdb --db "$DB" lookup "$f" > "$T/out" || fail "lookup $f"
	sort > "$T/want" <<EOS
sha256:$(hash "$f")  scan:$K
sha256:$dec  scan:$K
EOS
	sort "$T/out" > "$T/got"
	expect_file_eq "$T/want" "$T/got"
done
# update (a package refresh) keeps both digests of a module
for f in "$K"/m.ko.*; do
	run_refdb --db "$DB" update -q "$f" 2>"$T/err" || { cat "$T/err" >&2; fail "update $f"; }
	run_refdb --db "$DB" lookup "$f" | cut -d' ' -f1 | sort > "$T/got"
	printf 'sha256:%s\nsha256:%s\n' "$(hash "$f")" "$want_plain" | sort > "$T/want"
	expect_file_eq "$T/want" "$T/got"
done
run_refdb --db "$DB" lookup "$K/bad.ko.xz" > "$T/out" || fail "lookup bad.ko.xz"
[ "$(wc -l < "$T/out")" -eq 1 ] || fail "bad.ko.xz has more than its file digest"
run_refdb --db "$DB" lookup "$K/plain.ko" > "$T/out" || fail "lookup plain.ko"
echo "sha256:$want_plain  scan:$K" > "$T/want"
expect_file_eq "$T/want" "$T/out"

# ---- hard links: one inode hashed once, recorded for every path
L=$T/links
mkdir -p "$L/a" "$L/b" || fail "mkdir"
head -c 100000 /dev/urandom > "$L/a/one"
ln "$L/a/one" "$L/a/two" && ln "$L/a/one" "$L/b/three" || fail "ln"
printf 'single' > "$L/single"
for j in 1 3; do
	run_refdb --db "$DB" build -j $j "$L" 2> "$T/err" ||
		{ cat "$T/err" >&2; fail "build links -j $j"; }
	# 100006 bytes read: the linked inode once, not three times
	expect_grep "4 files, 100006 bytes, 0 skipped, 0 unreadable, 0 excluded, 2 hard links" "$T/err"
	for p in a/one a/two b/three; do
		run_refdb --db "$DB" lookup "$L/$p" > "$T/out" || fail "lookup $p (-j $j)"
		echo "sha256:$(hash "$L/a/one")  scan:$L" > "$T/want"
		expect_file_eq "$T/want" "$T/out"
	done
done

# ---- the progress bar: on a terminal only
run_refdb --db "$DB" build "$L" 2> "$T/err" || fail "build"
if grep -q "ETA" "$T/err" || tr '\r' '\n' < "$T/err" | grep -q '%.*files'; then
	fail "progress written to a non-terminal"
fi
if command -v script > /dev/null && [ -z "$WRAP" ]; then
	script -qec "'$IMA_REFDB' --db '$DB' build '$L' '$K'" /dev/null \
		> "$T/tty" 2>&1 < /dev/null || { cat "$T/tty" >&2; fail "build on a terminal"; }
	tr '\r' '\n' < "$T/tty" > "$T/tty.lines"
	# the last bar has the totals of the pre-count
	expect_grep "100% 9/9 files, " "$T/tty.lines"
	expect_grep "/s, ETA 0:00" "$T/tty.lines"
	expect_grep "ima-refdb: $DB: 9 files" "$T/tty.lines"
	run_refdb --db "$DB" build -q "$L" > "$T/out" 2>&1 || fail "build -q"
	[ -s "$T/out" ] && fail "build -q printed something"
fi
exit 0
