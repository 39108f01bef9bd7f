"""Compare theme-grouping methods on the labelled fixture (tests/fixtures/labelled_themes.csv).

    .venv/bin/python benchmarks/grouping.py [--markdown]

For each method the average-linkage threshold is chosen on the *tuning* teams only (7 of 13 teams),
then adjusted Rand index (ARI) is reported on the held-out teams, on the tuning teams and on the whole
fixture, with how many of the true top-5 themes (by sticky count) are the majority theme of one of the
proposed top-5 clusters. One-offs labelled "singleton" count as their own true theme each.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.aggregation.themes import DEFAULT_CONFIG, GroupingConfig, propose_themes  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "labelled_themes.csv"
STAGES = ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
GRID = [round(t, 3) for t in np.arange(0.30, 0.991, 0.02)]
TUNING_TEAMS = {"Billing", "Catalogue", "Checkout", "Data Platform", "Identity", "Logistics", "Mobile"}

METHODS: dict[str, GroupingConfig] = {
    "TF-IDF word 1-2 grams": GroupingConfig(use_vocabulary=False, word_weight=1.0, char_weight=0.0, stage_weight=0.0),
    "TF-IDF char 3-5 grams": GroupingConfig(use_vocabulary=False, word_weight=0.0, char_weight=1.0,
                                            char_on_normalised=False, stage_weight=0.0),
    "word + char": GroupingConfig(use_vocabulary=False, word_weight=1.0, char_weight=1.0,
                                  char_on_normalised=False, stage_weight=0.0),
    "vocabulary + word": GroupingConfig(use_vocabulary=True, word_weight=1.0, char_weight=0.0, stage_weight=0.0),
    "vocabulary + word + raw char": GroupingConfig(use_vocabulary=True, word_weight=1.0, char_weight=1.0,
                                                   char_on_normalised=False, stage_weight=0.0),
    "vocabulary + word + raw char/2": GroupingConfig(use_vocabulary=True, word_weight=1.0, char_weight=0.5,
                                                     char_on_normalised=False, stage_weight=0.0),
    "vocabulary + word + normalised char": GroupingConfig(use_vocabulary=True, word_weight=1.0,
                                                          char_weight=1.0, char_on_normalised=True, stage_weight=0.0),
    "vocabulary + word + normalised char/2": GroupingConfig(
        use_vocabulary=True, word_weight=1.0, char_weight=0.5, char_on_normalised=True, stage_weight=0.0),
    "vocabulary + word + normalised char/2 + stage 0.15": GroupingConfig(use_vocabulary=True, word_weight=1.0, char_weight=0.5,
                                          char_on_normalised=True, stage_weight=0.15),
    "vocabulary + word + normalised char/2 + stage 0.3 (chosen)": GroupingConfig(use_vocabulary=True, word_weight=1.0, char_weight=0.5,
                                         char_on_normalised=True, stage_weight=0.3),
}


def load_fixture() -> pd.DataFrame:
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df["stage_index"] = df["stage"].map({s: i for i, s in enumerate(STAGES)}).astype("int64")
    df["truth"] = df["true_theme"].where(df["true_theme"] != "singleton", "one-off:" + df["sticky_id"])
    return df


def score(df: pd.DataFrame, config: GroupingConfig) -> dict:
    """ARI and top-5 hits of one configuration on one frame."""
    proposal = propose_themes(df, config).set_index("sticky_id").loc[df["sticky_id"]]
    ari = adjusted_rand_score(df["truth"].to_numpy(), proposal["cluster"].to_numpy())
    true_sizes = df[~df["truth"].str.startswith("one-off:")]["truth"].value_counts()
    true_top5 = set(true_sizes.sort_values(ascending=False, kind="stable").index[:5])
    joined = pd.DataFrame({"cluster": proposal["cluster"].to_numpy(), "truth": df["truth"].to_numpy()})
    top_clusters = joined["cluster"].value_counts().sort_values(ascending=False, kind="stable").index[:5]
    majority = {joined[joined["cluster"] == c]["truth"].value_counts().index[0] for c in top_clusters}
    return {"ari": ari, "top5": len(true_top5 & majority), "clusters": int(proposal["cluster"].nunique())}


def evaluate() -> list[dict]:
    df = load_fixture()
    tune = df[df["team"].isin(TUNING_TEAMS)].reset_index(drop=True)
    held = df[~df["team"].isin(TUNING_TEAMS)].reset_index(drop=True)
    rows = []
    for name, config in METHODS.items():
        start = time.perf_counter()
        tuned = [(score(tune, replace(config, threshold=t))["ari"], -abs(t - 0.8), t) for t in GRID]
        threshold = max(tuned)[2]
        chosen = replace(config, threshold=threshold)
        full = score(df, chosen)
        best_full = max((score(df, replace(config, threshold=t))["ari"], t) for t in GRID)
        rows.append({
            "method": name, "threshold": threshold,
            "ari_tuning": round(score(tune, chosen)["ari"], 3),
            "ari_held_out": round(score(held, chosen)["ari"], 3),
            "ari_all": round(full["ari"], 3), "top5_all": full["top5"], "clusters_all": full["clusters"],
            "oracle_ari_all": round(best_full[0], 3), "oracle_threshold": best_full[1],
            "seconds": round(time.perf_counter() - start, 2),
        })
    default = score(df, DEFAULT_CONFIG)
    rows.append({"method": f"shipped default (threshold {DEFAULT_CONFIG.threshold})",
                 "threshold": DEFAULT_CONFIG.threshold,
                 "ari_tuning": round(score(tune, DEFAULT_CONFIG)["ari"], 3),
                 "ari_held_out": round(score(held, DEFAULT_CONFIG)["ari"], 3),
                 "ari_all": round(default["ari"], 3), "top5_all": default["top5"],
                 "clusters_all": default["clusters"], "oracle_ari_all": None, "oracle_threshold": None,
                 "seconds": None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    df = load_fixture()
    print(f"fixture: {len(df)} stickies, {df['team'].nunique()} teams, "
          f"{df[df['true_theme'] != 'singleton']['true_theme'].nunique()} themes, "
          f"{(df['true_theme'] == 'singleton').sum()} one-offs; tuning teams: {len(TUNING_TEAMS)}")
    rows = evaluate()
    print("| method | threshold (tuned) | ARI tuning teams | ARI held-out teams | ARI all | "
          "top-5 hits (all) | clusters | best ARI all (oracle threshold) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        oracle = "" if r["oracle_ari_all"] is None else f"{r['oracle_ari_all']} ({r['oracle_threshold']})"
        print(f"| {r['method']} | {r['threshold']} | {r['ari_tuning']} | {r['ari_held_out']} | "
              f"{r['ari_all']} | {r['top5_all']}/5 | {r['clusters_all']} | {oracle} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
