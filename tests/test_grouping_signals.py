"""Issue 13: the multilingual embedding, the label-free cut, constraints from corrections, breadth from
pain points, how sure a theme is, the embedding cache, and the moved-sticky title fix.

The model is loaded once per test session (get_embedder caches it per process, about 1 s)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import select

from workshop.aggregation import embedding
from workshop.aggregation.backlog import aggregate, build_backlog, review_flags
from workshop.aggregation.reconcile import reconcile
from workshop.aggregation.themes import DEFAULT_CONFIG, cut_threshold, group_stickies, vectorise
from workshop.db.models import TextEmbedding
from workshop.services import backlog as svc

from tests.test_aggregation_pipeline import STAGES, frame
from tests.test_backlog_service import add_discovery, add_workshop, theme_of


@pytest.fixture(scope="module")
def embedder():
    return embedding.get_embedder()


def test_the_shipped_model_is_multilingual_and_local(embedder):
    assert embedder.model_id == embedding.DEFAULT_MODEL_ID
    assert sum(embedder.parts) == embedder.dim and len(embedder.parts) == 2
    texts = ["Waiting weeks for a test environment",
             "Wir warten wochenlang auf eine Testumgebung",
             "Esperamos semanas por un entorno de pruebas",
             "On attend des semaines pour un environnement de test",
             "The coffee machine in the kitchen is broken"]
    vectors = embedder.embed(texts)
    start = 0
    for width in embedder.parts:  # each part is a unit vector
        assert np.allclose(np.linalg.norm(vectors[:, start:start + width], axis=1), 1.0, atol=1e-4)
        start += width
    sim = vectors @ vectors.T
    for i in (1, 2, 3):  # the same pain in German, Spanish, French is closer than an unrelated English one
        assert sim[0, i] > sim[0, 4] + 0.1, (i, sim[0, i], sim[0, 4])
    assert not embedder.embed([""]).any()  # a blank text is a zero vector


def test_another_local_model_can_be_configured(monkeypatch, tmp_path):
    onnx = embedding._default_model_path()
    monkeypatch.setenv(embedding.MODEL_ENV, str(onnx))
    model_id, path = embedding.configured_model()
    assert model_id.startswith("local:") and path == onnx
    monkeypatch.setenv(embedding.MODEL_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(embedding.EmbeddingUnavailable):
        embedding.configured_model()


def _bert_folder(tmp_path: Path, pooling: dict | None = None, config: dict | None = None) -> Path:
    """A local sentence-transformers folder, as a person who has one would point at: a copy of the
    shipped all-MiniLM-L6-v2's files (links to them), its pooling or config changed if asked."""
    import json
    source = embedding._minilm_folder()
    folder = tmp_path / "my-model"
    (folder / "1_Pooling").mkdir(parents=True)
    for name in ("model.safetensors", "tokenizer.json", "sentence_bert_config.json"):
        (folder / name).symlink_to(source / name)
    conf = json.loads((source / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**conf, **(config or {})}))
    pool = json.loads((source / "1_Pooling" / "config.json").read_text())
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({**pool, **(pooling or {})}))
    return folder


def test_a_local_sentence_transformers_folder_replaces_the_shipped_models(monkeypatch, tmp_path, embedder):
    monkeypatch.setattr(embedding, "ONNX_CACHE_DIR", tmp_path / "onnx")  # its graph: not in the shared venv
    folder = _bert_folder(tmp_path)
    monkeypatch.setenv(embedding.MODEL_ENV, str(folder))
    model_id, path = embedding.configured_model()
    assert model_id.startswith("local-bert:my-model:") and path == folder
    local = embedding._load(model_id, str(path))
    assert isinstance(local.encoders[0], embedding.OnnxBertEncoder)  # converted from its weights, cached
    assert list((tmp_path / "onnx").glob("my-model-*.onnx"))
    assert local.parts == (384,)  # one model instead of two: no bridge, its own space
    texts = ["Waiting weeks for a test environment", "Firewall change takes two weeks", "docs out of date"]
    # the same weights and the same reading as the shipped English model: the same vectors
    assert np.allclose(local.embed(texts), embedder.embed(texts)[:, :384], atol=1e-5)
    # CLS pooling, as bge models use, is read from the folder's pooling config
    cls_folder = _bert_folder(tmp_path / "cls", pooling={"pooling_mode_cls_token": True,
                                                        "pooling_mode_mean_tokens": False})
    cls = embedding.BertSentenceEncoder(cls_folder)(texts)
    mean = embedding.BertSentenceEncoder(folder)(texts)
    assert cls.shape == mean.shape and not np.allclose(cls, mean, atol=1e-3)
    # the ONNX graph pools the same way (built with the CLS token, checked against numpy on conversion)
    cls_onnx = embedding.OnnxBertEncoder(cls_folder, cache_dir=tmp_path / "onnx")(texts)
    assert np.allclose(cls_onnx, cls / np.linalg.norm(cls, axis=1, keepdims=True), atol=1e-5)


