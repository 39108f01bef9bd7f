"""Reconcile a fresh proposal with the decisions people have stored: the machine proposes, the person decides.

Rules, in order (each is why a product owner's edit survives re-aggregation when new workshops arrive):

1. A pinned sticky stays in the theme a person put it in (through merges: a sticky pinned to a theme
   that was later merged into another follows the merge).
2. A new sticky goes to the theme where most of its cluster's earlier stickies are now (pinned ones
   where a person put them, the others by rule 3; ties: more pins, then the smaller theme id). Pinned
   stickies are also constraints of the grouping (``pin_groups``: must-link within a theme, cannot-link
   across), so a theme the owner shaped forms its own cluster and a new sticky close to it joins it,
   while moving one sticky by hand does not pull the stickies it resembles after it.
3. Otherwise the cluster keeps the theme its (unpinned) stickies were in before, the one it overlaps
   most, so the theme's id, title, value, effort and status survive. A theme nobody has decided anything about
   (auto title, no value/effort, status "proposed") is kept by one cluster only, the one that overlaps
   it most, so the machine may still split its own earlier proposal; a theme with a decision is kept
   by every cluster that overlaps it most (a decided theme is never silently split).
4. Otherwise the cluster is a new theme (theme_id <NA>, new_key "new-<n>") titled with its most
   representative sticky text.
5. A theme's automatic title stays while the sticky it was taken from is still in the theme (a late
   import or a move does not rename what the owner has learnt to look for); it follows the theme's
   biggest cluster only once that sticky has left.

Themes merged into another (merged_into_id set) never come back as their own. Pure: no I/O, inputs
are not mutated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ASSIGNMENT_COLUMNS = ["sticky_id", "theme_id", "new_key", "pinned"]
PREVIOUS_COLUMNS = ["sticky_id", "theme_id", "pinned"]
THEME_COLUMNS = ["theme_id", "title", "title_is_custom", "value", "effort", "status", "merged_into_id"]


@dataclass
class Reconciliation:
    #: one row per sticky: theme_id (Int64, <NA> when the sticky goes to a new theme), new_key, pinned.
    assignments: pd.DataFrame
    #: new themes to create: new_key, title.
    new_themes: pd.DataFrame
    #: existing themes with an automatic title whose most representative text changed: theme_id, title.
    retitled: pd.DataFrame


def empty_previous() -> pd.DataFrame:
    return pd.DataFrame({"sticky_id": pd.Series(dtype=object), "theme_id": pd.Series(dtype="Int64"),
                         "pinned": pd.Series(dtype=bool)})


def empty_themes() -> pd.DataFrame:
    return pd.DataFrame({"theme_id": pd.Series(dtype="Int64"), "title": pd.Series(dtype=object),
                         "title_is_custom": pd.Series(dtype=bool), "value": pd.Series(dtype="Int64"),
                         "effort": pd.Series(dtype="Int64"), "status": pd.Series(dtype=object),
                         "merged_into_id": pd.Series(dtype="Int64")})


def resolve_merges(themes: pd.DataFrame) -> dict[int, int]:
    """theme id -> the live theme it ends up in after following merged_into_id (cycle-safe)."""
    parent = {int(t): (None if pd.isna(m) else int(m))
              for t, m in zip(themes["theme_id"], themes["merged_into_id"])}
    final: dict[int, int] = {}
    for start in parent:
        seen, current = [start], start
        while parent.get(current) is not None and parent[current] in parent and parent[current] not in seen:
            current = parent[current]
            seen.append(current)
        final[start] = current
    return final


def decided_themes(themes: pd.DataFrame) -> set[int]:
    mask = (themes["title_is_custom"].fillna(False).astype(bool)
            | themes["value"].notna() | themes["effort"].notna()
            | (themes["status"].fillna("proposed") != "proposed"))
    return set(themes.loc[mask, "theme_id"].astype(int))


def pin_groups(previous: pd.DataFrame | None, themes: pd.DataFrame | None) -> pd.DataFrame:
    """sticky_id, group: the pinned stickies and the live theme a person put each in (through merges).

    Passed to the grouping as constraints: the same group is must-link, different groups cannot-link.
    """
    if previous is None or previous.empty:
        return pd.DataFrame({"sticky_id": pd.Series(dtype=object), "group": pd.Series(dtype="int64")})
    themes = empty_themes() if themes is None else themes
    final = resolve_merges(themes)
    pinned = previous[previous["pinned"].fillna(False).astype(bool) & previous["theme_id"].notna()]
    groups = [final.get(int(t), int(t)) for t in pinned["theme_id"]]
    return pd.DataFrame({"sticky_id": pinned["sticky_id"].astype(str).to_numpy(),
                         "group": pd.Series(groups, dtype="int64").to_numpy()})


def reconcile(proposal: pd.DataFrame, previous: pd.DataFrame | None = None,
              themes: pd.DataFrame | None = None, texts: pd.Series | None = None) -> Reconciliation:
    """Turn a proposal (sticky_id, cluster, title) into assignments that respect stored decisions.

    ``previous``: sticky_id, theme_id, pinned (the stored ThemeAssignment rows of the stickies to
    aggregate). ``themes``: THEME_COLUMNS (all the discovery's themes, merged ones included).
    ``texts``: sticky_id -> text, for rule 5 (without it an auto title always follows its cluster).
    Pinned stickies that are absent from the proposal (e.g. their text is blank) keep their theme.
    """
    previous = empty_previous() if previous is None else previous
    themes = empty_themes() if themes is None else themes
    prev = _stored_assignments(previous, resolve_merges(themes))
    prop = proposal.loc[:, ["sticky_id", "cluster", "title"]].copy()
    prop["sticky_id"] = prop["sticky_id"].astype(str)
    merged = prop.merge(prev, on="sticky_id", how="left")
    merged["pinned"] = merged["pinned"].fillna(False).astype(bool)

    kept = _kept_themes(merged, decided_themes(themes))
    joined = _joined_themes(merged, kept)
    new_clusters = [int(c) for c in np.sort(merged["cluster"].unique()) if int(c) not in joined]
    new_key = {c: f"new-{i + 1}" for i, c in enumerate(new_clusters)}  # rule 4, numbered in cluster order
    titles = prop.drop_duplicates("cluster").set_index("cluster")["title"]

    out = _with_missing_pins(_assign(merged, kept, joined, new_key), prev)
    return Reconciliation(assignments=out, new_themes=_new_themes(out, new_clusters, new_key, titles),
                          retitled=_retitled(themes, out, prop, titles, texts))


def _stored_assignments(previous: pd.DataFrame, final: dict[int, int]) -> pd.DataFrame:
    """The stored assignments as sticky_id (str), theme_id (the live theme, through merges), pinned.

    Rows of themes that are unknown or not live are dropped; of several rows of one sticky the last wins.
    """
    live = {t for t, f in final.items() if t == f}
    prev = previous.loc[:, PREVIOUS_COLUMNS].copy()
    prev["sticky_id"] = prev["sticky_id"].astype(str)
    prev["theme_id"] = prev["theme_id"].map(lambda t: final.get(int(t)) if pd.notna(t) else None)
    prev = prev[prev["theme_id"].isin(live)]
    prev["theme_id"] = prev["theme_id"].astype("int64")
    prev["pinned"] = prev["pinned"].fillna(False).astype(bool)
    return prev.drop_duplicates("sticky_id", keep="last")


def _kept_themes(merged: pd.DataFrame, decided: set[int]) -> dict[int, int]:
    """Rule 3: cluster -> the theme its unpinned stickies were in before, the one it overlaps most.

    Ties go to the smaller theme id. An undecided theme is kept by one cluster only: the clusters
    claim in the order of their overlap (then their size, then their number); a decided theme is
    kept by every cluster whose best overlap it is.
    """
    kept: dict[int, int] = {}
    unpinned_prev = merged[~merged["pinned"] & merged["theme_id"].notna()]
    if unpinned_prev.empty:
        return kept
    overlap = unpinned_prev.groupby(["cluster", "theme_id"]).size().rename("n").reset_index()
    sizes = merged.groupby("cluster").size()
    overlap["size"] = overlap["cluster"].map(sizes)
    best = overlap.sort_values(["cluster", "n", "theme_id"], ascending=[True, False, True]) \
                  .drop_duplicates("cluster")
    claimed: set[int] = set()
    for c, t, _n in best.sort_values(["n", "size", "cluster"], ascending=[False, False, True]) \
                        [["cluster", "theme_id", "n"]].itertuples(index=False):
        t = int(t)
        if t in decided or t not in claimed:
            kept[int(c)] = t
            claimed.add(t)
    return kept


def _joined_themes(merged: pd.DataFrame, kept: dict[int, int]) -> dict[int, int]:
    """Rule 2: cluster -> the theme where most of its earlier stickies are now.

    Pinned stickies count where a person put them, the others where rule 3 keeps them (``kept``); ties
    go to more pins, then the smaller theme id. So a new sticky close to a theme the owner shaped
    joins it, and moving one sticky by hand does not pull the stickies it resembles after it.
    """
    old = merged[merged["theme_id"].notna()].copy()
    old["now"] = [int(t) if p else kept.get(int(c), -1)
                  for t, p, c in zip(old["theme_id"], old["pinned"], old["cluster"])]
    old = old[old["now"] >= 0]
    if old.empty:
        return {}
    votes = old.groupby(["cluster", "now"]).agg(n=("sticky_id", "size"), pins=("pinned", "sum")).reset_index()
    votes = votes.sort_values(["cluster", "n", "pins", "now"], ascending=[True, False, False, True])
    return {int(c): int(t) for c, t in votes.drop_duplicates("cluster")[["cluster", "now"]].itertuples(index=False)}


def _assign(merged: pd.DataFrame, kept: dict[int, int], joined: dict[int, int],
            new_key: dict[int, str]) -> pd.DataFrame:
    """sticky_id, cluster, theme_id, pinned, new_key for each proposed sticky.

    A pinned sticky keeps its theme; one that had a theme follows its cluster's kept theme (rule 3),
    else the theme its cluster joins (rule 2), as a new sticky does; a cluster that joins none has a
    new key (rule 4).
    """
    out = merged.loc[:, ["sticky_id", "cluster", "theme_id", "pinned"]].copy()
    had_theme = out["theme_id"].notna() & ~out["pinned"]
    follow = [kept.get(int(c), joined.get(int(c))) if before else joined.get(int(c))
              for c, before in zip(out["cluster"], had_theme)]
    out["theme_id"] = np.where(out["pinned"], out["theme_id"], pd.Series(follow, index=out.index, dtype=object))
    out["theme_id"] = pd.array([None if pd.isna(t) else int(t) for t in out["theme_id"]], dtype="Int64")
    # Only a cluster that joins no theme has a new key, and each of its stickies is unpinned and themeless.
    out["new_key"] = [new_key.get(int(c)) for c in out["cluster"]]
    return out


def _with_missing_pins(out: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """ASSIGNMENT_COLUMNS by sticky_id: the proposed stickies' and the pinned ones the proposal did not
    cover (they keep their theme)."""
    missing = prev[prev["pinned"] & ~prev["sticky_id"].isin(out["sticky_id"])]
    if not missing.empty:
        extra = pd.DataFrame({"sticky_id": missing["sticky_id"],
                              "theme_id": pd.array(missing["theme_id"].tolist(), dtype="Int64"),
                              "new_key": None, "pinned": True})
        out = pd.concat([out.drop(columns="cluster"), extra], ignore_index=True)
    else:
        out = out.drop(columns="cluster")
    return out.loc[:, ASSIGNMENT_COLUMNS].sort_values("sticky_id", kind="stable").reset_index(drop=True)


def _new_themes(out: pd.DataFrame, new_clusters: list[int], new_key: dict[int, str],
                titles: pd.Series) -> pd.DataFrame:
    """new_key, title of the new themes that some sticky was assigned to, in cluster order."""
    used_keys = set(out["new_key"].dropna())
    return pd.DataFrame({"new_key": [new_key[c] for c in new_clusters if new_key[c] in used_keys],
                         "title": [titles[c] for c in new_clusters if new_key[c] in used_keys]})


def _words(text: object) -> str:
    return " ".join(str(text).replace("…", " ").split()).lower()


def _still_there(title: str, theme_texts: set[str]) -> bool:
    """Whether the sticky a title was taken from is among the theme's texts (a title is its sticky's
    text, maybe shortened with an ellipsis)."""
    words = _words(title)
    return bool(words) and any(text.startswith(words) for text in theme_texts)


def title_names_one_of(title: str, texts) -> bool:
    """Whether `title` was taken from one of `texts` (the rule `_still_there` keeps auto titles by):
    the review moves a title with the sticky it names."""
    return _still_there(title, {_words(t) for t in texts})


def _retitled(themes: pd.DataFrame, out: pd.DataFrame, prop: pd.DataFrame, titles: pd.Series,
              texts: pd.Series | None = None) -> pd.DataFrame:
    """theme_id, title of the auto-titled themes whose title changes.

    An auto title follows the cluster that brings the theme most of its stickies (after assignment;
    ties: the smaller cluster number), so a sticky moved in by hand never lends its old cluster's
    title to the theme it was moved into; with ``texts`` it stays while its sticky is in the theme.
    """
    custom = themes["title_is_custom"].fillna(False).astype(bool)
    auto = pd.Series(themes.loc[~custom, "title"].to_numpy(), index=themes.loc[~custom, "theme_id"].astype(int))
    retitled_rows = []
    landed = out.dropna(subset=["theme_id"]).merge(prop[["sticky_id", "cluster"]], on="sticky_id")
    if texts is not None and not landed.empty:
        words = texts.rename(lambda s: str(s)).map(_words)
        held = landed.assign(words=landed["sticky_id"].map(words)).groupby("theme_id")["words"].agg(set)
        keep = {int(t) for t in held.index if int(t) in auto.index and _still_there(auto[int(t)], held[t])}
        auto = auto.drop(list(keep))
    if not landed.empty:
        biggest = landed.groupby(["theme_id", "cluster"]).size().rename("n").reset_index() \
                        .sort_values(["theme_id", "n", "cluster"], ascending=[True, False, True]) \
                        .drop_duplicates("theme_id")
        for t, c in biggest[["theme_id", "cluster"]].itertuples(index=False):
            t = int(t)
            if t in auto.index and auto[t] != titles[c]:
                retitled_rows.append((t, titles[c]))
    return pd.DataFrame(retitled_rows, columns=["theme_id", "title"])
