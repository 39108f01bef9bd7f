"""The documents that say what the house holds stay true to it."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_links_every_decision_record():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in sorted((ROOT / "docs" / "adr").glob("*.md")) if f"docs/adr/{p.name}" not in readme]
    assert not missing, f"README.md does not link these ADRs: {missing}"
