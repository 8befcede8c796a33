# SPDX-License-Identifier: GPL-2.0
#
# metrics.awk - the Prometheus text exposition (format 0.0.4) of kthelper's
# helper threads, for `kthctl metrics` (tools/kthctl/kthctl), which runs
#
#	KTH_SYSFS=/sys/kernel/kthelper KTH_THREADS="NAME..." awk -f metrics.awk
#
# (the environment, not -v, which would take backslashes for escapes).
# It reads every file itself (no input): for each thread of KTH_THREADS,
# its sysfs files and its driver's metrics/schema and metrics/NAME.  A
# family's # HELP and # TYPE come once, its samples together, threads in
# the order given; families in a fixed order, then the drivers' in the
# order first met.  Every series has the labels thread and module.  A
# value is the file's own text (a u64 never passes through a double);
# only the histograms' cumulative counts are computed.  A file that is
# missing or malformed (an older kthelper) leaves its series out: no
# value is ever made up.  A driver metric that cannot be shown (a bad
# name, a name taken) is left out with a warning on stderr.  POSIX awk:
# mawk, gawk and busybox's.  Documentation/observability.rst, "Prometheus
# metrics", has the names.

# The histograms' bucket edges: 2^LE_MIN .. 2^LE_MAX ns (1.024 us to
# 34.4 s), then +Inf; the same on every scrape, as Prometheus wants.
# (No ^: busybox's awk may be built without it.)
function init_edges(   k, e) {
	n_edges = 0
	e = 1
	for (k = 1; k <= LE_MAX; k++) {
		e *= 2
		if (k < LE_MIN)
			continue
		edge[++n_edges] = e
		edge_le[n_edges] = seconds(sprintf("%.0f", e))
	}
}

# seconds(NS): a whole number of nanoseconds, as text, in seconds with
# no rounding: 1500 -> 0.0000015, 2000000000 -> 2.
function seconds(ns,   i, f) {
	while (length(ns) < 10)
		ns = "0" ns
	i = substr(ns, 1, length(ns) - 9)
	f = substr(ns, length(ns) - 8)
	sub(/0+$/, "", f)
	return f == "" ? i : i "." f
}

function warn(msg) {
	printf "kthctl: metrics: %s\n", msg > "/dev/stderr"
}

# get(THREAD, FILE): the file's first line; got is 1 if it could be read.
function get(t, file,   path, line, r) {
	path = sysfs "/" t "/" file
	line = ""
	r = (getline line < path)
	close(path)
	got = r >= 0
	return line
}

# lines(THREAD, FILE, ARR): the file's lines in ARR[1..n]; n, or -1.
function lines(t, file, arr,   path, line, r, n) {
	path = sysfs "/" t "/" file
	n = 0
	while ((r = (getline line < path)) > 0)
		arr[++n] = line
	close(path)
	return r < 0 ? -1 : n
}

# escape(TEXT, QUOTES): \ and newline escaped as the exposition wants
# them, " too if QUOTES (a label value); character by character, as
# gsub()'s "\\" in a replacement differs from one awk to another.
function escape(text, quotes,   out, i, c) {
	out = ""
	for (i = 1; i <= length(text); i++) {
		c = substr(text, i, 1)
		if (c == "\\")
			c = "\\\\"
		else if (c == "\n")
			c = "\\n"
		else if (quotes && c == "\"")
			c = "\\\""
		out = out c
	}
	return out
}

function quote(v) {
	return "\"" escape(v, 1) "\""
}

# family(NAME, TYPE, HELP): declare a family (once); 0 if NAME is taken
# by another type, or by the framework (fixed) when the caller is a driver.
function family(name, type, help, driver) {
	if (name in fam_type) {
		if (fam_type[name] != type || (driver && fam_fixed[name]))
			return 0
		return 1
	}
	fam[++n_fam] = name
	fam_type[name] = type
	fam_help[name] = escape(help, 0)
	fam_fixed[name] = !driver
	fam_text[name] = ""
	return 1
}

# sample(FAMILY, NAME, LABELS, VALUE): one line of FAMILY.
function sample(f, name, labels, value) {
	fam_text[f] = fam_text[f] name "{" labels "} " value "\n"
}

function is_count(v) { return v ~ /^[0-9]+$/ }
function is_gauge(v) { return v ~ /^-?[0-9]+$/ }

