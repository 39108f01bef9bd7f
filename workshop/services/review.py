"""The guided review (issue 22): one question at a time about the grouping, every answer kept for good.

The interface an outside evaluation drives (keep it exactly), used by the backlog page too:

* ``pain_stickies(session, discovery_id)`` -> DataFrame ``sticky_id, team, text, theme_id``: every
  pain point of the discovery and its theme now (aggregating first if needed).
* ``next_suggestion(session, discovery_id)`` -> :class:`Suggestion` or None: the question the page
  shows next. ``changes`` maps each pain point a yes moves to the theme it would then be in (an id),
  or to a label (a str) for the one theme the yes creates; a title question moves nothing.
* ``answer(session, discovery_id, suggestion_id, accepted)``: a yes is applied as the owner's
  decision (pinned assignments: they survive re-aggregation, a late import, round 2, a restart and
  "Group afresh"); a no is kept (a cannot-link the next grouping respects). Commits. The ideas of a
  theme the pain points leave that address them rather than those left behind go with them
  (services.theme_ideas; not in ``changes``, which lists pain points only), and undo puts them back.
* ``workshop.services.backlog.regroup`` stays "Group afresh".

Also for the page: ``undo_last`` (the last answer taken back, its yes undone), ``progress`` ("top 10
themes reviewed, 14 answers"), ``retitle`` (a title question answered with a new title).

The questions themselves are chosen in workshop.aggregation.review (plain Python); this module loads
the pain points, their similarity (the grouping's own features, embeddings from the database cache)
and the answers, and writes the answers. ADR 0018 explains the design.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from workshop.aggregation import review as questions
from workshop.aggregation.backlog import build_backlog
from workshop.aggregation.reconcile import title_names_one_of
from workshop.aggregation.rounds import compare_rounds
from workshop.aggregation.themes import DEFAULT_CONFIG, shorten_title, title_flaws, vectorise
from workshop.db.models import ReviewAnswer, Sticky, Theme, ThemeAssignment
from workshop.domain.errors import Conflict, NotFound, ValidationError
from workshop.domain.validation import THEME_TITLE_MAX, theme_title

from . import backlog as backlog_service
from . import theme_ideas

#: Top themes whose titles the review asks to confirm, and the top the progress line counts.
TITLE_TOP = 5
PROGRESS_TOP = 10
#: A title question is worth this many pairs: it comes once the grouping questions about the top are
#: worth less (the grouping first: a title over the wrong stickies names the wrong problem).
TITLE_WORTH = 1.0
SAMPLE = 6  # how many of a theme's other stickies the page shows beside the ones in question
_ID = re.compile(r"^(merge|move|split|round|title)-[0-9a-f]{16}$")


@dataclass(frozen=True)
class Suggestion:
    """A question of the review. ``id``, ``kind``, ``question`` and ``changes`` are the interface;
    the rest is what the page shows beside it."""

    id: str
    kind: str
    question: str
    changes: dict[str, int | str]
    theme_id: int | None = None          # the theme asked about (where the stickies are now)
    target_id: int | None = None         # the theme they would join (None: a new one, or a title)
    title: str = ""                      # a title question's title
    stickies: tuple = ()                 # the stickies in question: (sticky_id, team, text)
    sample: tuple = ()                   # some of the other theme's stickies: (sticky_id, team, text)
    sample_title: str = ""               # which theme ``sample`` is from
    sample_count: int = 0                # how many stickies that theme has
    source_titles: tuple = ()            # the titles of the themes the stickies are in now
    rest: tuple = ()                     # a move into another theme: some of what stays behind in theirs
    rest_count: int = 0                  # how many stickies stay behind
    keeps_round: bool = False            # the latest round's only pain in its theme (a yes makes it gone)


@dataclass
class _State:
    stickies: pd.DataFrame               # the discovery's pain points: sticky_id, team, text, theme_id
    titles: dict[int, str]
    custom: set[int]
    ranks: dict[int, int]
    answers: list[ReviewAnswer]
    candidates: list = field(default_factory=list)
    rounds: dict[int, int] = field(default_factory=dict)  # workshop -> round, when there are several
    changes: dict[int, str] = field(default_factory=dict)  # theme -> its change between the last rounds


def pain_stickies(session: Session, discovery_id: int) -> pd.DataFrame:
    """Every pain point of the discovery (live, not private) and its theme now: sticky_id, team,
    text, theme_id (Int64; <NA> for a blank sticky, which no theme holds)."""
    _, stickies, _, _ = backlog_service.aggregate_discovery(session, discovery_id)
    pains = stickies[stickies["kind"] == "pain"]
    return pd.DataFrame({"sticky_id": pains["sticky_id"].astype(str).to_numpy(),
                         "team": pains["team"].astype(str).to_numpy(),
                         "text": pains["text"].astype(str).to_numpy(),
                         "theme_id": pd.array(pains["theme_id"].to_numpy(), dtype="Int64")})


def _answers(session: Session, discovery_id: int) -> list[ReviewAnswer]:
    return list(session.exec(select(ReviewAnswer).where(ReviewAnswer.discovery_id == discovery_id)
                             .order_by(ReviewAnswer.id)).all())


def _ranked(session: Session, discovery_id: int, aggregated=None
            ) -> tuple[pd.DataFrame, list[Theme], dict[int, int], dict[int, str]]:
    """The themed stickies, the themes, each theme's rank in the backlog (the backlog's own order,
    without what only the page needs: cohesion, heatmap, workshops) and, where the discovery has had
    several rounds, each theme's change between the last two in the backlog's words ("gone", "gone so
    far", "not run yet", "new", ...). ``aggregated``: aggregate_discovery's result, if read already."""
    discovery, stickies, workshops, themes = aggregated or backlog_service.aggregate_discovery(session, discovery_id)
    teams = {w.team for w in workshops}
    ranked = build_backlog(stickies, backlog_service._themes_frame(themes), total_teams=len(teams),
                           stages=list(discovery.stages or []))
    ranks = {int(t): int(r) for t, r in zip(ranked["theme_id"], ranked["rank"])}
    workshop_round = {int(w.id): int(w.round or 1) for w in workshops}
    changes: dict[int, str] = {}
    if len(set(workshop_round.values())) > 1:
        table = compare_rounds(stickies, ranked, workshop_round)
        changes = {int(t): str(c) for t, c in zip(table["theme_id"], table["change"])}
    return stickies, themes, ranks, changes


#: The review's state of the last few discoveries asked about, each with what it was computed from
#: (_stamp): the page's answer finds its question in the state the page was shown from, and the next
#: page starts from the state the answer left, instead of ranking and scoring every question again
#: (0.4-1.1 s of a 1-2 s answer on the demo). Per process; a stamp that differs computes afresh.
_STATES: OrderedDict[tuple, tuple[tuple, _State]] = OrderedDict()
_STATES_KEPT = 8
_STATES_LOCK = threading.Lock()


def _stamp(discovery, workshops, answers: list[ReviewAnswer]) -> tuple:
    """Everything a _State is computed from beyond the aggregation's fingerprint (stickies, themes and
    their decisions, assignments, the grouping's configuration and model): the answers, the
    workshops (teams and rounds rank and compare the themes) and the journey's stages."""
    return (discovery.aggregation_fingerprint, tuple(discovery.stages or []),
            tuple(sorted((int(w.id), str(w.team), int(w.round or 1)) for w in workshops)),
            tuple((a.id, a.kind, a.key, bool(a.accepted), tuple(a.moving or []), tuple(a.others or []),
                   tuple(a.parted or []), tuple(a.themes or [])) for a in answers))


def _state(session: Session, discovery_id: int) -> _State:
    aggregated = backlog_service.aggregate_discovery(session, discovery_id)
    answers = _answers(session, discovery_id)
    key = (str(session.get_bind().url), discovery_id)
    stamp = _stamp(aggregated[0], aggregated[2], answers)
    with _STATES_LOCK:
        kept = _STATES.get(key)
    if kept is not None and kept[0] == stamp:
        return replace(kept[1], answers=answers)  # the same answers, as this session's rows
    state = _computed_state(session, discovery_id, aggregated, answers)
    with _STATES_LOCK:
        _STATES[key] = (stamp, state)
        _STATES.move_to_end(key)
        while len(_STATES) > _STATES_KEPT:
            _STATES.popitem(last=False)
    return state


def _computed_state(session: Session, discovery_id: int, aggregated, answers: list[ReviewAnswer]) -> _State:
    stickies, themes, ranks, changes = _ranked(session, discovery_id, aggregated)
    pains = stickies[(stickies["kind"] == "pain") & stickies["theme_id"].notna()]
    frame = pd.DataFrame({"sticky_id": pains["sticky_id"].astype(str).to_numpy(),
                          "team": pains["team"].astype(str).to_numpy(),
                          "text": pains["text"].astype(str).to_numpy(),
                          "theme_id": pains["theme_id"].astype("int64").to_numpy(),
                          "workshop_id": pains["workshop_id"].astype("int64").to_numpy()})
    titles = {t.id: t.title for t in themes}
    custom = {t.id for t in themes if t.title_is_custom}
    state = _State(frame, titles, custom, ranks, answers, changes=changes)
    rounds = {int(w.id): int(w.round or 1) for w in aggregated[2]}
    if len(set(rounds.values())) > 1:  # the page says which round a sticky is from
        state.rounds = rounds
    state.candidates = _candidates(session, discovery_id, state)
    return state


def _similarity(session: Session, texts: list[str]) -> np.ndarray:
    config = DEFAULT_CONFIG
    embed = backlog_service.cached_embed(session, store=False) if config.embedding_weight > 0 else None
    return vectorise(texts, None, config, embed).gram()


def _rounds(rounds: dict[int, int], frame: pd.DataFrame) -> tuple[set[int], set[int], np.ndarray | None]:
    """Themes whose pain is all from the latest round (new), themes with none from it (gone), and
    per pain point whether it is from the latest round, when the discovery has more than one round
    (``rounds``: workshop -> round, the state's; empty with one round)."""
    if not rounds or frame.empty:
        return set(), set(), None
    latest = max(rounds.values())
    in_latest = frame["workshop_id"].map(lambda w: rounds.get(int(w), 1) == latest)
    share = in_latest.groupby(frame["theme_id"]).mean()
    return (set(share.index[share == 1.0].astype(int)), set(share.index[share == 0.0].astype(int)),
            in_latest.to_numpy(dtype=bool))


def _knowledge(answers: list[ReviewAnswer]) -> list[questions.Answer]:
    return [questions.Answer(a.kind, [str(s) for s in a.moving or []], [str(s) for s in a.others or []],
                             bool(a.accepted), a.key, [str(s) for s in a.parted or []],
                             kept=(a.before or {}).get("part_of") is not None) for a in answers]


def _candidates(session: Session, discovery_id: int, state: _State) -> list:
    frame = state.stickies
    asked = {a.key for a in state.answers}
    # and the same for answers kept before a cut in two had one key whichever half was named
    asked |= {questions.question_key(a.kind, questions.parting(a.moving or [], a.parted or [], None), None)
              for a in state.answers if questions.within_own_theme(a.others, a.parted)}
    out: list = []
    if len(frame) >= 2:
        ids = list(frame["sticky_id"])
        theme_of = frame["theme_id"].to_numpy()
        index = {s: i for i, s in enumerate(ids)}
        similarity = _similarity(session, list(frame["text"]))
        p = questions.pair_probability(similarity, theme_of[:, None] == theme_of[None, :])
        knowledge = _knowledge(state.answers)
        p = questions.apply_answers(p, index, knowledge)
        new, gone, latest = _rounds(state.rounds, frame)  # read with the workshops, not again
        out = questions.candidates(ids, theme_of, p, state.ranks, asked, new, gone, knowledge, latest)
    # the top themes' titles: once the grouping questions about the top are worth less
    for theme_id, rank in sorted(state.ranks.items(), key=lambda item: item[1]):
        if rank > TITLE_TOP:
            break
        if theme_id in state.custom or theme_id not in state.titles:
            continue
        key = questions.question_key("title", [str(theme_id)], state.titles[theme_id])
        if key not in asked:
            out.append(questions.Candidate("title", [], [theme_id], theme_id, [], [],
                                           TITLE_WORTH * (TITLE_TOP + 1 - rank) / TITLE_TOP, key))
    out.sort(key=lambda c: (-c.score, c.kind, c.key))
    return _titles_after_structure(out)


def _titles_after_structure(out: list) -> list:
    """A theme's title question comes after the first question about its stickies, if the pool has one:
    on a small discovery a new owner was asked four titles first, one of them for a theme holding two
    problems, before any question that could say so."""
    first_about: dict[int, int] = {}
    for i, c in enumerate(out):
        if c.kind != "title":
            for t in c.source:
                first_about.setdefault(int(t), i)
            if c.target is not None:
                first_about.setdefault(int(c.target), i)
    after: dict[int, list] = {}
    kept = []
    for i, c in enumerate(out):
        at = first_about.get(int(c.target), -1) if c.kind == "title" else -1
        if at > i:
            after.setdefault(at, []).append(c)
        else:
            kept.append((i, c))
    if not after:
        return out
    ordered = []
    for i, c in kept:
        ordered.append(c)
        ordered.extend(after.get(i, []))
    return ordered


def _suggestion_id(candidate) -> str:
    return f"{candidate.kind}-{candidate.key}"


def _new_label(state: _State, candidate) -> str:
    texts = state.stickies.set_index("sticky_id")["text"]
    return f"New theme: {shorten_title(texts.get(candidate.moving[0], 'split off'), 60)}"


def _quote(title: str) -> str:
    return f"“{shorten_title(title, 70)}”"


def _suggestion(state: _State, candidate) -> Suggestion:
    frame = state.stickies.set_index("sticky_id")

    def team(s):
        name = str(frame.at[s, "team"])
        if state.rounds:
            return f"{name} · round {state.rounds.get(int(frame.at[s, 'workshop_id']), 1)}"
        return name

    def rows(ids):
        return tuple((s, team(s), str(frame.at[s, "text"])) for s in ids if s in frame.index)

    def title(theme_id):
        return state.titles.get(int(theme_id), f"theme {theme_id}")

    kind = candidate.kind
    if kind == "title":
        theme_id = int(candidate.target)
        members = list(frame.index[frame["theme_id"] == theme_id])
        return Suggestion(_suggestion_id(candidate), kind, f"Does {_quote(title(theme_id))} name this problem?",
                          {}, theme_id=theme_id, title=title(theme_id), sample=rows(members[:SAMPLE * 2]),
                          sample_title=title(theme_id), sample_count=len(members))
    n = len(candidate.moving)
    source = candidate.source[0] if candidate.source else None
    sources = tuple(title(t) for t in candidate.source)
    target = candidate.target
    if target is None:
        label = _new_label(state, candidate)
        changes: dict[str, int | str] = {s: label for s in candidate.moving}
    else:
        changes = {s: int(target) for s in candidate.moving}
    these = "This sticky is" if n == 1 else f"These {n} stickies are"
    them, its = ("it", "its") if n == 1 else ("them", "their")
    if kind in ("merge", "round"):
        if kind == "round":
            # the backlog's word for the old theme: "gone" only where the backlog says so too (a new
            # owner read "(gone)" where the backlog said "not run yet")
            question = (f"Is this new round-2 pain, {_quote(title(source))}, the same problem as "
                        f"{_quote(title(target))} ({state.changes.get(int(target), 'gone')})?")
        else:
            question = f"Same problem? {_quote(title(source))} and {_quote(title(target))}"
    elif candidate.keeps_round:
        # "the only round-2 pain", not "all that keeps it from being gone": where the theme's teams have
        # not run round 2, the backlog then says "not run yet" (a new owner read the promise of a gone)
        these_new = "This round-2 sticky is" if n == 1 else f"These {n} round-2 stickies are"
        question = (f"{these_new} the only round-2 pain in {_quote(title(source))}. "
                    f"A different problem from the rest of it: put {them} into a theme of {its} own?")
    elif kind == "split":
        question = (f"Two problems here? {these} a different problem from the rest of {_quote(title(source))}: "
                    f"split {them} off into a theme of {its} own?")
    elif target is None:
        question = (f"{these} a different problem from the rest of {_quote(title(source))}: "
                    f"put {them} into a theme of {its} own?")
    elif len(candidate.source) > 1:
        question = f"{these} the same problem as {_quote(title(target))}: put {them} in it?"
    else:
        question = (f"{these} a different problem from the rest of {_quote(title(source))}: "
                    f"put {them} in {_quote(title(target))}?")
    compare = candidate.others
    # "a different problem from the rest of X: put them in Y?" is judged against X's rest too (a new
    # owner saw only the stickies and Y's)
    rest = list(candidate.parted) if kind == "move" and target is not None else []
    return Suggestion(_suggestion_id(candidate), "move" if kind == "move" else kind, question, changes,
                      theme_id=source, target_id=None if target is None else int(target),
                      stickies=rows(candidate.moving), sample=rows(compare[:SAMPLE]),
                      sample_title=title(target) if target is not None else (sources[0] if sources else ""),
                      sample_count=len(compare), source_titles=sources, rest=rows(rest[:SAMPLE // 2 or 1]),
                      rest_count=len(rest), keeps_round=candidate.keeps_round)


def next_suggestion(session: Session, discovery_id: int) -> Suggestion | None:
    """The question the page shows next, or None when there is nothing left worth asking."""
    state = _state(session, discovery_id)
    return _suggestion(state, state.candidates[0]) if state.candidates else None


def suggestions(session: Session, discovery_id: int, limit: int = 10) -> list[Suggestion]:
    """The next ``limit`` questions in order (what the review would ask if each were skipped)."""
    state = _state(session, discovery_id)
    return [_suggestion(state, c) for c in state.candidates[:limit]]


def _find(session: Session, discovery_id: int, suggestion_id: str):
    if not isinstance(suggestion_id, str) or not _ID.match(suggestion_id):
        raise NotFound("unknown_suggestion", f"No question {str(suggestion_id)[:60]!r}: ask for the next one.")
    state = _state(session, discovery_id)
    kind, key = suggestion_id.split("-", 1)
    for candidate in state.candidates:
        if candidate.key == key and candidate.kind == kind:
            return state, candidate
    if any(a.key == key for a in state.answers):
        raise Conflict("already_answered", "This question was answered already; nothing changed. "
                                           "Here is the next one.")
    raise Conflict("stale_suggestion", "The themes changed since this question was asked (another answer, "
                                       "a move or an import); nothing changed. Here is the next one.")


def _assignment_rows(session: Session, sticky_ids) -> dict[str, ThemeAssignment]:
    rows: dict[str, ThemeAssignment] = {}
    ids = list(dict.fromkeys(str(s) for s in sticky_ids))
    for part in backlog_service._chunks(ids):
        for row in session.exec(select(ThemeAssignment).where(ThemeAssignment.sticky_id.in_(part))).all():
            rows[row.sticky_id] = row
    return rows


def _theme_members(session: Session, theme_ids) -> list[ThemeAssignment]:
    return backlog_service._assignments(session, sorted({int(t) for t in theme_ids}))


def _apply_yes(session: Session, discovery_id: int, state: _State, candidate) -> dict:
    """Write a yes as the owner's decision (uncommitted); return what undoes it."""
    involved = set(candidate.source) | ({int(candidate.target)} if candidate.target is not None else set())
    rows = {a.sticky_id: a for a in _theme_members(session, involved)}
    before = {"assign": {s: [a.theme_id, bool(a.pinned)] for s, a in rows.items()},
              "titles": {str(t): state.titles.get(t, "") for t in involved}, "created": None, "merged": None}
    if candidate.target is None:
        first = state.stickies.set_index("sticky_id")["text"].get(candidate.moving[0], "Split theme")
        new = Theme(discovery_id=discovery_id, title=shorten_title(first, THEME_TITLE_MAX))
        session.add(new)
        session.flush()
        target = new.id
        before["created"] = new.id
    else:
        target = int(candidate.target)
    moving = set(candidate.moving)
    if candidate.kind in ("merge", "round"):  # every sticky of the theme goes, opportunities too
        source = candidate.source[0]
        moving |= {s for s, a in rows.items() if a.theme_id == source}
        theme = session.get(Theme, source)
        if theme is not None:
            theme.merged_into_id = target
            session.add(theme)
            before["merged"] = source
    else:  # and the ideas that address the pain points moved rather than those left behind
        followers = theme_ideas.ideas_following(session, discovery_id, candidate.moving, candidate.target)
        moving |= set(followers)
        before["ideas_along"] = len(followers)
    ideas = theme_ideas.opportunities_among(session, rows)
    for sticky_id, row in rows.items():  # the owner looked at the pain points: every one is pinned
        if sticky_id in moving:
            row.theme_id = target
        if sticky_id not in ideas:  # an idea keeps its own pin: only a person's placing of it pins it
            row.pinned = True
        session.add(row)
    if candidate.kind not in ("merge", "round") and candidate.source:
        before["retitled"] = _title_follows_its_sticky(session, state, int(candidate.source[0]),
                                                       set(candidate.moving), before["created"])
    return before


def _title_follows_its_sticky(session: Session, state: _State, source_id: int, moving: set[str],
                              created: int | None) -> dict[str, list]:
    """A theme's title is the text of one of its stickies (confirmed in the review or not): when a yes
    moves that sticky out and leaves others behind, the title goes with it into a theme the yes
    creates, and the theme left behind is named after a sticky it still holds (an automatic title the
    next grouping may improve). A new owner confirmed a title, then split its sticky off: two themes
    carried that title, and the one left with an unrelated round-2 sticky was reported as new pain.
    Returns theme id -> [title, custom] as they were (for the undo); nothing when the title stays."""
    source = session.get(Theme, source_id)
    if source is None:
        return {}
    frame = state.stickies
    texts = dict(zip(frame["sticky_id"], frame["text"]))
    held = frame.loc[frame["theme_id"] == source_id, "sticky_id"].tolist()
    staying = [s for s in held if s not in moving]
    if not staying or not title_names_one_of(source.title, [texts.get(s, "") for s in moving]):
        return {}
    restore = {str(source.id): [source.title, bool(source.title_is_custom)]}
    if created is not None:
        new = session.get(Theme, created)
        restore[str(new.id)] = [new.title, bool(new.title_is_custom)]
        new.title, new.title_is_custom = source.title, bool(source.title_is_custom)
        session.add(new)
    source.title = shorten_title(str(texts[_most_central(session, staying, texts)]), THEME_TITLE_MAX)
    source.title_is_custom = False
    session.add(source)
    return restore


def _most_central(session: Session, stickies: list[str], texts: dict) -> str:
    """The sticky most like the others (its mean similarity to them), fewest title flaws first among
    equals: a theme left behind was named after the one stranger among its access pains ("App store
    review adds 2-5 days"), its first sticky in the page's order."""
    if len(stickies) < 3:
        return stickies[0]
    sim = _similarity(session, [str(texts.get(s, "")) for s in stickies])
    centrality = (sim.sum(axis=1) - np.diag(sim)) / (len(stickies) - 1)
    best = max(range(len(stickies)), key=lambda i: (round(float(centrality[i]), 3),
                                                    -title_flaws(str(texts.get(stickies[i], ""))), -i))
    return stickies[best]


def _asked_text(state: _State, candidate) -> str:
    """The question as the owner read it (kept with the answer: the undo button names it)."""
    try:
        return _suggestion(state, candidate).question[:300]
    except (KeyError, ValueError, IndexError):
        return ""


def _pin_as_one(session: Session, candidate) -> dict:
    """A no to "two problems here?" or "... into a theme of their own?": the owner read the theme and
    said it is one problem. Its stickies are pinned where they are (uncommitted), so "Group afresh"
    keeps the theme whole, as it keeps a yes (a new owner saw "Group afresh" break up a theme they had
    twice said was one); returns what undoes it."""
    rows = _assignment_rows(session, [*candidate.moving, *candidate.others])
    before = {"assign": {s: [a.theme_id, bool(a.pinned)] for s, a in rows.items()}, "titles": {},
              "created": None, "merged": None}
    for row in rows.values():
        row.pinned = True
        session.add(row)
    return before


def answer(session: Session, discovery_id: int, suggestion_id: str, accepted: bool) -> None:
    """Keep the owner's answer to a question; a yes is applied as their decision. Commits.

    Errors (nothing is written): ``unknown_suggestion`` (404: not an id the review gives),
    ``already_answered`` and ``stale_suggestion`` (409: the themes changed since it was asked).
    """
    if isinstance(accepted, (bool, np.bool_)) or (isinstance(accepted, (int, np.integer)) and accepted in (0, 1)):
        accepted = bool(accepted)
    else:
        raise ValidationError("invalid_answer", "An answer is yes (true) or no (false).")
    state, candidate = _find(session, discovery_id, suggestion_id)
    _keep(session, discovery_id, state, candidate, accepted)


def answer_some(session: Session, discovery_id: int, suggestion_id: str, sticky_ids) -> None:
    """A yes for some of the stickies in question ("yes, but not this one"), the page's ticks: the
    ticked ones move as a yes moves them (a merge's ticked stickies join the other theme, the rest of
    their theme stays where it is); the unticked ones are kept as the owner's no for them: not into
    that theme (a cannot-link), or, for "a theme of their own?", one problem with the rest. Both are
    one answer: asked once, taken back together by ``undo_last``. Commits.

    Errors (nothing is written): those of ``answer``; ``invalid_selection`` (422) when a sticky is not
    one of the question's or none is ticked (that is a no), or the question moves no stickies."""
    state, candidate = _find(session, discovery_id, suggestion_id)
    if candidate.kind == "title":
        raise ValidationError("invalid_selection", "A title question has no stickies to choose from.")
    proposed = list(candidate.moving)  # a merge's: every pain point of the theme
    chosen = list(dict.fromkeys(str(s) for s in (sticky_ids or [])))
    strangers = [s for s in chosen if s not in set(proposed)]
    if strangers:
        raise ValidationError("invalid_selection", "Only the stickies in question can be ticked; "
                                                   f"{len(strangers)} of those sent are not among them.")
    if not chosen:
        raise ValidationError("invalid_selection", "Tick at least one sticky for a yes, or answer No.")
    if set(chosen) == set(proposed):
        return answer(session, discovery_id, suggestion_id, True)
    declined = [s for s in proposed if s not in set(chosen)]
    if candidate.target is None:  # a theme of their own: compared with the rest of their theme
        rest = [s for s in candidate.parted if s not in set(chosen)]
        part = questions.Candidate(candidate.kind, chosen, list(candidate.source), None, [*rest, *declined],
                                   [*rest, *declined], candidate.score, candidate.key)
        # no for the unticked: one problem with the rest of their theme
        left = questions.Candidate("move", declined, list(candidate.source), None, rest, rest, candidate.score,
                                   questions.question_key("part", declined, None))
    else:  # into the other theme (a merge's ticked stickies too): the unticked stay, and not into it
        part = questions.Candidate("move", chosen, list(candidate.source), candidate.target, list(candidate.others),
                                   [*candidate.parted, *declined], candidate.score, candidate.key)
        left = questions.Candidate("move", declined, list(candidate.source), candidate.target,
                                   list(candidate.others), list(candidate.parted), candidate.score,
                                   questions.question_key("part", declined, candidate.target))
    try:
        row = _keep(session, discovery_id, state, part, True, commit=False)
        session.flush()
        _keep(session, discovery_id, state, left, False, commit=False, part_of=row.id)
        session.commit()
    except Exception:
        session.rollback()
        raise


def _keep(session: Session, discovery_id: int, state: _State, candidate, accepted: bool,
          title: str | None = None, commit: bool = True, part_of: int | None = None) -> ReviewAnswer:
    try:
        before: dict = {}
        if candidate.kind == "title":
            theme = session.get(Theme, int(candidate.target))
            before = {"title": theme.title, "custom": bool(theme.title_is_custom)}
            if title is not None:
                theme.title, theme.title_is_custom = theme_title(title), True
            elif accepted:
                theme.title_is_custom = True  # confirmed: kept from now on
            session.add(theme)
        elif accepted:
            before = _apply_yes(session, discovery_id, state, candidate)
        elif questions.within_own_theme(candidate.others, candidate.parted):
            before = _pin_as_one(session, candidate)
        before = {**before, "asked": _asked_text(state, candidate)}
        if title is not None:
            before["said"] = "A new title"
        if part_of is not None:
            before["part_of"] = part_of
        # the themes the answer was about, for "reviewed": where the stickies asked about are, and where
        # a yes put them (a no to "put them in 'Y'?" says nothing of Y's own stickies)
        themes = {int(t) for t in candidate.source}
        if candidate.target is not None and (accepted or candidate.kind == "title"):
            themes.add(int(candidate.target))
        row = ReviewAnswer(discovery_id=discovery_id, key=candidate.key, kind=candidate.kind,
                           accepted=bool(accepted or title is not None), moving=list(candidate.moving),
                           others=list(candidate.others), parted=list(candidate.parted),
                           themes=sorted(themes), before=before)
        session.add(row)
        if commit:
            session.commit()
        return row
    except Exception:
        session.rollback()
        raise


def retitle(session: Session, discovery_id: int, suggestion_id: str, title: str) -> None:
    """A title question answered with a better title: the theme takes it (kept from then on)."""
    state, candidate = _find(session, discovery_id, suggestion_id)
    if candidate.kind != "title":
        raise ValidationError("not_a_title_question", "Only a title question takes a new title.")
    theme_title(title)  # refuses an empty or too long title before anything is written
    _keep(session, discovery_id, state, candidate, True, title=title)


def undo_last(session: Session, discovery_id: int) -> ReviewAnswer | None:
    """Take the last answer back: a yes's changes are undone (stickies back where they were, a merged
    theme back on its own, a created theme gone when empty, a title as it was), and the question can
    be asked again. None when there is nothing to undo."""
    backlog_service._discovery(session, discovery_id)
    last = session.exec(select(ReviewAnswer).where(ReviewAnswer.discovery_id == discovery_id)
                        .order_by(ReviewAnswer.id.desc())).first()
    if last is None:
        return None
    try:
        before = last.before or {}
        if last.kind == "title" and "title" in before:
            theme = session.get(Theme, int(last.themes[0])) if last.themes else None
            if theme is not None:
                theme.title, theme.title_is_custom = before.get("title", theme.title), bool(before.get("custom"))
                session.add(theme)
        elif before.get("assign"):  # a yes, or a no that pinned a theme as one
            _undo_yes(session, discovery_id, before)
        part_of = before.get("part_of")  # a yes for some of the stickies: its yes goes back with it
        whole = session.get(ReviewAnswer, int(part_of)) if part_of is not None else None
        if whole is not None and whole.discovery_id == discovery_id:
            if (whole.before or {}).get("assign"):
                _undo_yes(session, discovery_id, whole.before)
            session.delete(whole)
        session.delete(last)
        session.commit()
        return last
    except Exception:
        session.rollback()
        raise


def _undo_yes(session: Session, discovery_id: int, before: dict) -> None:
    merged = before.get("merged")
    if merged is not None:
        theme = session.get(Theme, int(merged))
        if theme is not None:
            theme.merged_into_id = None
            session.add(theme)
    titles = before.get("titles") or {}
    recreated: dict[int, int] = {}
    for sticky_id, (theme_id, pinned) in (before.get("assign") or {}).items():
        theme_id = int(theme_id)
        if session.get(Theme, theme_id) is None:  # emptied meanwhile and removed: back under its title
            if theme_id not in recreated:
                theme = Theme(discovery_id=discovery_id, title=titles.get(str(theme_id)) or "Theme")
                session.add(theme)
                session.flush()
                recreated[theme_id] = theme.id
            theme_id = recreated[theme_id]
        row = session.get(ThemeAssignment, sticky_id)
        if row is None:
            if session.get(Sticky, sticky_id) is None:
                continue
            row = ThemeAssignment(sticky_id=sticky_id, theme_id=theme_id, pinned=bool(pinned))
        row.theme_id, row.pinned = theme_id, bool(pinned)
        session.add(row)
    for theme_id, (title, custom) in (before.get("retitled") or {}).items():
        theme = session.get(Theme, int(recreated.get(int(theme_id), int(theme_id))))
        if theme is not None:
            theme.title, theme.title_is_custom = title, bool(custom)
            session.add(theme)
    created = before.get("created")
    if created is not None:
        session.flush()
        if session.exec(select(ThemeAssignment).where(ThemeAssignment.theme_id == int(created))).first() is None:
            theme = session.get(Theme, int(created))
            if theme is not None:
                session.delete(theme)


@dataclass(frozen=True)
class Progress:
    answers: int
    reviewed: int          # of the top themes, how many an answer was about
    top: int               # how many top themes there are (at most PROGRESS_TOP)
    can_undo: bool
    last: str = ""         # what U takes back: "No to “…”"
    in_all: int = 0        # themes an answer was about, in or out of the top

    @property
    def text(self) -> str:
        answers = f"{self.answers} answer{'s' if self.answers != 1 else ''}"
        if not self.top:
            return answers
        # the themes reviewed in all, beside the top: a yes can lift an unreviewed theme into the top,
        # and "7 of the top 10" became "6 of the top 10", which read as lost work to a new owner
        beyond = f" ({self.in_all} in all)" if self.in_all > self.reviewed else ""
        if self.reviewed >= self.top:
            return f"top {self.top} themes reviewed{beyond}, {answers}"
        return f"{self.reviewed} of the top {self.top} themes reviewed{beyond}, {answers}"


def progress(session: Session, discovery_id: int, ranks: dict[int, int] | None = None) -> Progress:
    """What is settled: how many of the backlog's top themes an answer was about (through merges),
    and how many answers there are."""
    if ranks is None:
        ranks = _state(session, discovery_id).ranks
    answers = _answers(session, discovery_id)
    touched = _reviewed(session, discovery_id, answers)
    top = {t for t, r in ranks.items() if r <= PROGRESS_TOP}
    given = [a for a in answers if (a.before or {}).get("part_of") is None]  # a yes for some: one answer
    return Progress(len(given), len(top & touched), len(top), bool(answers), _last_answer(answers), len(touched))


def ideas_along(session: Session, discovery_id: int) -> int:
    """How many ideas (opportunities) went with the pain points the last answer moved (0 after a no,
    a merge, whose ideas all go, or a title): the page says so, since they are not in the question."""
    answers = _answers(session, discovery_id)
    if not answers:
        return 0
    last = answers[-1]
    part_of = (last.before or {}).get("part_of")  # a yes for some: its yes is the answer before the no
    if part_of is not None:
        last = next((a for a in answers if a.id == part_of), last)
    return int((last.before or {}).get("ideas_along", 0))


def _last_answer(answers: list[ReviewAnswer]) -> str:
    if not answers:
        return ""
    last = answers[-1]
    whole = next((a for a in answers if a.id == (last.before or {}).get("part_of")), None)
    if whole is not None:  # a yes for some of the stickies
        said = f"Yes for {len(whole.moving or [])} of {len(whole.moving or []) + len(last.moving or [])}"
        asked = (whole.before or {}).get("asked", "")
    else:
        said = (last.before or {}).get("said") or ("Yes" if last.accepted else "No")
        asked = (last.before or {}).get("asked", "")
    return f"{said} to {shorten_title(asked, 90)}" if asked else said


def reviewed_themes(session: Session, discovery_id: int) -> set[int]:
    """The themes the owner's answers were about, as they are now: the themes a question named
    (followed through merges), and the themes that hold the stickies a yes placed (a split's new
    theme, a theme formed again around them by "Group afresh"). The backlog page marks them."""
    return _reviewed(session, discovery_id, _answers(session, discovery_id))


def _reviewed(session: Session, discovery_id: int, answers: list[ReviewAnswer]) -> set[int]:
    if not answers:
        return set()
    merged = {t.id: t.merged_into_id for t in backlog_service._discovery_themes(session, discovery_id)}

    def live(theme_id: int) -> int:
        seen = set()
        while merged.get(theme_id) is not None and theme_id not in seen:
            seen.add(theme_id)
            theme_id = merged[theme_id]
        return theme_id

    touched = {live(int(t)) for a in answers for t in (a.themes or [])}
    # and where the stickies each answer judged are now: a yes's in the theme it put them in, a no's
    # still in their own; after "Group afresh" gave those themes new ids, this is what finds them
    placed = sorted({str(s) for a in answers if a.kind != "title" for s in (a.moving or [])})
    if placed:
        held = session.exec(select(ThemeAssignment.theme_id).where(ThemeAssignment.sticky_id.in_(placed))).all()
        touched |= {live(int(t)) for t in held}
    return {t for t in touched if t in merged and merged[t] is None}
