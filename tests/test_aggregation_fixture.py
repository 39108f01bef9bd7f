"""Regression guard: the shipped grouping on every labelled fixture (figures in docs/benchmarks.md).

The figures are what the shipped configuration (chosen on the four domains by benchmarks/grouping.py)
measures today, per fixture. They are far from the goal (ARI >= 0.65 and >= 4 of the true top 5 on
every fixture, issue 13): this test keeps them from getting worse, it does not say they are good.
The embedding model is loaded once per test session (about 1 s); embedding the ~900 texts takes
seconds.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workshop.aggregation.embedding import get_embedder
from workshop.aggregation.themes import DEFAULT_CONFIG

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_grouping", ROOT / "benchmarks" / "grouping.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

#: fixture -> (ARI, true top-5 hits) of the shipped configuration, measured by benchmarks/grouping.py.
REPORTED = {
    "infrastructure_platform": (0.300, 4),
    "data_ml_platform": (0.547, 5),
    "mobile_delivery": (0.564, 4),
    "hospital_patient_journey": (0.318, 4),
    "labelled_themes": (0.342, 3),
}
MARGIN = 0.03
GOAL = (0.65, 4)


# embedding ~900 texts and grouping five discoveries: a busy machine needs more than the default 120 s
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def embed():
    cached = bench.CachedEmbed(get_embedder())
    bench.embed_all(cached, {name: bench.load(name) for name in REPORTED})  # as the benchmark does
    return cached


def test_fixtures_shape():
    for name in bench.DOMAINS:
        df = bench.load(name)
        pains = df[df["kind"] == "pain"]
        assert len(pains) >= 150 and df["team"].nunique() >= 12, name
        assert df["sticky_id"].is_unique
    not_english = [name for name in bench.DOMAINS if (bench.load(name)["lang"] != "en").mean() >= 0.10]
    assert len(not_english) >= 2


@pytest.mark.parametrize("name", list(REPORTED))
def test_shipped_grouping_keeps_its_measured_quality(name, embed):
    df = bench.load(name)
    result = bench.score(df, bench.cluster(df, DEFAULT_CONFIG, embed))
    ari, top5 = REPORTED[name]
    assert result["ari"] >= ari - MARGIN, result
    assert result["top5"] >= top5, result


def test_the_goal_is_not_reached_yet():
    """Honest bookkeeping: when every fixture reaches the goal, this fails and the figures above, the
    docs and the issue must be updated."""
    assert not all(ari >= GOAL[0] and top5 >= GOAL[1] for ari, top5 in REPORTED.values())


def test_the_review_flags_point_at_the_least_pure_themes(embed):
    """"Check these 3" among the ten highest-ranked themes: 7 of the 12 flagged on the four domains
    are among the three least pure of their ten (3.6 by chance). A change that makes the flags no
    better than chance (5 or fewer) fails; so does a flagged set purer than the rest on most fixtures."""
    rows = {name: bench.review_flag_hits(bench.load(name), DEFAULT_CONFIG, embed) for name in bench.DOMAINS}
    assert all(r["flagged"] == 3 for r in rows.values()), rows
    assert sum(r["hits"] for r in rows.values()) >= 6, rows
    assert sum(r["flagged_purity"] < r["other_purity"] for r in rows.values()) >= 3, rows


def test_the_blind_readings_cover_every_sticky_once():
    """The careful reader's groupings (the benchmark's ceiling row) must match the fixtures' stickies:
    an edited fixture without a re-read would otherwise score a reading of other stickies."""
    for name in bench.DOMAINS:
        df = bench.load(name)
        reading = bench.pd.read_csv(bench.READINGS / f"{name}.csv", dtype=str, keep_default_na=False)
        assert reading["sticky_id"].is_unique, name
        assert set(reading["sticky_id"]) == set(df["sticky_id"]), name
        assert (reading["group"].str.strip() != "").all(), name


def test_pair_precision_and_recall_count_pairs():
    df = bench.pd.DataFrame({"truth": ["a", "a", "a", "b", "b", "one-off:x"]})
    assert bench.pair_precision_recall(df, bench.np.array([1, 1, 1, 2, 2, 3])) == (1.0, 1.0)
    # Everything together: 15 pairs, 4 of them true (3 within a, 1 within b).
    assert bench.pair_precision_recall(df, bench.np.zeros(6)) == (4 / 15, 1.0)
    # a split in two, b right: 1 + 1 pairs together, both true; 2 of the 4 true pairs found.
    assert bench.pair_precision_recall(df, bench.np.array([1, 1, 2, 3, 3, 4])) == (1.0, 0.5)
    assert bench.pair_precision_recall(df, bench.np.arange(6)) == (0.0, 0.0)