# value(THREAD, LABELS, FILE, FAMILY[, MORE]): a u64 file as it reads.
function value(t, labels, file, f, more,   v) {
	v = get(t, file)
	if (got && is_count(v))
		sample(f, f, labels more, v)
}

# stateset(THREAD, LABELS, FILE, FAMILY, LABEL, KNOWN): the StateSet
# pattern: one series per word of KNOWN, 1 for the file's word, 0 for
# the others; a word it does not know gets a series of its own, 1.
function stateset(t, labels, file, f, label, known,   v, s, n, i, found) {
	v = get(t, file)
	if (!got || v !~ /^[a-z_]+$/)
		return
	n = split(known, s, " ")
	found = 0
	for (i = 1; i <= n; i++) {
		sample(f, f, labels "," label "=" quote(s[i]), v == s[i])
		found = found || v == s[i]
	}
	if (!found)
		sample(f, f, labels "," label "=" quote(v), 1)
}

# pairs(THREAD, LABELS, FAMILY, LABEL, LIST): "VALUE:FILE ..." as one
# series of FAMILY per file, labelled LABEL=VALUE.
function pairs(t, labels, f, label, list,   p, n, i, w) {
	n = split(list, p, " ")
	for (i = 1; i <= n; i++) {
		split(p[i], w, ":")
		value(t, labels, w[2], f, "," label "=" quote(w[1]))
	}
}

# The helper's runs: how each ended, where they are, the limits and what
# this kernel runs for a helper.  Outcomes only from a kthelper that
# counts them all (helper_exited is there): an older one's
# helper_suppressed alone would be a family that does not add up.
function helper(t, labels,   v) {
	get(t, "helper_exited")
	if (got)
		pairs(t, labels, "kthelper_helper_attempts_total", "outcome",
		      "exited:helper_exited exited_nonzero:helper_exited_nonzero " \
		      "killed:helper_killed timeout:helper_timeouts " \
		      "exec_failed:helper_exec_failed refused:helper_refused " \
		      "not_run:helper_not_run suppressed:helper_suppressed " \
		      "dropped:helper_dropped")
	pairs(t, labels, "kthelper_helper_exec_failures_total", "errno",
	      "ENOENT:helper_exec_enoent EACCES:helper_exec_eacces " \
	      "ENOEXEC:helper_exec_enoexec ENOMEM:helper_exec_enomem " \
	      "other:helper_exec_other")
	value(t, labels, "helper_deferred", "kthelper_helper_deferred_total")
	value(t, labels, "helper_waited", "kthelper_helper_waited_total")
	value(t, labels, "helper_running", "kthelper_helper_running")
	value(t, labels, "helper_pending", "kthelper_helper_pending")
	value(t, labels, "helper_last_exit", "kthelper_helper_last_exit_code")
	value(t, labels, "helper_last_signal", "kthelper_helper_last_signal")
	v = get(t, "helper_timeout_ms")
	if (got && is_count(v))
		sample("kthelper_helper_timeout_seconds", "kthelper_helper_timeout_seconds",
		       labels, seconds(v "000000"))
	value(t, labels, "helper_max_running", "kthelper_helper_max_running")
	value(t, labels, "helper_max_pending", "kthelper_helper_max_pending")
	stateset(t, labels, "helper_runner", "kthelper_helper_runner", "runner",
		 "direct dispatcher none")
}

# histogram(THREAD, LABELS, PREFIX, FAMILY): PREFIX_hist ("LOW HIGH COUNT"
# per non-empty bucket, HIGH exclusive) as cumulative le buckets, _sum
# from PREFIX_sum_ns, _count the +Inf bucket of the same read.
function histogram(t, labels, prefix, f,   h, n, i, k, w, sum, b, total, cum) {
	n = lines(t, prefix "_hist", h)
	sum = get(t, prefix "_sum_ns")
	if (n < 0 || !got || !is_count(sum))
		return
	for (k = 1; k <= n_edges; k++)
		b[k] = 0
	total = 0
	for (i = 1; i <= n; i++) {
		if (split(h[i], w, " ") != 3 || !is_count(w[2]) || !is_count(w[3])) {
			warn(t "/" prefix "_hist: a line that is not LOW HIGH COUNT: '" h[i] "': histogram left out")
			return
		}
		# every value of [LOW, HIGH) is <= the first edge >= HIGH
		for (k = 1; k <= n_edges && w[2] + 0 > edge[k]; k++)
			;
		if (k <= n_edges)
			b[k] += w[3]
		total += w[3]
	}
	cum = 0
	for (k = 1; k <= n_edges; k++) {
		cum += b[k]
		sample(f, f "_bucket", labels ",le=" quote(edge_le[k]), sprintf("%.0f", cum))
	}
	sample(f, f "_bucket", labels ",le=\"+Inf\"", sprintf("%.0f", total))
	sample(f, f "_sum", labels, seconds(sum))
	sample(f, f "_count", labels, sprintf("%.0f", total))
}