def test_a_local_folder_that_is_not_a_bert_model_is_refused_clearly(monkeypatch, tmp_path):
    folder = _bert_folder(tmp_path, config={"model_type": "xlm-roberta"})
    monkeypatch.setenv(embedding.MODEL_ENV, str(folder))
    model_id, path = embedding.configured_model()
    with pytest.raises(embedding.EmbeddingUnavailable, match="only BERT models"):
        embedding._load(model_id, str(path))
    (folder / "tokenizer.json").unlink()  # incomplete: neither a BERT folder nor an ONNX one
    with pytest.raises(embedding.EmbeddingUnavailable, match="sentence-transformers folder"):
        embedding.configured_model()


def test_the_cut_follows_the_discovery_not_a_constant(embedder):
    alike = [f"waiting {n} weeks for a test environment" for n in range(2, 12)]
    different = ["coffee machine broken", "GPU quota too small", "flaky UI tests on Android", "parking is full",
                 "no discharge letter template", "release train every 6 weeks", "VPN drops hourly",
                 "docs are outdated", "nobody owns the schema", "CAB meets on Thursdays"]
    cut_alike = cut_threshold(vectorise(alike, None, DEFAULT_CONFIG, embedder), DEFAULT_CONFIG)
    cut_different = cut_threshold(vectorise(different, None, DEFAULT_CONFIG, embedder), DEFAULT_CONFIG)
    assert cut_alike < cut_different - 0.1


def test_corrections_are_must_link_and_cannot_link(embedder):
    stickies = pd.DataFrame({"sticky_id": ["a", "b", "c", "d"], "kind": "pain",
                             "text": ["firewall change takes two weeks", "firewall change takes 2 weeks",
                                      "coffee machine broken", "GPU quota too small"]})
    free = group_stickies(stickies, DEFAULT_CONFIG, embedder).proposal.set_index("sticky_id")["cluster"]
    assert free["a"] == free["b"] and free["c"] != free["d"]
    pins = pd.DataFrame({"sticky_id": ["a", "b", "c", "d"], "group": [1, 2, 3, 3]})
    tied = group_stickies(stickies, DEFAULT_CONFIG, embedder, pins).proposal.set_index("sticky_id")["cluster"]
    assert tied["a"] != tied["b"]        # a split stays split
    assert tied["c"] == tied["d"]        # a merge stays merged


def test_a_new_sticky_joins_the_theme_the_owner_shaped(embedder):
    rows = [("a1", "Payments", "pain", "Waiting weeks for a new environment", 2, 0),
            ("a2", "Search", "pain", "Provisioning a test env takes three weeks", 3, 0),
            ("b1", "Payments", "pain", "Firewall change takes 2 weeks", 4, 0),
            ("b2", "Search", "pain", "Opening a port needs a network ticket", 4, 0),
            ("x1", "Risk", "pain", "Coffee machine broken", 0, 0)]
    first = aggregate(frame(rows), STAGES, embed=embedder)
    ids = first.stickies.set_index("sticky_id")["theme_id"]
    owner = int(ids["a1"])
    previous = pd.DataFrame({"sticky_id": ["a1", "a2"], "theme_id": pd.array([owner, owner], dtype="Int64"),
                             "pinned": [True, True]})
    more = rows + [("n1", "Risk", "pain", "test environments take weeks to get", 3, 0)]
    second = aggregate(frame(more), STAGES, previous=previous, themes=first.themes, embed=embedder)
    assert int(second.stickies.set_index("sticky_id").at["n1", "theme_id"]) == owner


