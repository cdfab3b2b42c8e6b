"""Checks a `snapaudit scan --format json` report against the generator's MANIFEST.json: every
finding set (ECS.2, ECS.16, SA.ECS.1 with its drift, the missing-ENI warnings, SA.NET.3 and its
load-balancer paths), and through `snapaudit query`, the internet-reachable interfaces and each
scenario's blocking hop. Prints one line per check; exits 1 on any mismatch.

Usage: check_manifest.py MANIFEST.json REPORT.json SNAPAUDIT_BINARY
"""
import json, sys
manifest, report = (json.load(open(p)) for p in sys.argv[1:3])
bin = sys.argv[3]
exp = manifest["expected"]
if "lb_paths" not in exp:
    sys.exit("%s predates the load balancers: remove its folder to regenerate the evidence" % sys.argv[1])
found = {}
for f in report["findings"]:
    found.setdefault(f["rule_id"], set()).add(f["resource_id"])
drift = {f["resource_id"] for f in report["findings"] if f["rule_id"] == "SA.ECS.1" and (f.get("details") or {}).get("drift")}
checks = [(r, found.get(r, set()), set(exp[r]["ids"])) for r in ("ECS.2", "ECS.16", "SA.ECS.1")]
checks.append(("drift", drift, set(exp["drift"]["ids"])))
missing = {w["message"].split(" uses ENI ")[1].split(",")[0] for w in report["warnings"] if " uses ENI " in w["message"]}
checks.append(("missing ENI warnings", missing, set(exp["missing_eni"]["ids"].values())))
# A running task whose interface is missing cannot be judged: SA.ECS.1 says so (indeterminate), never a finding.
cannot_tell = {f["resource_id"] for f in report["indeterminate"] if f["rule_id"] == "SA.ECS.1"}
checks.append(("SA.ECS.1 indeterminate (task interface not exported)", cannot_tell, set(exp["missing_eni"]["ids"])))
import subprocess
reachable = subprocess.run([bin, "query", sys.argv[1].rsplit("/", 1)[0], "--table", "eni_exposure",
                            'select(.reachable == "yes") | .network_interface_id'], capture_output=True, text=True).stdout
checks.append(("internet-reachable ENIs", {l.strip('"') for l in reachable.split()}, set(exp["reachable"]["ids"])))
hops = subprocess.run([bin, "query", sys.argv[1].rsplit("/", 1)[0], "--table", "eni_exposure",
                       '[.network_interface_id, .reachable, .blocking_hop] | @json'], capture_output=True, text=True).stdout
answer = {i: (r, b) for i, r, b in (json.loads(json.loads(l)) for l in hops.splitlines())}
scenarios = exp["scenarios"]["ids"]
agree = {e for e, sc in scenarios.items()
         if (sc["blocked_at"] is None and answer.get(e, (None,))[0] == "yes")
         or (sc["blocked_at"] is not None and answer.get(e, (None, None))[1] == sc["blocked_at"] and answer[e][0] != "yes")}
checks.append(("scenario verdicts / blocking hops", agree, set(scenarios)))
PATH_KEYS = ("load_balancer_arn", "listener_port", "target_group_arn", "target_port")
def lb_paths(finding):
    """(target ENI, load balancer, listener port, target group, target port) of each path a SA.NET.3 finding
    gives: its details' top-level keys and each entry of details.paths[]."""
    details = finding.get("details") or {}
    for p in [details, *(details.get("paths") or [])]:
        if p.get("load_balancer_arn") is not None:
            yield (finding["resource_id"], *(p.get(k) for k in PATH_KEYS))
lb_findings = [f for f in report["findings"] if f["rule_id"] == "SA.NET.3"]
checks.append(("ENIs reachable through a load balancer (SA.NET.3)", {f["resource_id"] for f in lb_findings},
               set(exp["lb_reachable"]["ids"])))
checks.append(("load-balancer paths (SA.NET.3 details)", {p for f in lb_findings for p in lb_paths(f)},
               {(p["target_eni"], *(p[k] for k in PATH_KEYS)) for p in exp["lb_paths"]}))
ok = True
for name, got, want in checks:
    same = got == want
    ok &= same
    print(f"{name}: snapaudit {len(got)}, manifest {len(want)}{'' if same else '  MISMATCH'}")
sys.exit(0 if ok else 1)