# The driver's own metrics: metrics/schema, "NAME TYPE LABEL HELP...";
# kthelper_<module less kth_>_<NAME>, _total added to a counter.
function driver(t, labels, module,   schema, n, i, w, name, type, label, help, f, v, nv, j, lv) {
	n = lines(t, "metrics/schema", schema)
	if (n <= 0)
		return
	sub(/^kth_/, "", module)
	gsub(/[^a-zA-Z0-9_]/, "_", module)
	for (i = 1; i <= n; i++) {
		if (split(schema[i], w, " ") < 3 || !match(schema[i], /^[^ ]+ +[^ ]+ +[^ ]+ */)) {
			warn(t "/metrics/schema: '" schema[i] "' is not NAME TYPE LABEL HELP: left out")
			continue
		}
		name = w[1]
		type = w[2]
		label = w[3]
		help = substr(schema[i], RLENGTH + 1)
		if (name !~ /^[a-z][a-z0-9_]*$/ || (type != "gauge" && type != "counter") ||
		    (label != "-" && (label !~ /^[a-z][a-z0-9_]*$/ || label == "thread" ||
				      label == "module"))) {
			warn(t "/metrics/schema: '" schema[i] "': NAME [a-z][a-z0-9_]*, TYPE gauge or counter, LABEL - or [a-z][a-z0-9_]* other than thread and module: left out")
			continue
		}
		f = "kthelper_" module "_" name
		if (type == "counter" && f !~ /_total$/)
			f = f "_total"
		if (!family(f, type, help == "" ? "The driver's " name "." : help, 1)) {
			warn(t ": " f " is already a " fam_type[f] " of kthelper or of another driver: left out")
			continue
		}
		split("", v)
		nv = lines(t, "metrics/" name, v)
		for (j = 1; j <= nv; j++) {
			if (label == "-") {
				if (type == "gauge" ? is_gauge(v[j]) : is_count(v[j]))
					sample(f, f, labels, v[j])
				break
			}
			if (split(v[j], lv, " ") != 2 || !(type == "gauge" ? is_gauge(lv[2]) : is_count(lv[2])))
				continue
			sample(f, f, labels "," label "=" quote(lv[1]), lv[2])
		}
	}
}

function thread(t,   labels, module, c, n, i) {
	module = get(t, "module")
	labels = "thread=" quote(t)
	if (got && module != "")
		labels = labels ",module=" quote(module)
	else
		module = ""
	stateset(t, labels, "state", "kthelper_state", "state", "running paused stopped")
	value(t, labels, "posted", "kthelper_events_posted_total")
	value(t, labels, "handled", "kthelper_events_handled_total")
	n = split("full evicted stopped killed", c, " ")
	for (i = 1; i <= n; i++)
		value(t, labels, "dropped_" c[i], "kthelper_events_dropped_total",
			",cause=" quote(c[i]))
	value(t, labels, "depth", "kthelper_queue_depth")
	value(t, labels, "queue_len", "kthelper_queue_capacity")
	value(t, labels, "wakeups", "kthelper_wakeups_total")
	value(t, labels, "helper_runs", "kthelper_helper_runs_total")
	value(t, labels, "helper_failures", "kthelper_helper_failures_total")
	value(t, labels, "helper_suppressed", "kthelper_helper_suppressed_total")
	helper(t, labels)
	value(t, labels, "uevents", "kthelper_uevents_total")
	value(t, labels, "uevent_failures", "kthelper_uevent_failures_total")
	value(t, labels, "sample_runs", "kthelper_sample_runs_total")
	histogram(t, labels, "wait", "kthelper_queue_wait_seconds")
	histogram(t, labels, "handle", "kthelper_handler_seconds")
	if (module != "")
		driver(t, labels, module)
}

