"""`make test` hands whole modules to its workers longest first (tests/conftest.py's
pytest_collection_modifyitems, times from tests/module_seconds.json): checked on a stand-in item list."""
from __future__ import annotations

import json
from types import SimpleNamespace

from tests import conftest


def items(*nodeids):
    return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]


def test_the_longest_modules_come_first_and_each_keeps_its_own_order(tmp_path, monkeypatch):
    times = tmp_path / "module_seconds.json"
    times.write_text(json.dumps({"tests/test_a.py": 1.0, "tests/browser/test_b.py": 30.0, "tests/test_c.py": 5.0}))
    monkeypatch.setattr(conftest, "MODULE_SECONDS", times)
    collected = items("tests/browser/test_b.py::one", "tests/test_a.py::x", "tests/test_a.py::y",
                      "tests/test_c.py::z2", "tests/test_c.py::z1", "tests/browser/test_b.py::two",
                      "tests/browser/test_new.py::first", "tests/test_new.py::only")
    conftest.pytest_collection_modifyitems(None, collected)
    assert [item.nodeid for item in collected] == [
        "tests/browser/test_b.py::one", "tests/browser/test_b.py::two",
        "tests/test_c.py::z2", "tests/test_c.py::z1",
        # a module the file does not know yet: its tests at a typical time each (4 s in the browser)
        "tests/browser/test_new.py::first",
        "tests/test_a.py::x", "tests/test_a.py::y",
        "tests/test_new.py::only",
    ]


def test_without_the_file_the_order_stays_as_collected(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "MODULE_SECONDS", tmp_path / "missing.json")
    collected = items("tests/test_z.py::a", "tests/browser/test_b.py::b")
    conftest.pytest_collection_modifyitems(None, collected)
    assert [item.nodeid for item in collected] == ["tests/test_z.py::a", "tests/browser/test_b.py::b"]