def test_breadth_and_rank_count_pain_points_only():
    rows = [("o1", "A", "pain", "release train too slow", 4, 0)] + \
           [(f"o{i}", t, "opportunity", "release on demand", 4, 3) for i, t in enumerate("BCDEFG", start=2)] + \
           [("p1", "A", "pain", "flaky tests", 3, 0), ("p2", "B", "pain", "flaky tests", 3, 0),
            ("p3", "C", "pain", "flaky tests", 3, 0)]
    stickies = frame(rows)
    stickies["theme_id"] = pd.array([1] * 7 + [2] * 3, dtype="Int64")
    themes = pd.DataFrame({"theme_id": pd.array([1, 2], dtype="Int64"), "title": ["Release", "Flaky"],
                           "value": pd.array([None, None], dtype="Int64"),
                           "effort": pd.array([None, None], dtype="Int64"), "status": "proposed",
                           "merged_into_id": pd.array([None, None], dtype="Int64")})
    backlog = build_backlog(stickies, themes, total_teams=7, stages=STAGES).set_index("theme_id")
    assert backlog.at[1, "team_count"] == 1 and backlog.at[1, "teams"] == ["A"]
    assert backlog.at[1, "opportunity_count"] == 6 and backlog.at[1, "votes"] == 0
    assert backlog.at[2, "team_count"] == 3
    assert backlog.at[2, "rank"] == 1  # six ideas do not outrank three teams' pain


def test_each_theme_says_how_sure_it_is(embedder):
    rows = [(f"e{i}", f"T{i}", "pain", text, 2, 0) for i, text in enumerate(
        ["waiting weeks for a test environment", "test environment takes weeks", "no test environment for weeks",
         "Testumgebung dauert Wochen"])] + \
        [(f"f{i}", f"T{i}", "pain", text, 4, 0) for i, text in enumerate(
            ["firewall change takes weeks", "firewall ticket open for weeks", "firewall rule request is slow"])]
    out = aggregate(frame(rows), STAGES, embed=embedder)
    backlog = out.backlog
    assert backlog["cohesion"].dropna().between(0, 1).all() and backlog["cohesion"].notna().any()
    biggest = backlog.sort_values("sticky_count", ascending=False).iloc[0]
    texts = out.stickies.loc[out.stickies["theme_id"] == biggest["theme_id"], "text"].str.lower()
    assert biggest["shared_phrases"]
    for phrase in biggest["shared_phrases"]:  # each is shared by at least two of its stickies
        assert texts.str.contains(phrase, regex=False).sum() >= 2, phrase
    ranked = pd.DataFrame({"rank": range(1, 8), "status": "proposed", "sticky_count": [5, 5, 5, 5, 1, 5, 5],
                           "cohesion": [0.9, 0.3, 0.8, 0.2, 0.1, 0.5, np.nan]})
    flags = review_flags(ranked)
    assert flags.tolist() == [False, True, False, True, False, True, False]  # the 3 least alike, >= 2 stickies
    # a theme a person accepted (or started, finished, rejected) has been looked at: not flagged
    ranked.loc[1, "status"] = "accepted"
    # ... and 0.8, next in line, is in the upper third of the discovery's cohesions: "closely alike", no doubt
    assert review_flags(ranked).tolist() == [False, False, False, True, False, True, False]
    # only the 10 highest-ranked themes are candidates, in rank order whatever the frame's order
    many = pd.DataFrame({"rank": range(12, 0, -1), "status": "proposed", "sticky_count": 5,
                         "cohesion": [0.01, 0.02] + [0.5 + i / 100 for i in range(10)]})
    assert not review_flags(many).iloc[:2].any()  # ranks 12 and 11: least alike, but not among the top 10
    assert review_flags(many).sum() == 3


