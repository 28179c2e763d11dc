#!/bin/sh
# check-alerts.sh -- judge the alerts of one VM boot against an expected list
#
# Usage: check-alerts.sh EXPECTED ALERTS AUDITLOG FACILITY
#   EXPECTED  lines "ID SEVERITY PATH" (tests/vm/expected-*.txt): PATH is the
#             file= value exactly as the alert writes it ("-": no file=; "*"
#             matches any run of characters); a leading "?" makes the line
#             optional: allowed, not required.  '#' starts a comment line.
#   ALERTS    rsyslog's file: "SYSLOG-SEVERITY FACILITY MESSAGE" per line
#   AUDITLOG  the guest's audit.log from the same boot
#   FACILITY  only lines of this syslog facility are judged
# Fails (exit 1, one line per problem) when an expected line has no alert;
# when an alert at warning or above matches no expected line; when syslog's
# severity differs from the alert's severity=; or when an alert's event=
# has no INTEGRITY record in audit.log naming its file with a record type
# that fits its verdict (and the same cause=, when the alert has one).
set -eu

[ $# -eq 4 ] || { echo "usage: $0 EXPECTED ALERTS AUDITLOG FACILITY" >&2; exit 2; }

# The awk program reads audit.log, then the expected list, then the alerts.
LC_ALL=C
export LC_ALL
exec awk -v facility="$4" -v auditlog="$3" -v expected="$1" '
# hexval: value of one hex digit
function hexval(c) {
	return index("0123456789abcdef", tolower(c)) - 1
}

# alert_quote: RAW written as the plugin writes a value (see audisp-ima(8))
function alert_quote(raw,    i, c, out, quote) {
	quote = (raw == "")
	for (i = 1; i <= length(raw); i++) {
		c = substr(raw, i, 1)
		if (c !~ /[!-~]/ || c == "\"" || c == "\\")
			quote = 1
	}
	if (!quote)
		return raw
	out = ""
	for (i = 1; i <= length(raw); i++) {
		c = substr(raw, i, 1)
		if (c == "\"" || c == "\\")
			out = out "\\" c
		else if (c ~ /[ -~]/)
			out = out c
		else
			out = out sprintf("\\x%02x", ord[c])
	}
	return "\"" out "\""
}

# audit_value: the value of KEY in an audit record, decoded ("" if none)
function audit_value(rec, key,    p, v, raw, i) {
	p = index(" " rec, " " key "=")
	if (p == 0)
		return ""
	v = substr(rec, p + length(key) + 1)
	if (substr(v, 1, 1) == "\"") {
		v = substr(v, 2)
		return substr(v, 1, index(v, "\"") - 1)
	}
	sub(/ .*/, "", v)
	if (v !~ /^([0-9A-F][0-9A-F])+$/)
		return v
	raw = ""
	for (i = 1; i < length(v); i += 2)
		raw = raw sprintf("%c", hexval(substr(v, i, 1)) * 16 + hexval(substr(v, i + 1, 1)))
	return raw
}

# alert_value: the value of KEY in an alert line, as written ("" if none)
function alert_value(msg, key,    p, v, i, c) {
	p = index(msg, " " key "=")
	if (p == 0)
		return ""
	v = substr(msg, p + length(key) + 2)
	if (substr(v, 1, 1) != "\"") {
		sub(/ .*/, "", v)
		return v
	}
	for (i = 2; i <= length(v); i++) {
		c = substr(v, i, 1)
		if (c == "\\")
			i++
		else if (c == "\"")
			return substr(v, 1, i)
	}
	return v
}

# glob_re: an expected PATH as an anchored regular expression
function glob_re(glob,    i, c, re) {
	re = "^"
	for (i = 1; i <= length(glob); i++) {
		c = substr(glob, i, 1)
		if (c == "*")
			re = re ".*"
		else if (c ~ /[A-Za-z0-9\/_ -]/)
			re = re c
		else
			re = re "[" (c == "\\" ? "\\\\" : c == "^" ? "\\^" : c) "]"
	}
	return re "$"
}

# problem: report one failure
function problem(text) {
	print "check-alerts: " text
	bad++
}

BEGIN {
	for (i = 1; i < 256; i++)
		ord[sprintf("%c", i)] = i
	# the record types that can stand behind each verdict
	fits["hash_mismatch"] = fits["unknown_file"] = fits["known_elsewhere"] = \
		fits["algo_unavailable"] = fits["known_bad"] = fits["match"] = \
		fits["excluded"] = " INTEGRITY_RULE "
	fits["appraise_failed"] = fits["evm_failed"] = \
		" INTEGRITY_DATA INTEGRITY_METADATA "
	fits["measure_violation"] = fits["measured"] = " INTEGRITY_PCR "
	fits["ima_error"] = " INTEGRITY_DATA INTEGRITY_RULE INTEGRITY_PCR "
	fits["policy_change"] = fits["policy_rejected"] = fits["policy_rule"] = \
		" INTEGRITY_STATUS INTEGRITY_POLICY_RULE "
	rank["emerg"] = 0; rank["alert"] = 1; rank["crit"] = 2; rank["err"] = 3
	rank["warning"] = 4; rank["notice"] = 5; rank["info"] = 6; rank["debug"] = 7
}

FNR == 1 { part = FILENAME == auditlog ? 1 : FILENAME == expected ? 2 : 3 }

# part 1: audit.log -- the INTEGRITY records, by event id
part == 1 && /^type=INTEGRITY_/ {
	rec = $0
	sub(/\035.*/, "", rec)
	type = substr(rec, 6, index(rec, " ") - 6)
	ev = rec
	sub(/^[^(]*\(/, "", ev)
	sub(/\).*/, "", ev)
	name = audit_value(rec, "file")
	if (name == "")
		name = audit_value(rec, "name")
	name = (name == "") ? "-" : alert_quote(name)
	types[ev] = types[ev] " " type " "
	types[ev, name] = types[ev, name] " " type " "
	cause = audit_value(rec, "cause")
	if (cause != "")
		causes[ev, name, cause] = 1
	next
}

# part 2: the expected list
part == 2 && !/^#/ && NF >= 3 {
	n++
	optional[n] = sub(/^\?/, "")
	exp_id[n] = $1
	exp_sev[n] = $2
	path = $0
	sub(/^[^ ]+ [^ ]+ /, "", path)
	exp_path[n] = path
	exp_re[n] = glob_re(path)
	next
}

# part 3: the alerts, one per syslog line
part == 3 && $2 == facility {
	lines++
	sev = $1
	msg = $0
	sub(/^[^ ]+ [^ ]+ +/, "", msg)
	split(msg, word, " ")
	id = word[1]
	aseverity = alert_value(msg, "severity")
	ev = alert_value(msg, "event")
	file = alert_value(msg, "file")
	if (file == "")
		file = "-"
	if (aseverity != sev)
		problem("syslog severity " sev " but severity=" aseverity ": " msg)
	if (ev != "") {
		key = (file == "-") ? ev : ev SUBSEP file
		if (!(key in types))
			problem("no INTEGRITY record of event " ev " names " file ": " msg)
		else if (id in fits) {
			hit = 0
			split(types[key], t, " ")
			for (i in t)
				if (index(fits[id], " " t[i] " "))
					hit = 1
			if (!hit)
				problem("event " ev " has" types[key] "for " file ", not a record for " id ": " msg)
		}
		cause = alert_value(msg, "cause")
		if (cause != "" && file != "-" && !((ev, file, cause) in causes))
			problem("event " ev " has no cause=" cause " for " file ": " msg)
	}
	matched = 0
	for (i = 1; i <= n; i++)
		if (exp_id[i] == id && exp_sev[i] == aseverity && file ~ exp_re[i]) {
			seen[i]++
			matched = 1
		}
	if (!matched && (aseverity in rank) && rank[aseverity] <= rank["warning"])
		problem("unexpected " aseverity " alert: " msg)
}

END {
	for (i = 1; i <= n; i++)
		if (!optional[i] && !seen[i])
			problem("missing: " exp_id[i] " " exp_sev[i] " " exp_path[i])
	printf "check-alerts: %d %s alerts, %d expected lines, %d problems\n", \
		lines, facility, n, bad
	exit bad ? 1 : 0
}
' "$3" "$1" "$2"
