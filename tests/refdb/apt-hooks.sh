#!/bin/sh
# apt-hooks.sh -- a real apt-get upgrade through the ima-refdb APT hooks: the new binary and postinst are known before they run
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (installs and purges a local test package)"
[ -z "${AUDISP_IMA_PACKAGE_BUILD:-}" ] || skip "inside a package build: will not install packages on the build host"
for p in apt-get dpkg-deb dpkg-query sha256sum; do
	command -v "$p" >/dev/null 2>&1 || skip "$p not found"
done
PKG=audisp-ima-testpkg
if dpkg-query -W "$PKG" >/dev/null 2>&1; then
	skip "$PKG is already installed here (left over?); purge it first"
fi
[ -x "$IMA_REFDB" ] || fail "$IMA_REFDB not built"
# dpkg must be able to run the tool from its build tree
chmod o+x "$T"

LOCAL=$T/local.sqlite
CONF=$T/audisp-ima.conf
printf 'reference_db = %s/base.sqlite\nlocal_db = %s\n' "$T" "$LOCAL" > "$CONF"
REFDB="$WRAP $IMA_REFDB -c $CONF"

# make_deb VERSION : a package whose postinst runs its new binary after
# checking that the database already vouches for that binary and for
# the postinst itself
make_deb() {
	v=$1
	r=$T/pkg$v
	mkdir -p "$r/DEBIAN" "$r/usr/bin"
	cat > "$r/usr/bin/$PKG" <<EOS
#!/bin/sh
echo "$PKG version $v"
EOS
	chmod 755 "$r/usr/bin/$PKG"
	cat > "$r/DEBIAN/control" <<EOS
Package: $PKG
Version: $v
Architecture: all
Maintainer: audisp-ima tests <root@localhost>
Description: audisp-ima APT hook test package
EOS
	cat > "$r/DEBIAN/postinst" <<EOS
#!/bin/sh
set -e
for f in /usr/bin/$PKG "\$0"; do
	want=\$(sha256sum < "\$f" | cut -c1-64)
	if $IMA_REFDB -c $CONF --local lookup "\$f" | grep -q "^sha256:\$want "; then
		echo "known before run: \$f" >> $T/postinst.log
	else
		echo "UNKNOWN before run: \$f" >> $T/postinst.log
	fi
done
/usr/bin/$PKG >> $T/postinst.log
EOS
	chmod 755 "$r/DEBIAN/postinst"
	dpkg-deb --root-owner-group -b "$r" "$T/${PKG}_${v}_all.deb" >/dev/null ||
		fail "dpkg-deb -b"
}

make_deb 1
make_deb 2

# The hooks go on the command line only: the machine's APT config is untouched.
apt_hooked() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q \
		-o "DPkg::Pre-Install-Pkgs::=$REFDB update -q --deb -" \
		-o "DPkg::Post-Invoke::=$REFDB update -q --prune" \
		-o Dpkg::Use-Pty=0 "$@" > "$T/apt.log" 2>&1
}
cleanup() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q purge "$PKG" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

apt_hooked install "$T/${PKG}_1_all.deb" || { cat "$T/apt.log" >&2; fail "install v1"; }
apt_hooked install "$T/${PKG}_2_all.deb" || { cat "$T/apt.log" >&2; fail "upgrade to v2"; }
cat > "$T/want" <<EOS
known before run: /usr/bin/$PKG
known before run: /var/lib/dpkg/info/$PKG.postinst
$PKG version 1
known before run: /usr/bin/$PKG
known before run: /var/lib/dpkg/info/$PKG.postinst
$PKG version 2
EOS
expect_file_eq "$T/want" "$T/postinst.log"

# After the upgrade only the installed version's digest is left, tagged
# with its package.
$REFDB --local lookup "/usr/bin/$PKG" > "$T/out" || fail "lookup after upgrade"
[ "$(wc -l < "$T/out")" -eq 1 ] || { cat "$T/out" >&2; fail "old digest kept"; }
expect_grep "sha256:$(sha256sum < "/usr/bin/$PKG" | cut -c1-64)  deb:" "$T/out"
$REFDB --local info > "$T/info" || fail "info"
expect_grep "  $PKG: " "$T/info"

# Purging drops what no installed file has any more.
apt_hooked purge "$PKG" || { cat "$T/apt.log" >&2; fail "purge"; }
$REFDB --local lookup "/usr/bin/$PKG" > "$T/out"
[ $? -eq 1 ] || { cat "$T/out" >&2; fail "digest kept after purge"; }
exit 0
