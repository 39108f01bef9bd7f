"""The environment `make run` and `make test` set up: every installed package's requirements met, the
model packages kept outside site-packages and their files found."""
from __future__ import annotations

import subprocess
import sys

from workshop.aggregation import embedding


def test_pip_check_finds_no_package_with_unmet_requirements():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_model_files_come_from_their_own_folder_not_site_packages():
    assert embedding.MODELS_DIR.is_dir(), "make deps installs the model packages with --target there"
    assert embedding._default_model_path().is_relative_to(embedding.MODELS_DIR)
    assert embedding._minilm_folder().is_relative_to(embedding.MODELS_DIR)


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """A lock file's entries: normalised package name -> (version, its hashes)."""
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / name).read_text()
    entries = {}
    for entry in re.sub(r"\\\n\s*", " ", text).splitlines():
        entry = entry.split("#", 1)[0].strip()
        if not entry:
            continue
        requirement = entry.split(" --hash", 1)[0].split(";", 1)[0].strip()
        assert "==" in requirement, f"{name}: not an exact version: {entry[:80]}"
        package, version = requirement.split("==", 1)
        entries[re.sub(r"[-_.]+", "-", package).lower()] = (version, re.findall(r"--hash=sha256:([0-9a-f]{64})", entry))
    return entries


def test_every_locked_package_is_an_exact_version_with_the_hashes_of_its_files():
    for name in ("requirements.lock", "requirements-test.lock", "requirements-models.lock"):
        entries = locked(name)
        assert entries, name
        unhashed = [package for package, (_, hashes) in entries.items() if not hashes]
        assert not unhashed, f"{name}: no hash for {unhashed} (make lock writes them)"


def test_the_test_lock_keeps_the_apps_versions_and_the_model_lock_pyprojects():
    import tomllib
    from pathlib import Path
    app, test = locked("requirements.lock"), locked("requirements-test.lock")
    differ = {p: (app[p][0], test[p][0]) for p in app.keys() & test.keys() if app[p][0] != test[p][0]}
    assert not differ, f"requirements-test.lock moved the app's versions: {differ}"
    assert {"pytest", "playwright", "flask", "gevent"} <= test.keys()
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    wanted = {spec.split("==")[0]: spec.split("==")[1] for spec in project["tool"]["storming"]["model-packages"]}
    assert {p: v for p, (v, _) in locked("requirements-models.lock").items()} == wanted
