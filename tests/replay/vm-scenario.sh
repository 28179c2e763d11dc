# vm-scenario.sh -- what the VM scenario must raise (sourced by the VM replays)
#
# check_vm_scenario OUT : OUT holds the plugin's alerts for one VM stream.
# The scenario is described in tests/corpus/README.md.
check_vm_scenario() {
	out=$1

	# Content changed after the reference was taken: crit, one per file.
	for f in /mnt/bin/tampered.sh /mnt/signed/signed-tampered.sh \
		/mnt/data/tampered.txt /mnt/bin/modify-me.sh; do
		expect_alert hash_mismatch crit "$f" "$out"
		[ "$(grep -c "^hash_mismatch .*file=$f " "$out")" = 1 ] ||
			fail "expected exactly one hash_mismatch for $f"
	done
	# modify-me.sh: the first run matched, the second (after a write) did not
	grep "^hash_mismatch .*file=/mnt/bin/modify-me.sh " "$out" |
		grep -q "hash=sha256:f293b0c651ea2dad2a55ac154286061f270db8d7236d3942c232792247923f02" ||
		fail "modify-me.sh: the mismatch is not the second run's digest"
	grep "^hash_mismatch .*file=/mnt/bin/tampered.sh " "$out" |
		grep -q "expected=sha256:a5ca28d9020a3b1e6f70187e4e5022718be4ef69e82fc201553eb8b65625b026" ||
		fail "tampered.sh: expected= does not name the reference digest"

	# The kernel's appraisal failures, each at alert.
	for f in /mnt/bin/tampered.sh /mnt/bin/nohash.sh /mnt/signed/signed-tampered.sh \
		/mnt/signed/hash-only.sh /mnt/data/tampered.txt /mnt/data/nohash.txt \
		'"/mnt/out/new script.sh"'; do
		expect_alert appraise_failed alert "$f" "$out"
	done
	expect_grep 'cause=IMA-signature-required' "$out"
	expect_grep 'cause=invalid-signature' "$out"
	# EVM's: missing-HMAC, no_label, no_xattrs, invalid-fail-immutable
	expect_alert evm_failed alert /mnt/evm/hashonly.sh "$out"
	expect_alert evm_failed alert chmod-me.sh "$out"
	expect_alert evm_failed alert noxattr.txt "$out"
	expect_alert evm_failed alert /mnt/evm/portable-badmode.sh "$out"
	for c in missing-HMAC no_label no_xattrs invalid-fail-immutable; do
		expect_grep "cause=$c " "$out"
	done

	# Files that match the reference raise nothing about their content.
	for f in /mnt/bin/good.sh '"/mnt/bin/with space.sh"' /mnt/bin/busybox \
		/mnt/bin/true /mnt/bin/nohash.sh /mnt/signed/signed.sh \
		/mnt/signed/hash-only.sh /mnt/data/good.txt \
		'"/mnt/data/file with space.txt"' /mnt/data/writers.txt \
		/mnt/data/tomtou.txt /mnt/data/mmap.bin /mnt/data/mprotect.bin \
		/mnt/evm/hashonly.sh /mnt/evm/portable.sh \
		/mnt/evm/portable-badmode.sh; do
		for id in hash_mismatch unknown_file known_elsewhere algo_unavailable; do
			expect_no_alert "$id" "$f" "$out"
		done
	done

	# Same content as /mnt/bin/busybox, another path.
	expect_alert known_elsewhere notice /bin/busybox "$out"
	grep "^known_elsewhere .*file=/bin/busybox " "$out" |
		grep -q "known_as=/mnt/bin/busybox" || fail "/bin/busybox lacks known_as"
	# Outside the reference.
	for f in /sbin/auditctl /lib/x86_64-linux-gnu/libc.so.6 \
		'"/tmp/new file.sh"' '"/mnt/out/new script.sh"' /bin/setfattr \
		/bin/imahelper; do
		expect_alert unknown_file warning "$f" "$out"
	done

	# Policy loads: one failed (bad rule), one completed.
	grep -q '^policy_change severity=notice .* op=policy_update cause=completed ' "$out" ||
		fail "no policy_change for the completed load"
	grep -q '^policy_rejected severity=warning .* op=policy_update cause=failed ' "$out" ||
		fail "no policy_rejected for the failed load"
	grep -q '^policy_rejected severity=warning .* op=update_policy cause=invalid-policy ' "$out" ||
		fail "no policy_rejected for the invalid rule"
	grep -q '^policy_rejected severity=warning .*rule="action=audit func=NO_SUCH_HOOK" res=0' "$out" ||
		fail "no policy_rejected for the rejected rule itself"
	[ "$(grep -c '^policy_rule severity=info ' "$out")" -ge 14 ] ||
		fail "accepted policy rules missing"

	# Violations and IMA's own errors.
	expect_alert measure_violation warning /mnt/data/writers.txt "$out"
	expect_alert measure_violation warning /mnt/data/tomtou.txt "$out"
	expect_grep 'cause=ToMToU ' "$out"
	expect_alert ima_error err /data/algo.txt "$out"
	expect_alert ima_error err /mnt/data/mmap.bin "$out"
	expect_alert ima_error err /mnt/data/mprotect.bin "$out"
	expect_alert ima_error err directio.txt "$out"
	grep -q '^ima_error severity=err .*file=/mnt/data/directio.txt .*note=zero-digest' "$out" ||
		fail "the all-zero digest of directio.txt was judged"

	# Off by default: matches and plain measurements.
	if grep -q '^measured ' "$out" || grep -q '^match ' "$out"; then
		fail "an alert that is off by default was sent"
	fi
	# Every line follows the contract: id, then severity.
	if grep -Ev '^[a-z_]+ severity=(emerg|alert|crit|err|warning|notice|info|debug) event=[0-9]+\.[0-9]{3}:[0-9]+ ' "$out"; then
		fail "lines above break the alert line contract"
	fi
}
