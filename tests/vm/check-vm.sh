#!/bin/bash
# check-vm.sh -- the real-kernel test: the installed plugin under auditd in a qemu VM
#
# Builds, from Debian packages and the project's own `make install`, an
# initramfs (busybox, auditd, rsyslogd, the plugin and its config) and an
# ext4 test file system with IMA hashes, signatures and EVM xattrs; builds
# the reference databases on the host and signs them with a throw-away
# Ed25519 key (the plugin runs with require_signature = yes); boots
# Debian's IMA kernel in qemu twice (sha256, then ima_hash=sha512) and
# checks every alert rsyslogd wrote against tests/vm/expected-*.txt and
# the guest's audit.log.
# Run by `make check-vm` (top_srcdir and top_builddir set) or by hand.
#
# Environment:
#   AUDISP_IMA_VM_CACHE  downloads, kept between runs (/var/cache/audisp-ima-vm)
#   AUDISP_IMA_VM_WORK   scratch directory (default: a new one under /tmp,
#                        removed after a pass, kept after a failure)
#   VM_BROKEN=hexnames   run a deliberately broken plugin: the test must fail
#   VM_TIMEOUT           seconds one boot may take (default 240)
# Exit status: 0 pass, 1 fail, 77 cannot run here (the reason is printed).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CACHE=${AUDISP_IMA_VM_CACHE:-/var/cache/audisp-ima-vm}
BROKEN=${VM_BROKEN:-}
TIMEOUT=${VM_TIMEOUT:-240}
# the test fs UUID: the IMA policy scopes its FILE_CHECK and appraise rules to it
UUID=0e1d2c3b-4a59-4687-8796-a5b4c3d2e1f0
LATE_SCRIPT='#!/bin/sh\necho "late.sh ran"\n'

# skip REASON: this machine cannot run the test; say why, loudly
skip() {
	echo "########################################################" >&2
	echo "SKIP: check-vm: $*" >&2
	echo "########################################################" >&2
	exit 77
}

# fail REASON: the test failed
fail() {
	echo "FAIL: check-vm: $*" >&2
	exit 1
}

# note TEXT: progress, with the seconds since the start
note() {
	echo "check-vm: [$SECONDS s] $*"
}

# preflight: root, x86_64 and every host tool, or a skip naming what lacks
preflight() {
	local tool missing=
	[ "$(id -u)" = 0 ] || skip "needs root (mkfs -d keeps owners, evmctl writes security.* xattrs)"
	[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (the guest is Debian's amd64 kernel)"
	case "$BROKEN" in
	'' | hexnames) ;;
	*) fail "VM_BROKEN=$BROKEN: only hexnames is known" ;;
	esac
	for tool in qemu-system-x86_64 apt-get apt-cache dpkg-deb depmod modprobe \
		mkfs.ext4 debugfs evmctl openssl cpio gzip gcc busybox auditd \
		auditctl rsyslogd keyctl setfattr timeout sha256sum sha512sum; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	[ -z "$missing" ] || skip "missing host tools:$missing (install them with: scripts/deps vm)"
	[ -e /usr/lib/x86_64-linux-gnu/rsyslog/imuxsock.so ] ||
		skip "rsyslog's imuxsock module is missing (scripts/deps vm)"
}

# fetch_kernel: the kernel linux-image-amd64 depends on, from the cache or
# downloaded into it, unpacked with a modules.dep; sets KVER and KROOT
fetch_kernel() {
	local pkg deb
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || skip "apt-cache does not know linux-image-amd64 (run apt-get update)"
	mkdir -p "$CACHE"
	deb=$(ls "$CACHE/${pkg}"_*.deb 2>/dev/null | tail -n 1)
	if [ -z "$deb" ]; then
		note "downloading $pkg into $CACHE"
		(cd "$CACHE" && apt-get download "$pkg" >/dev/null 2>"$W/download.err") ||
			skip "apt-get download $pkg failed: $(tail -n 1 "$W/download.err")"
		deb=$(ls "$CACHE/${pkg}"_*.deb | tail -n 1)
	fi
	KROOT="$CACHE/$(basename "$deb" .deb)"
	if [ ! -e "$KROOT/.unpacked" ]; then
		rm -rf "$KROOT"
		dpkg-deb -x "$deb" "$KROOT"
		KVER=$(ls "$KROOT/lib/modules")
		depmod -b "$KROOT" "$KVER"
		touch "$KROOT/.unpacked"
	fi
	KVER=$(ls "$KROOT/lib/modules")
	note "kernel $KVER ($(basename "$deb"))"
}

