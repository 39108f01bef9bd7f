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
