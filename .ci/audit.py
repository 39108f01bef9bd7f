"""CI step: pip-audit over the installed (resolved) dependencies, failing on known vulnerabilities.

Run by `make audit` (and `.ci/run`). It skips, loudly and with exit code 0, only when the vulnerability
service cannot be reached from this machine; otherwise `--strict` also fails when a package could
not be checked, so an audit that checked nothing never passes silently.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def package_index_url() -> str | None:
    """The package index pip installs from, as pip's own configuration says (`pip config list`:
    an `index-url` from a config file or PIP_INDEX_URL), or None where pip uses its built-in default.
    No address is written in this repository."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            timeout=60).stdout
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        if key.rpartition(".")[2] == "index-url":
            url = value.strip().strip("'\"")
            if url.startswith(("http://", "https://")):
                return url
    return None


def pip_audit_reaches_its_service(timeout: float = 120.0) -> tuple[bool, str]:
    """Where no index is configured, pip-audit's own default service answers for itself: one pinned
    requirement audited through pip-audit's command line (its public interface, no pip internals)."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("pip==24.0\n")
    try:
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "pip-audit"), "--requirement", handle.name,
                                 "--no-deps", "--disable-pip", "--progress-spinner", "off", "--format", "json"],
                                capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"pip-audit could not ask its service ({type(error).__name__})"
    finally:
        Path(handle.name).unlink(missing_ok=True)
    import json
    try:
        audited = json.loads(result.stdout)["dependencies"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return False, f"pip-audit's service did not answer: {result.stderr.strip().splitlines()[-1:]}"
    if "skip_reason" in audited:  # the service answered without vulnerability data: an audit of nothing
        return False, f"pip-audit's service cannot audit here ({audited['skip_reason']})"
    return True, "ok"


def json_api_url(index_url: str, name: str = "pip", version: str = "24.0") -> str:
    """The index's per-release JSON API next to its simple API (`…/simple` -> `…/pypi/<n>/<v>/json`)."""
    base = index_url.rstrip("/")
    if base.endswith("/simple"):
        base = base[: -len("/simple")]
    return f"{base}/pypi/{name}/{version}/json"


def audit_service_reachable(timeout: float = 5.0) -> tuple[bool, str]:
    """pip-audit's default service is the package index's per-release JSON API
    (/pypi/<name>/<version>/json). A mirror that serves only the project JSON answers 404 there, and
    pip-audit then 'skips' every package and reports 'No known vulnerabilities found': an audit that
    checked nothing."""
    index = package_index_url()
    if index is None:
        return pip_audit_reaches_its_service()
    url = json_api_url(index)
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as error:
        return False, f"the package index's JSON API is unreachable ({type(error).__name__})"
    if response.status_code != 200 or "vulnerabilities" not in response.json():
        return False, f"the package index's JSON API answered {response.status_code} (no per-release vulnerability data)"
    return True, "ok"


def run_audit() -> int:
    """The CI step: fail on known vulnerabilities; skip (exit 0, loudly) only when the vulnerability
    service cannot be reached; fail if pip-audit audited nothing although the service answered."""
    reachable, why = audit_service_reachable()
    if not reachable:
        print(f"pip-audit SKIPPED: the vulnerability service is unreachable from here: {why}", file=sys.stderr)
        return 0
    pip_audit = ROOT / ".venv" / "bin" / "pip-audit"
    result = subprocess.run([str(pip_audit), "--skip-editable", "--strict", "--progress-spinner", "off"],
                            capture_output=True, text=True, timeout=600)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(run_audit())
