# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# kthctl-check-rules.sh - the PromQL and alert rules of
# Documentation/observability.rst, checked by
# tests/harness/kth-kthctl-check, sourced by it: its expressions and its
# rules file through `promtool check rules`, and each alert, through
# `promtool test rules`, firing on the series it is meant for and only
# there.  Both need $promtool (kthctl-check-exposition.sh).
# shellcheck disable=SC2154 # $promtool and the others: set by kth-kthctl-check

# --- the PromQL and alert rules of Documentation/observability.rst ---
# doc_block MARKER: the literal block after the line that ends in MARKER
doc_block() {
	awk -v m="$1" '
	!on && substr($0, length($0) - length(m) + 1) == m { on = 1; next }
	on && /^[^ ]/ { exit }
	on { sub(/^    /, ""); print }' "$topdir/Documentation/observability.rst"
}

# The expressions and the rules file: $rules, what rules_fire tests.
rules_check() {
	rules=$work/kthelper.rules.yml
	# shellcheck disable=SC2016 # the backquotes of RST
	doc_block 'as ``/etc/prometheus/kthelper.rules.yml``::' >"$rules"
	{
		echo 'groups:'
		echo '  - name: doc-expressions'
		echo '    rules:'
		# shellcheck disable=SC2016 # the backquotes of RST
		doc_block 'in ``tests/harness/kth-kthctl-check``)::' | grep -v -e '^#' -e '^$' |
			awk '{ gsub(/\047/, "\047\047"); printf "      - record: doc:expr:%d\n        expr: \047%s\047\n", NR, $0 }'
	} >"$work/exprs.yml"
	check doc-promql-expressions -m "$("$promtool" check rules "$work/exprs.yml" 2>&1 | tail -n 3)" \
		sh -c "'$promtool' check rules '$work/exprs.yml' >/dev/null 2>&1 && [ \$(grep -c 'record:' '$work/exprs.yml') -ge 10 ]"
	check doc-alert-rules -m "$("$promtool" check rules "$rules" 2>&1 | tail -n 3)" \
		sh -c "'$promtool' check rules '$rules' >/dev/null 2>&1 && [ \$(grep -c 'alert:' '$rules') -ge 7 ]"
}

# each alert fires on the series it is meant for, and only there
rules_fire() {
	cat >"$work/rules-test.yml" <<-EOF
	rule_files: [$rules]
	evaluation_interval: 15s
	tests:
	  - interval: 15s
	    input_series:
	      - series: 'kthelper_queue_depth{instance="h1",thread="kth_usbwatch",module="kth_usbwatch"}'
	        values: '10 250x20'
	      - series: 'kthelper_queue_capacity{instance="h1",thread="kth_usbwatch",module="kth_usbwatch"}'
	        values: '256x20'
	      - series: 'kthelper_events_dropped_total{instance="h1",thread="kth_usbwatch",module="kth_usbwatch",cause="full"}'
	        values: '0+10x60'
	      - series: 'kthelper_events_dropped_total{instance="h1",thread="kth_usbwatch",module="kth_usbwatch",cause="killed"}'
	        values: '0x60'
	      - series: 'kthelper_helper_failures_total{instance="h1",thread="kth_usbwatch",module="kth_usbwatch"}'
	        values: '0x10 1x50'
	      - series: 'kthelper_helper_attempts_total{instance="h1",thread="kth_usbwatch",module="kth_usbwatch",outcome="timeout"}'
	        values: '0x10 1x50'
	      - series: 'kthelper_helper_attempts_total{instance="h1",thread="kth_usbwatch",module="kth_usbwatch",outcome="exited"}'
	        values: '0+1x60'
	      - series: 'kthelper_helper_attempts_total{instance="h1",thread="kth_usbwatch",module="kth_usbwatch",outcome="suppressed"}'
	        values: '0+5x60'
	      - series: 'kthelper_netbufwatch_state{instance="h1",thread="kth_netbufwatch",module="kth_netbufwatch",state="low"}'
	        values: '0x5 1x20'
	      - series: 'kthelper_state{instance="h1",thread="kth_selftest",module="kth_selftest",state="running"}'
	        values: '0x80'
	      - series: 'node_textfile_mtime_seconds{instance="h1",file="/var/lib/prometheus/node-exporter/kthelper.prom"}'
	        values: '0x80'
	    alert_rule_test:
	      - {eval_time: 1m, alertname: KthelperQueueNearFull, exp_alerts: []}
	      - eval_time: 3m
	        alertname: KthelperQueueNearFull
	        exp_alerts:
	          - exp_labels: {severity: warning, instance: h1, thread: kth_usbwatch, module: kth_usbwatch}
	            exp_annotations: {summary: "kth_usbwatch on h1: queue 97.66% full"}
	      - eval_time: 14m
	        alertname: KthelperDropsRising
	        exp_alerts:
	          - exp_labels: {severity: warning, instance: h1, thread: kth_usbwatch, cause: full}
	            exp_annotations: {summary: "kth_usbwatch on h1 drops events (full): 666.7m/s"}
	      - {eval_time: 2m, alertname: KthelperHelperFailures, exp_alerts: []}
	      - eval_time: 5m
	        alertname: KthelperHelperFailures
	        exp_alerts:
	          - exp_labels: {severity: warning, instance: h1, thread: kth_usbwatch, module: kth_usbwatch}
	            exp_annotations: {summary: "kth_usbwatch on h1: its helper could not start (15 min)"}
	      - {eval_time: 2m, alertname: KthelperHelperUnsuccessful, exp_alerts: []}
	      - eval_time: 5m
	        alertname: KthelperHelperUnsuccessful
	        exp_alerts:
	          - exp_labels: {severity: warning, instance: h1, thread: kth_usbwatch, outcome: timeout}
	            exp_annotations: {summary: "kth_usbwatch on h1: helper runs ended in timeout (15 min)"}
	      - eval_time: 3m
	        alertname: KthelperNetbufLow
	        exp_alerts:
	          - exp_labels: {severity: critical, instance: h1, thread: kth_netbufwatch, module: kth_netbufwatch, state: low}
	            exp_annotations: {summary: "h1: receive buffers low (kth_netbufwatch)"}
	      - eval_time: 16m
	        alertname: KthelperNotRunning
	        exp_alerts:
	          - exp_labels: {severity: warning, instance: h1, thread: kth_selftest, module: kth_selftest, state: running}
	            exp_annotations: {summary: "kth_selftest on h1 has not been running for 15 min"}
	      - {eval_time: 1m, alertname: KthelperMetricsStale, exp_alerts: []}
	      - eval_time: 3m
	        alertname: KthelperMetricsStale
	        exp_alerts:
	          - exp_labels: {severity: warning, instance: h1, file: /var/lib/prometheus/node-exporter/kthelper.prom}
	            exp_annotations: {summary: "h1: kthelper.prom not refreshed for 3m 0s"}
	EOF
	if "$promtool" test rules "$work/rules-test.yml" >"$work/rules-test.out" 2>&1; then
		ok doc-alert-rules-fire
	else
		not_ok doc-alert-rules-fire "$(grep -v '^ *$' "$work/rules-test.out" | head -n 8)"
	fi
}
