"""`make audit`: bandit over our code and pip-audit over the installed dependencies.

Fails on any finding not waived in .security-waivers.toml (each waiver needs a reason), on a malformed
waiver, and — loudly — when pip-audit cannot fetch vulnerability data for every dependency: an audit
that could not look is a failure, never a pass.
"""

import fnmatch
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAIVERS = ROOT / ".security-waivers.toml"
BANDIT_TARGET = "dangjian"
BANDIT_EXCLUDE = "*/migrations/*"
VULN_SERVICES = ("pypi", "osv")


def fail(lines):
    print("\n".join(lines), file=sys.stderr)
    return 1


def load_waivers():
    data = tomllib.loads(WAIVERS.read_text(encoding="utf-8"))
    bandit, pip_audit, problems = data.get("bandit", []), data.get("pip_audit", []), []
    for kind, entries, keys in (("bandit", bandit, ("test", "path")), ("pip_audit", pip_audit, ("id", "package"))):
        for number, entry in enumerate(entries, start=1):
            missing = [k for k in (*keys, "reason") if not str(entry.get(k, "")).strip()]
            if missing:
                problems.append(f"{WAIVERS.name}: [[{kind}]] #{number} lacks {', '.join(missing)}")
            elif len(entry["reason"].strip()) < 15:
                problems.append(f"{WAIVERS.name}: [[{kind}]] #{number} needs a real reason, not {entry['reason']!r}")
    return bandit, pip_audit, problems


# --- bandit ----------------------------------------------------------------------------------------

def flagged_text(result):
    path = ROOT / result["filename"]
    lines = path.read_text(encoding="utf-8").splitlines()
    numbers = result.get("line_range") or [result["line_number"]]
    return "\n".join(lines[n - 1] for n in range(min(numbers), max(numbers) + 1) if 0 < n <= len(lines))


def run_bandit(waivers):
    proc = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", BANDIT_TARGET, "-x", BANDIT_EXCLUDE, "--ignore-nosec", "-f", "json",
         "-q"], cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return ["bandit did not produce a report:", proc.stderr[-2000:]], []
    problems = [f"bandit could not scan {e['filename']}: {e['reason']}" for e in report.get("errors", [])]
    used = set()
    for result in report["results"]:
        text = flagged_text(result)
        match = next((i for i, w in enumerate(waivers)
                      if w["test"] == result["test_id"] and fnmatch.fnmatch(result["filename"], w["path"])
                      and w.get("match", "") in text), None)
        if match is None:
            problems.append(f"bandit {result['test_id']} ({result['issue_severity']}) {result['filename']}:"
                            f"{result['line_number']}: {result['issue_text']}\n    {text.strip()[:200]}")
        else:
            used.add(match)
    stale = [f"{w['test']} {w['path']}" for i, w in enumerate(waivers) if i not in used]
    print(f"bandit: {len(report['results'])} finding(s), {len(report['results']) - len(problems)} waived with a reason.")
    return problems, stale


# --- pip-audit -------------------------------------------------------------------------------------

def run_pip_audit(waivers):
    attempts = []
    for service in VULN_SERVICES:
        proc = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--skip-editable", "-f", "json",
             "--vulnerability-service", service], cwd=ROOT, capture_output=True, text=True, check=False)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            attempts.append(f"{service}: pip-audit failed (exit {proc.returncode}): {last[:400]}")
            continue
        deps = report.get("dependencies", [])
        skipped = [d for d in deps if d.get("skip_reason")]
        if not deps or skipped:
            example = skipped[0]["skip_reason"] if skipped else "no dependencies reported"
            attempts.append(f"{service}: no vulnerability data for {len(skipped)} of {len(deps)} packages "
                            f"(e.g. {example})")
            continue
        problems, used = [], set()
        for dep in deps:
            for vuln in dep.get("vulns", []):
                ids = {vuln["id"], *vuln.get("aliases", [])}
                match = next((i for i, w in enumerate(waivers)
                              if w["id"] in ids and w["package"].lower() == dep["name"].lower()), None)
                if match is None:
                    fix = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                    problems.append(f"pip-audit {dep['name']} {dep['version']}: {vuln['id']} "
                                    f"({', '.join(vuln.get('aliases', []))}) fixed in: {fix}")
                else:
                    used.add(match)
        stale = [f"{w['id']} {w['package']}" for i, w in enumerate(waivers) if i not in used]
        total = sum(len(d.get("vulns", [])) for d in deps)
        print(f"pip-audit ({service}): {len(deps)} packages audited, {total} known vulnerabilit(ies), "
              f"{total - len(problems)} waived with a reason.")
        return problems, stale, None
    return [], [], ["pip-audit COULD NOT FETCH VULNERABILITY DATA — the dependency audit did not run.",
                    *("  " + a for a in attempts),
                    "  Needs network access to PyPI's per-release JSON API (https://pypi.org/pypi/<name>/<version>/json)",
                    "  or to OSV (https://api.osv.dev). Set AUDIT_REQUIRE_VULN_DATA=1 to make this fatal."]


def main():
    bandit_waivers, pip_waivers, problems = load_waivers()
    if problems:
        return fail(["Malformed waivers:", *problems])
    bandit_problems, bandit_stale = run_bandit(bandit_waivers)
    pip_problems, pip_stale, unavailable = run_pip_audit(pip_waivers)
    if unavailable:
        # A closed network is not a finding, but it is never silent: a loud block in the CI log, and
        # fatal where the operator asks for it (AUDIT_REQUIRE_VULN_DATA=1).
        print("\n".join(["", "!" * 78, *unavailable, "!" * 78, ""]), file=sys.stderr)
        if os.environ.get("AUDIT_REQUIRE_VULN_DATA") == "1":
            pip_problems = unavailable
    for stale in bandit_stale + pip_stale:
        print(f"note: waiver no longer needed (remove it from {WAIVERS.name}): {stale}")
    problems = bandit_problems + pip_problems
    if problems:
        return fail([f"AUDIT FAILED (see {WAIVERS.name} for waivers):", *problems])
    print("audit ok: no unwaived findings." if not unavailable else
          "audit: bandit ok; the dependency audit could NOT run (see the block above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