def test_moving_a_sticky_in_does_not_rename_the_target_theme():
    # Cluster 0 = the source theme's stickies (one of them moved by hand to theme 20), cluster 1 = theme 20's.
    proposal = pd.DataFrame({"sticky_id": ["s1", "s2", "s3", "t1", "t2"], "cluster": [0, 0, 0, 1, 1],
                             "title": ["Source title"] * 3 + ["Target title"] * 2})
    previous = pd.DataFrame({"sticky_id": ["s1", "s2", "s3", "t1", "t2"],
                             "theme_id": pd.array([10, 10, 20, 20, 20], dtype="Int64"),
                             "pinned": [False, False, True, False, False]})
    themes = pd.DataFrame({"theme_id": pd.array([10, 20], dtype="Int64"), "title": ["Source title", "Target title"],
                           "title_is_custom": [False, False], "value": pd.array([None, None], dtype="Int64"),
                           "effort": pd.array([None, None], dtype="Int64"), "status": "proposed",
                           "merged_into_id": pd.array([None, None], dtype="Int64")})
    rec = reconcile(proposal, previous, themes)
    assert rec.retitled.empty
    assert dict(zip(rec.assignments["sticky_id"], rec.assignments["theme_id"])) == \
        {"s1": 10, "s2": 10, "s3": 20, "t1": 20, "t2": 20}
    # A new sticky of the source's cluster goes to the source theme, not where one sticky was moved.
    proposal = pd.concat([proposal, pd.DataFrame({"sticky_id": ["s4"], "cluster": [0], "title": ["Source title"]})])
    rec = reconcile(proposal, previous, themes)
    assert rec.assignments.set_index("sticky_id").at["s4", "theme_id"] == 10


def test_move_on_the_theme_page_keeps_both_titles(session):
    d = add_discovery(session)
    _, a = add_workshop(session, d, "Payments", [("pain", "Waiting weeks for a new environment", 0.4, 0),
                                                 ("pain", "Firewall change takes 2 weeks", 0.7, 0)])
    _, b = add_workshop(session, d, "Search", [("pain", "Provisioning a test env takes three weeks", 0.5, 0),
                                               ("pain", "Firewall change needs a ticket and 2 weeks", 0.7, 0)])
    report = svc.build_report(session, d.id)
    env, net = theme_of(report, a[0]), theme_of(report, a[1])
    assert env != net
    titles = report.backlog.set_index("theme_id")["title"]
    svc.move_sticky(session, d.id, a[0], net)
    report = svc.build_report(session, d.id)
    after = report.backlog.set_index("theme_id")["title"]
    assert after[net] == titles[net]
    assert after.is_unique


def test_embeddings_are_cached_in_the_database(session, monkeypatch):
    made = []
    real = svc.cached_embed

    def spy(s, store=True):
        made.append(real(s, store))
        return made[-1]
    monkeypatch.setattr(svc, "cached_embed", spy)
    d = add_discovery(session)
    add_workshop(session, d, "Payments", [("pain", "Waiting weeks for a new environment", 0.4, 0),
                                          ("pain", "Firewall change takes 2 weeks", 0.7, 0),
                                          ("opportunity", "self-service environments", 0.4, 0)])
    add_workshop(session, d, "Search", [("pain", "Waiting weeks for a new environment", 0.5, 0)])
    svc.build_report(session, d.id)
    assert sum(m.computed for m in made) == 3  # distinct texts, once (the cohesion reads them back)
    rows = session.exec(select(TextEmbedding)).all()
    assert len(rows) == 3 and {r.model for r in rows} == {embedding.DEFAULT_MODEL_ID}
    assert len(np.frombuffer(rows[0].vector, dtype=np.float32)) == sum(embedding.DEFAULT_PARTS)
    made.clear()
    report = svc.build_report(session, d.id)
    assert made and all(m.computed == 0 and m._embedder is None for m in made)  # nothing computed, no model loaded
    assert report.backlog["cohesion"].notna().any()
    made.clear()
    add_workshop(session, d, "Risk", [("pain", "CAB meets on Thursdays only", 0.8, 0)])
    svc.build_report(session, d.id)
    assert sum(m.computed for m in made) == 1
