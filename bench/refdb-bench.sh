#!/bin/bash
# refdb-bench.sh -- ima-refdb build against aide --init and find|xargs openssl, signed-database numbers, the plugin's lookup numbers
#
# Usage: bench/refdb-bench.sh [BUILDDIR] [DIR...]   (default DIRs: /usr/bin /usr/lib)
# Installs aide and openssl with apt-get when missing (root).  Prints
# numbers, not pass/fail; run on an idle machine.  Warm cache: every tree
# is read once before timing.
set -u
B=${1:-.}
shift || true
DIRS=("$@")
[ ${#DIRS[@]} -eq 0 ] && DIRS=(/usr/bin /usr/lib)
REFDB=$B/ima-refdb
[ -x "$REFDB" ] || { echo "no $REFDB (give the build directory)" >&2; exit 2; }
for p in aide openssl time; do
	if ! command -v "$p" >/dev/null 2>&1 && [ ! -x /usr/bin/$p ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" >/dev/null 2>&1 ||
			{ echo "cannot install $p" >&2; exit 2; }
	fi
done
T=$(mktemp -d /tmp/refdb-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
NCPU=$(nproc)

# timed NAME CMD... : wall seconds and peak RSS (KiB) of CMD
timed() {
	name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$T/time" "$@" > /dev/null 2> "$T/$name.err"
	read -r secs rss < "$T/time"
	eval "${name}_s=$secs ${name}_rss=$rss"
	printf '%-28s %8.2f s  %8d KiB peak RSS\n' "$name" "$secs" "$rss"
}

echo "trees: ${DIRS[*]}  ($(find "${DIRS[@]}" -xdev -type f | wc -l) files, $(du -sxh "${DIRS[@]}" | awk '{print $1}' | paste -sd+)), $NCPU CPUs"
find "${DIRS[@]}" -xdev -type f -print0 | xargs -0 cat > /dev/null 2>&1   # warm the cache

cat > "$T/aide.conf" <<EOS
database_out=file:$T/aide.db
gzip_dbout=no
report_url=stdout
H = sha256
$(for d in "${DIRS[@]}"; do echo "$d H"; done)
EOS

timed refdb_build "$REFDB" --db "$T/refdb.sqlite" build -q -x "${DIRS[@]}"
timed aide_init aide --init --config="$T/aide.conf" --workers=$NCPU
timed xargs_openssl sh -c "find ${DIRS[*]} -xdev -type f -print0 | xargs -0 -P$NCPU -n 200 openssl dgst -sha256"
echo
awk -v r="$refdb_build_s" -v a="$aide_init_s" -v x="$xargs_openssl_s" -v m="$refdb_build_rss" 'BEGIN {
	printf "aide --init / ima-refdb build      = %.2fx (target >= 3)\n", a / r
	printf "ima-refdb build / find|xargs openssl = %.2fx (target <= 1.3)\n", r / x
	printf "ima-refdb build peak RSS           = %.1f MiB (target < 64)\n", m / 1024
}'

# A database of 1,000,000 entries, from a generated dump.
echo
awk 'BEGIN {
	print "ima-refdb-dump 1"; print "source 1 bench generated"
	for (i = 0; i < 1000000; i++)
		printf "entry sha256:%064x 1 - /bench/dir%03d/file%07d\n", i, i % 1000, i
}' > "$T/1m.dump"
timed import_1m "$REFDB" --db "$T/1m.sqlite" import "$T/1m.dump"
ls -l "$T/1m.sqlite" | awk '{printf "1M-entry database: %.1f MiB\n", $5 / 1048576}'
openssl genpkey -algorithm ed25519 -out "$T/k.pem" 2>/dev/null
openssl pkey -in "$T/k.pem" -pubout -out "$T/k.pub"
timed sign_1m "$REFDB" --db "$T/1m.sqlite" sign --key "$T/k.pem"
timed verify_1m "$REFDB" --db "$T/1m.sqlite" verify --pubkey "$T/k.pub"
awk -v s="$verify_1m_s" -v f="$(stat -c %s "$T/1m.sqlite")" 'BEGIN {
	if (s > 0) printf "verify streams at %.2f GB/s (incl. process start; target >= 1)\n", f / s / 1e9 }'
timed lookup_1m "$REFDB" --db "$T/1m.sqlite" lookup /bench/dir500/file0500500
echo "(lookup_1m = process start + open + first lookup; target for the plugin's open-to-first-lookup < 50 ms)"

# The plugin's side, in process (bench/refdb-lookup.c, linked against
# librefdb.a): open-to-first-lookup, lookups per second over a realistic
# mix, peak RSS after them, and refdb_sig_verify_fd's rate, against
# `openssl dgst -sha256` over the same file in the same run.
echo
SRC=$(cd "$(dirname "$0")/.." && pwd)
LIBS=$(pkg-config --libs sqlite3 libcrypto libpcre2-8 json-c liblzma zlib 2>/dev/null)
pkg-config --exists libzstd 2>/dev/null && LIBS="$LIBS $(pkg-config --libs libzstd)"
if cc -O2 -I"$SRC/refdb" -o "$T/refdb-lookup" "$SRC/bench/refdb-lookup.c" \
	"$B/librefdb.a" $LIBS -pthread 2> "$T/cc.err"; then
	"$T/refdb-lookup" "$T/1m.sqlite" 1000000 "$T/k.pub" | tee "$T/lookup.out"
	timed openssl_dgst openssl dgst -sha256 "$T/1m.sqlite"
	awk -v s="$openssl_dgst_s" -v f="$(stat -c %s "$T/1m.sqlite")" '
		/^sig_verify / { v = $2 }
		END { if (s > 0) { o = f / s / 1e9
			printf "openssl dgst -sha256: %.2f GB/s (incl. process start); sig_verify / openssl = %.2fx\n", o, v / o } }' "$T/lookup.out"
else
	cat "$T/cc.err" >&2
	echo "cannot build bench/refdb-lookup.c against $B/librefdb.a" >&2
fi
