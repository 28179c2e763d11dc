#!/bin/sh
# vm-raw.sh -- the VM's raw audit stream: golden alert lines and the scenario
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/replay/vm-scenario.sh"

make_vm_db "$T/ref.sqlite"
replay_conf "$T/ref.sqlite" "$T/replay.conf"
replay "$CORPUS/vm-ima-raw.log" "$T/out"
check_vm_scenario "$T/out"
# Every line, checked by hand against tests/corpus/README.md once.
expect_file_eq "$top_srcdir/tests/replay/vm-raw.expected" "$T/out"
