#!/usr/bin/env bash
# The shipped monitoring is tested like code: `promtool check rules` and `promtool test rules`
# pass; the example Prometheus configuration is valid; every alert has a severity, a runbook
# section in docs/operations.md and unit tests that make it fire and stay quiet; every
# Prometheus query of the Grafana dashboard parses and every recording rule it reads is
# defined. (That the metrics they name exist is checked against a running control plane:
# tests/integration/alerts_test.cpp.)
source "$(dirname "${BASH_SOURCE[0]}")/support/common.sh"

need promtool
grep -qw prometheus "$EZ_SOURCE_DIR/scripts/deps" || fail "scripts/deps does not install prometheus"
P=$EZ_SOURCE_DIR/conf/prometheus
make_tmp T

log "promtool check rules"
promtool check rules "$P/ezapi.rules.yml" >"$T/check.log" 2>&1 || { cat "$T/check.log" >&2; fail "promtool check rules"; }
log "promtool test rules"
(cd "$P" && promtool test rules ezapi.rules.test.yml) >"$T/test.log" 2>&1 || { cat "$T/test.log" >&2; fail "promtool test rules"; }
log "promtool check config prometheus.example.yml"
promtool check config "$P/prometheus.example.yml" >"$T/config.log" 2>&1 || { cat "$T/config.log" >&2; fail "promtool check config"; }

log "alerts: severity, runbook section, firing and quiet unit tests; dashboard queries"
"$SYS_PYTHON" - "$EZ_SOURCE_DIR" "$T" <<'PY' || fail "see above"
import json, re, sys, yaml
src, tmp = sys.argv[1], sys.argv[2]
rules = yaml.safe_load(open(f"{src}/conf/prometheus/ezapi.rules.yml"))
tests = yaml.safe_load(open(f"{src}/conf/prometheus/ezapi.rules.test.yml"))
ops = open(f"{src}/docs/operations.md").read()
errors = []
alerts, records = [], set()
for g in rules["groups"]:
    for r in g["rules"]:
        if "record" in r:
            records.add(r["record"])
        else:
            alerts.append(r)
headings = {h.strip().lower(): h for h in re.findall(r"^### (.+)$", ops, re.M)}
fired, quiet = set(), set()
for t in tests["tests"]:
    for a in t.get("alert_rule_test", []):
        (fired if a.get("exp_alerts") else quiet).add(a["alertname"])
for a in alerts:
    name = a["alert"]
    if a.get("labels", {}).get("severity") not in ("critical", "warning"):
        errors.append(f"{name}: severity must be critical or warning")
    runbook = a.get("annotations", {}).get("runbook", "")
    m = re.fullmatch(r"docs/operations\.md#([a-z0-9-]+)", runbook)
    if not m:
        errors.append(f"{name}: runbook annotation '{runbook}' is not docs/operations.md#<section>")
    elif m.group(1) not in headings or headings[m.group(1)] != name:
        errors.append(f"{name}: docs/operations.md has no '### {name}' section for {runbook}")
    else:
        body = ops.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        for part in ("What it means", "How to confirm", "What to do"):
            if f"**{part}**" not in body:
                errors.append(f"{name}: its runbook section lacks '**{part}**'")
    if name not in fired:
        errors.append(f"{name}: no unit test makes it fire")
    if name not in quiet:
        errors.append(f"{name}: no unit test checks that it stays quiet")

# The dashboard's Prometheus queries, as recording rules promtool parses (Grafana's
# variables replaced by values of the same kind).
dash = json.load(open(f"{src}/conf/grafana/ezapi-dashboard.json"))
exprs = []
def walk(panels):
    for p in panels:
        walk(p.get("panels", []))
        for t in p.get("targets", []):
            if "expr" in t:
                exprs.append((p["title"], t["expr"]))
walk(dash["panels"])
for a in dash.get("annotations", {}).get("list", []):
    if "expr" in a:
        exprs.append(("annotation " + a["name"], a["expr"]))
if not exprs:
    errors.append("the dashboard has no Prometheus query")
check = {"groups": [{"name": "dashboard", "rules": []}]}
for i, (title, e) in enumerate(exprs):
    e = e.replace("$__rate_interval", "5m").replace("$instance", ".*")
    if "$" in e:
        errors.append(f"dashboard panel '{title}': unknown variable in {e}")
    check["groups"][0]["rules"].append({"record": f"dashboard:q{i}", "expr": e})
    for name in re.findall(r"(?<![\w:])([a-zA-Z_]\w*:[\w:]+)", e):
        if name not in records:
            errors.append(f"dashboard panel '{title}': recording rule {name} is not in ezapi.rules.yml")
yaml.safe_dump(check, open(f"{tmp}/dashboard.rules.yml", "w"))
for e in errors:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
promtool check rules "$T/dashboard.rules.yml" >"$T/dash.log" 2>&1 || { cat "$T/dash.log" >&2; fail "a dashboard query does not parse"; }

log "OK"