# install_plugin: `make install` of a build configured for /usr, /etc and
# /var (the paths conf/plugins.d/au-ima.conf names) into $W/install
install_plugin() {
	local build=$top_builddir
	if ! grep -qx 'prefix = /usr' "$build/Makefile" 2>/dev/null ||
		! grep -qx 'sysconfdir = /etc' "$build/Makefile"; then
		build=$W/build
		note "building the plugin for --prefix=/usr in $build"
		mkdir -p "$build"
		(cd "$build" && "$top_srcdir/configure" --quiet --prefix=/usr \
			--sysconfdir=/etc --localstatedir=/var &&
			make -s -j"$(nproc)") >"$W/build.log" 2>&1 ||
			{ tail -n 30 "$W/build.log"; fail "the plugin does not build"; }
	fi
	make -s -C "$build" install DESTDIR="$W/install" >"$W/install.log" 2>&1 ||
		{ tail -n 30 "$W/install.log"; fail "make install failed"; }
	IMA_REFDB=$build/ima-refdb
}

# copy_libs FILE: every shared library ldd names for FILE, into the tree
copy_libs() {
	local lib
	for lib in $(ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		[ -e "$T$lib" ] && continue
		mkdir -p "$T$(dirname "$lib")"
		cp -L "$lib" "$T$lib"
	done
}

# copy_with_libs FILE...: FILE at its own path in the tree, with its libraries
copy_with_libs() {
	local f
	for f in "$@"; do
		mkdir -p "$T$(dirname "$f")"
		cp -L "$f" "$T$f"
		copy_libs "$f"
	done
}

# make_keys: throw-away keys: RSA with a self-signed certificate for
# IMA/EVM, and an Ed25519 pair that signs the reference databases
make_keys() {
	mkdir -p "$W/keys"
	openssl req -new -x509 -nodes -batch -utf8 -sha256 -days 30 \
		-subj "/CN=audisp-ima VM test key" \
		-addext keyUsage=digitalSignature -addext basicConstraints=critical,CA:FALSE \
		-newkey rsa:2048 -keyout "$W/keys/priv.pem" \
		-outform DER -out "$W/keys/x509.der" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$W/keys/refdb.pem" 2>/dev/null
	openssl pkey -in "$W/keys/refdb.pem" -pubout -out "$W/keys/refdb.pub"
}

# make_tree: the initramfs root in $T (its /mnt stays empty: the test fs)
make_tree() {
	local mod f applet
	mkdir -p "$T"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt,results,run,root,modules,etc/vmtest,var/run,var/lib/audisp-ima}
	copy_with_libs "$(command -v auditd)" "$(command -v auditctl)" \
		"$(command -v rsyslogd)" "$(command -v keyctl)" "$(command -v setfattr)" \
		/usr/lib/x86_64-linux-gnu/rsyslog/imuxsock.so \
		/usr/lib/x86_64-linux-gnu/rsyslog/lmnet.so
	# glibc loads libgcc_s for pthread_cancel (auditd, at shutdown)
	cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$T/lib/x86_64-linux-gnu/"

	# the plugin, its config and plugins.d file, as `make install` made them
	install -m 0755 "$W/install/usr/sbin/audisp-ima" "$T/usr/sbin/audisp-ima"
	copy_libs "$T/usr/sbin/audisp-ima"
	cp -a "$W/install/etc/audit" "$T/etc/"
	if [ "$BROKEN" = hexnames ]; then
		mv "$T/usr/sbin/audisp-ima" "$T/usr/sbin/audisp-ima.real"
		install -m 0755 "$here/guest/break-hexnames" "$T/usr/sbin/audisp-ima"
	fi
	sed "s|@PLUGIN_DIR@|/etc/audit/plugins.d|" "$here/guest/auditd.conf.in" \
		> "$T/etc/audit/auditd.conf"
	# the sha512 boot: a second plugin instance with the sha512 database,
	# its alerts under facility local2
	mkdir -p "$T/etc/audit-sha512/plugins.d"
	sed "s|@PLUGIN_DIR@|/etc/audit-sha512/plugins.d|" "$here/guest/auditd.conf.in" \
		> "$T/etc/audit-sha512/auditd.conf"
	cp -a "$T/etc/audit/plugins.d/au-ima.conf" "$T/etc/audit-sha512/plugins.d/"
	sed 's|^args = .*|args = /etc/audit-sha512/audisp-ima.conf|' \
		"$T/etc/audit/plugins.d/au-ima.conf" > "$T/etc/audit-sha512/plugins.d/au-ima-sha512.conf"
	sed -e 's|^reference_db = .*|reference_db = /var/lib/audisp-ima/refdb-sha512.sqlite|' \
		-e 's|^facility = .*|facility = local2|' \
		"$T/etc/audit/audisp-ima.conf" > "$T/etc/audit-sha512/audisp-ima.conf"
	# the main instance (in both boots) takes signed databases only; the
	# sha512 instance's database stays unsigned
	install -m 0644 "$W/keys/refdb.pub" "$T/etc/audit/audisp-ima-refdb.pub"
	printf 'verify_key = /etc/audit/audisp-ima-refdb.pub\nrequire_signature = yes\n' \
		>> "$T/etc/audit/audisp-ima.conf"
	chmod 0640 "$T"/etc/audit*/auditd.conf "$T"/etc/audit-sha512/*.conf \
		"$T"/etc/audit-sha512/plugins.d/*.conf
	install -m 0644 "$here/guest/rsyslog.conf" "$T/etc/rsyslog.conf"

	# busybox for everything else; real binaries and our scripts win
	install -m 0755 "$here/guest/modprobe" "$T/sbin/modprobe"
	cp "$(command -v busybox)" "$T/bin/busybox"
	for applet in $("$T/bin/busybox" --list-full); do
		[ -e "$T/$applet" ] || [ -L "$T/$applet" ] && continue
		mkdir -p "$T/$(dirname "$applet")"
		ln -s /bin/busybox "$T/$applet"
	done
	gcc -static -Os -Wall -Wextra -o "$T/usr/bin/imahelper" "$here/guest/imahelper.c"
	install -m 0755 "$here/guest/init" "$T/init"
	sed "s/@UUID@/$UUID/g" "$here/guest/ima-policy.in" > "$T/etc/vmtest/ima-policy"
	cp "$W/keys/x509.der" "$T/etc/vmtest/x509.der"
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/:/bin/sh\n' > "$T/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' > "$T/etc/group"

	# virtio-blk and ext4 are modules in Debian's kernel; sha512 too.
	# crc32c-intel needs SSE4.2, which qemu's TCG CPU lacks: the generic one serves
	: > "$T/modules/load-order"
	modprobe -d "$KROOT" -S "$KVER" --show-depends -a \
		virtio_pci virtio_blk crc32c_generic ext4 |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		grep -v '/crc32c-intel\.ko' > "$W/modules"
	modprobe -d "$KROOT" -S "$KVER" --show-depends sha512_generic |
		awk '$1 == "insmod" { print $2 }' >> "$W/modules"
	while read -r f; do
		mod=$(basename "$f")
		mod=${mod%%.ko*}
		case "$f" in
		*.ko) cp "$f" "$T/modules/$mod.ko" ;;
		*.ko.xz) xz -dc "$f" > "$T/modules/$mod.ko" ;;
		*) fail "cannot unpack module $f" ;;
		esac
		# sha512_generic is loaded on demand, by /sbin/modprobe
		[ "$mod" = sha512_generic ] || echo "$mod" >> "$T/modules/load-order"
	done < "$W/modules"
}

# script FILE TEXT: an executable shell script on the test fs that echoes TEXT
script() {
	printf '#!/bin/sh\necho "%s"\n' "$2" > "$1"
	chmod 0755 "$1"
}

# evm_run ARGS...: evmctl ARGS, its chatter to a log; a failure fails the test
evm_run() {
	evmctl "$@" >>"$W/evmctl.log" 2>&1 ||
		{ tail -n 5 "$W/evmctl.log"; fail "evmctl $* failed"; }
}

# make_testfs: the pristine test fs under $T/mnt, with security.ima and
# security.evm set by evmctl (the host kernel has no IMA: it stores them)
make_testfs() {
	local m=$T/mnt f nl
	local -a hash=(evm_run ima_hash -a sha256)
	local -a sign=(evm_run ima_sign -a sha256 --key "$W/keys/priv.pem"
		--keyid-from-cert "$W/keys/x509.der")
	nl=$(printf 'tampered\nline.sh')
	mkdir -p "$m"/{bin,signed,data,evm,out}
	script "$m/bin/good.sh" "good.sh ran"
	script "$m/bin/tampered.sh" "tampered.sh ran"
	script "$m/bin/$nl" "tampered-newline.sh ran"
	script "$m/bin/nohash.sh" "nohash.sh ran"
	script "$m/bin/with space.sh" "with space.sh ran"
	script "$m/bin/modify-me.sh" "modify-me.sh ran"
	cp "$(command -v busybox)" "$m/bin/busybox"
	cp /bin/true "$m/bin/true"
	for f in good.sh tampered.sh "$nl" "with space.sh" modify-me.sh busybox true; do
		"${hash[@]}" "$m/bin/$f"
	done
	# owned by uid 1000: the policy wants a signature
	script "$m/signed/signed.sh" "signed.sh ran"
	script "$m/signed/signed-tampered.sh" "signed-tampered.sh ran"
	script "$m/signed/hash-only.sh" "hash-only.sh ran"
	"${sign[@]}" "$m/signed/signed.sh"
	"${sign[@]}" "$m/signed/signed-tampered.sh"
	"${hash[@]}" "$m/signed/hash-only.sh"
	chown -R 1000:1000 "$m/signed"
	for f in good.txt tampered.txt nohash.txt "file with space.txt" tomtou.txt \
		writers.txt algo.txt mmap.bin mprotect.bin directio.txt; do
		echo "content of $f" > "$m/data/$f"
		[ "$f" = nohash.txt ] || "${hash[@]}" "$m/data/$f"
	done
	# EVM: hash only (no security.evm), no xattrs, portable signatures
	script "$m/evm/hashonly.sh" "evm/hashonly.sh ran"
	script "$m/evm/chmod-me.sh" "evm/chmod-me.sh ran"
	script "$m/evm/portable.sh" "evm/portable.sh ran"
	script "$m/evm/portable-badmode.sh" "evm/portable-badmode.sh ran"
	echo "no xattrs here" > "$m/evm/noxattr.txt"
	"${hash[@]}" "$m/evm/hashonly.sh"
	"${hash[@]}" "$m/evm/chmod-me.sh"
	for f in portable.sh portable-badmode.sh; do
		evm_run sign -o --imasig -a sha256 --key "$W/keys/priv.pem" \
			--keyid-from-cert "$W/keys/x509.der" "$m/evm/$f"
	done
	chmod 0777 "$m/out"
}

# tamper_testfs: what happens after the reference was taken
tamper_testfs() {
	local m=$T/mnt f
	for f in "bin/tampered.sh" "bin/$(printf 'tampered\nline.sh')" \
		signed/signed-tampered.sh; do
		echo "echo TAMPERED" >> "$m/$f"
	done
	echo "changed" >> "$m/data/tampered.txt"
	# metadata no longer matches the EVM portable signature
	chmod 0700 "$m/evm/portable-badmode.sh"
}

# refdb_of_tree DB ALGO...: the reference database of the whole tree $T
# (initramfs and test fs), built on the host under the paths the guest sees
refdb_of_tree() {
	local db=$1 algo args=()
	shift
	for algo in "$@"; do
		args+=(--algo "$algo")
	done
	"$IMA_REFDB" --db "$db" build -q --root "$T" "${args[@]}" "$T" \
		2>>"$W/refdb.log" || { cat "$W/refdb.log"; fail "ima-refdb build --root failed"; }
}

# sign_db DB RELEASE: DB.sig, DB's manifest signed with the run's key
sign_db() {
	"$IMA_REFDB" --db "$1" sign --key "$W/keys/refdb.pem" --release "$2" \
		>>"$W/refdb.log" 2>&1 || { cat "$W/refdb.log"; fail "ima-refdb sign $1 failed"; }
}

# make_databases: sha256 (signed, release 1), sha256+sha512 (unsigned),
# and what the guest renames over the first: release 2 (the first plus
# /tmp/late.sh, which the guest writes), then release 1 again (a copy of
# the first with its manifest) and an unsigned copy of the first
make_databases() {
	local db=$W/results-in/db
	mkdir -p "$db" "$W/results-in/out"
	refdb_of_tree "$db/refdb.sqlite" sha256
	refdb_of_tree "$db/refdb-sha512.sqlite" sha256 sha512
	cp "$db/refdb.sqlite" "$db/refdb-next.sqlite"
	printf '%s  /tmp/late.sh\n' "$(printf "$LATE_SCRIPT" | sha256sum | cut -d' ' -f1)" |
		"$IMA_REFDB" --db "$db/refdb-next.sqlite" import - 2>>"$W/refdb.log" ||
		{ cat "$W/refdb.log"; fail "ima-refdb import failed"; }
	sign_db "$db/refdb.sqlite" 1
	sign_db "$db/refdb-next.sqlite" 2
	cp "$db/refdb.sqlite" "$db/refdb-rollback.sqlite"
	cp "$db/refdb.sqlite.sig" "$db/refdb-rollback.sqlite.sig"
	cp "$db/refdb.sqlite" "$db/refdb-unsigned.sqlite"
	chmod 0755 "$W/results-in" "$db"
	chmod 0644 "$db"/*.sqlite "$db"/*.sig
}

# pack_images: initramfs.cpio.gz (the tree without /mnt's content) and testfs.img
pack_images() {
	(cd "$T" && find . -path ./mnt/\* -prune -o -print0 |
		cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 > "$W/initramfs.cpio.gz"
	mkfs.ext4 -q -F -U "$UUID" -L vmtest -I 256 -d "$T/mnt" "$W/testfs.img" 32M \
		>"$W/mkfs.log" 2>&1 || { cat "$W/mkfs.log"; fail "mkfs.ext4 failed"; }
}

# boot NAME APPEND: one boot with fresh disks; output in $W/NAME/
boot() {
	local name=$1 append=$2 d=$W/$1 rc=0 t0=$SECONDS
	mkdir -p "$d"
	cp "$W/testfs.img" "$d/testfs.img"
	mkfs.ext4 -q -F -L results -d "$W/results-in" "$d/results.img" 32M \
		>"$W/mkfs.log" 2>&1 || { cat "$W/mkfs.log"; fail "mkfs.ext4 failed"; }
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 768 -smp 1 \
		-nographic -no-reboot -nic none \
		-kernel "$KROOT/boot/vmlinuz-$KVER" -initrd "$W/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 audit=1 audit_backlog_limit=8192 ima_appraise=enforce $append" \
		-drive "file=$d/testfs.img,if=virtio,format=raw" \
		-drive "file=$d/results.img,if=virtio,format=raw" \
		</dev/null >"$d/serial.log" 2>&1 || rc=$?
	tr -d '\r' < "$d/serial.log" | grep '^vmtest: ' > "$d/progress.log" || true
	note "boot $name: qemu exit $rc after $((SECONDS - t0)) s"
	if ! grep -q '^vmtest: done' "$d/progress.log"; then
		tail -n 40 "$d/serial.log" | tr -d '\r'
		fail "boot $name did not finish (qemu exit $rc; timeout $TIMEOUT s)"
	fi
	debugfs -R "rdump /out $d" "$d/results.img" >/dev/null 2>&1
	[ -s "$d/out/alerts.log" ] || fail "boot $name: no alerts.log on the results disk"
	[ -s "$d/out/audit.log" ] || fail "boot $name: no audit.log on the results disk"
	if grep -v '^vmtest: \(step\|init started\|done\)' "$d/progress.log"; then
		fail "boot $name: the guest reported problems (above)"
	fi
}

# check_boot NAME EXPECTED FACILITY: the alerts of one boot
check_boot() {
	local d=$W/$1
	if ! "$here/check-alerts.sh" "$here/$2" "$d/out/alerts.log" \
		"$d/out/audit.log" "$3"; then
		echo "---- alerts of boot $1 ($d/out/alerts.log):"
		cat "$d/out/alerts.log"
		fail "boot $1: alerts differ from tests/vm/$2"
	fi
}

# check_reload: late.sh was unknown once, before release 2 was loaded; its
# second and third versions (same content, new inodes, INTEGRITY_RULE
# records of their own), run after release 2 and after the two refused
# databases, matched
check_reload() {
	local d=$W/main records alerts
	records=$(grep -c '^type=INTEGRITY_RULE .* file="/tmp/late.sh" ' "$d/out/audit.log" || true)
	alerts=$(grep -c ' unknown_file .* file=/tmp/late.sh ' "$d/out/alerts.log" || true)
	[ "$records" = 3 ] || fail "reload: $records INTEGRITY_RULE records for /tmp/late.sh, not 3"
	[ "$alerts" = 1 ] || fail "reload: $alerts unknown_file alerts for /tmp/late.sh, not 1: release 2 did not take, or a refused database did"
	awk '/ unknown_file .* file=\/tmp\/late\.sh / { exit 0 } / db_reloaded .* release=2 / { exit 1 }' \
		"$d/out/alerts.log" || fail "reload: the unknown_file for /tmp/late.sh is not before release 2"
}

# alert_fields KEY...: for each alert line on stdin, KEY=VALUE of each KEY
# (unquoted values only), space-separated
alert_fields() {
	awk -v keys="$*" '{
		n = split(keys, k, " "); out = ""
		for (i = 1; i <= n; i++)
			if (match($0, " " k[i] "=[^ ]*"))
				out = out (i > 1 ? " " : "") substr($0, RSTART + 1, RLENGTH - 1)
		print out
	}'
}

# check_signed: the main boot's plugin verified its databases with the run's
# key: db_reloaded says release 1, then release 2, each with its file's
# sha256 and the key's id; the rollback and the unsigned database were
# refused, in that order.  A database can be loaded twice when the file
# watch and the SIGHUP both see it: repeated lines count once
check_signed() {
	local log=$W/main/out/alerts.log db=$W/results-in/db key_id want got
	key_id=$(openssl pkey -pubin -in "$W/keys/refdb.pub" -outform DER | sha256sum | cut -d' ' -f1)
	want="release=1 sha256=$(sha256sum < "$db/refdb.sqlite" | cut -d' ' -f1) key_id=$key_id
release=2 sha256=$(sha256sum < "$db/refdb-next.sqlite" | cut -d' ' -f1) key_id=$key_id"
	got=$(grep ' db_reloaded ' "$log" | alert_fields release sha256 key_id | uniq)
	[ "$got" = "$want" ] ||
		fail "signed databases: db_reloaded says"$'\n'"$got"$'\n'"not"$'\n'"$want"
	want='reason="rollback refused"
reason="unsigned database refused (require_signature = yes)"'
	got=$(grep ' db_rejected ' "$log" | sed 's/.* reason=/reason=/' | uniq)
	[ "$got" = "$want" ] ||
		fail "signed databases: db_rejected says"$'\n'"$got"$'\n'"not"$'\n'"$want"
}

# check_sha512: IMA really hashed with sha512 (not a silent sha256 fallback)
check_sha512() {
	grep -q '^type=INTEGRITY_RULE .* file="/bin/busybox" hash="sha512:' \
		"$W/sha512/out/audit.log" ||
		fail "ima_hash=sha512: /bin/busybox was not measured with sha512"
}

preflight
W=${AUDISP_IMA_VM_WORK:-$(mktemp -d /tmp/audisp-ima-vm.XXXXXX)}
T=$W/tree
rm -rf "$T" "$W/results-in" "$W/main" "$W/sha512"
mkdir -p "$W"
note "work directory $W, cache $CACHE${BROKEN:+, BROKEN plugin: $BROKEN}"
fetch_kernel
install_plugin
note "plugin installed; building the images"
make_keys
make_tree
make_testfs
make_databases
tamper_testfs
pack_images
note "images ready"
boot main "vmtest.mode=main"
boot sha512 "vmtest.mode=sha512 ima_hash=sha512"
check_boot main expected-main.txt authpriv
check_reload
check_signed
check_sha512
check_boot sha512 expected-sha512-db256.txt authpriv
check_boot sha512 expected-sha512-db512.txt local2
note "PASS"
[ -n "${AUDISP_IMA_VM_WORK:-}" ] || rm -rf "$W"