BEGIN {
	LE_MIN = 10
	LE_MAX = 35
	init_edges()
	family("kthelper_state", "gauge",
	       "Whether the helper thread is in this state (1) or not (0): running, paused or stopped.")
	family("kthelper_events_posted_total", "counter",
	       "Events posted to the thread (kth_post() calls), accepted or not.")
	family("kthelper_events_handled_total", "counter",
	       "Events whose handler has returned.")
	family("kthelper_events_dropped_total", "counter",
	       "Events dropped, by cause: full (queue full, the post refused), evicted (the oldest dropped for a new one), stopped (posted to a stopped thread), killed (queued when the thread stopped).")
	family("kthelper_queue_depth", "gauge",
	       "Events waiting in the queue.")
	family("kthelper_queue_capacity", "gauge",
	       "Events the queue holds at most (queue_len).")
	family("kthelper_wakeups_total", "counter",
	       "Posts that woke the sleeping thread.")
	family("kthelper_helper_runs_total", "counter",
	       "User-mode helper runs that started and ended: exited (0 or not), killed or timed out.")
	family("kthelper_helper_failures_total", "counter",
	       "User-mode helper runs that never started: exec failed, refused (unsafe path) or not run (the kernel runs no helpers).")
	family("kthelper_helper_suppressed_total", "counter",
	       "User-mode helper runs skipped by the rate limit.")
	family("kthelper_helper_attempts_total", "counter",
	       "User-mode helper runs, by how they ended; each ends in exactly one outcome: exited, exited_nonzero, killed, timeout, exec_failed, refused, not_run, suppressed or dropped.")
	family("kthelper_helper_exec_failures_total", "counter",
	       "User-mode helper runs whose exec failed, by errno: ENOENT, EACCES, ENOEXEC, ENOMEM or other.")
	family("kthelper_helper_deferred_total", "counter",
	       "User-mode helper runs held back by a system sleep and started after it (each also counted by its outcome).")
	family("kthelper_helper_waited_total", "counter",
	       "User-mode helper runs that waited for a slot under helper_max_running (each also counted by its outcome).")
	family("kthelper_helper_running", "gauge",
	       "User-mode helper runs under way now.")
	family("kthelper_helper_pending", "gauge",
	       "User-mode helper runs waiting to start now (for a slot, or for the end of a system sleep).")
	family("kthelper_helper_last_exit_code", "gauge",
	       "The exit status of the last helper run that exited non-zero; 0 if none did.")
	family("kthelper_helper_last_signal", "gauge",
	       "The signal that killed the last helper run counted as killed; 0 if none was.")
	family("kthelper_helper_timeout_seconds", "gauge",
	       "A helper run still going after this long is killed and counted as a timeout (helper_timeout_ms).")
	family("kthelper_helper_max_running", "gauge",
	       "User-mode helper runs of the thread allowed at once (helper_max_running); more wait.")
	family("kthelper_helper_max_pending", "gauge",
	       "User-mode helper runs allowed to wait (helper_max_pending); more are dropped.")
	family("kthelper_helper_runner", "gauge",
	       "What this kernel runs for a helper (1) and not (0): direct, dispatcher (CONFIG_STATIC_USERMODEHELPER_PATH) or none (an empty path: no helper runs).")
	family("kthelper_uevents_total", "counter",
	       "Uevents sent.")
	family("kthelper_uevent_failures_total", "counter",
	       "Uevents the kernel could not send.")
	family("kthelper_sample_runs_total", "counter",
	       "Runs of the driver's sample hook.")
	family("kthelper_queue_wait_seconds", "histogram",
	       "Time from kth_post() to the start of the event's handler.")
	family("kthelper_handler_seconds", "histogram",
	       "Run time of the event handler.")
	sysfs = ENVIRON["KTH_SYSFS"]
	n = split(ENVIRON["KTH_THREADS"], list, " ")
	for (i = 1; i <= n; i++)
		thread(list[i])
	for (i = 1; i <= n_fam; i++) {
		f = fam[i]
		if (fam_text[f] == "")
			continue
		printf "# HELP %s %s\n# TYPE %s %s\n%s", f, fam_help[f], f, fam_type[f], fam_text[f]
	}
}
