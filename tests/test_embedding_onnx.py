"""Issue 24 item 5: all-MiniLM-L6-v2 through onnxruntime, from a graph converted at set-up from the
shipped safetensors (workshop/aggregation/bert_onnx.py, ADR 0021), gives today's vectors (those of the
numpy transformer): cosine >= 0.999 on 152 varied texts; the graph is cached and converted
again when the weights change; where it cannot be built the numpy transformer runs instead."""
from __future__ import annotations

import logging
import random

import numpy as np
import pytest

from workshop.aggregation import bert_onnx, embedding


def varied_texts() -> list[str]:
    """152 texts: short, long (past the 128-token limit), German, Spanish, French, typos, numbers,
    symbols, a single character, a blank (the embedder sends " " for an empty text)."""
    rng = random.Random(24)
    english = ["Waiting weeks for a test environment", "Firewall change takes two weeks",
               "CAB approval blocks every release", "flaky e2e tests on Android", "docs out of date",
               "nobody owns the schema", "VPN drops hourly", "GPU quota too small for training",
               "The release train leaves every 6 weeks and we always miss it",
               "coffee machine broken", "on-call handover is a mess at 3am"]
    other = ["Wir warten wochenlang auf eine Testumgebung", "Die Firewall-Freigabe dauert zwei Wochen",
             "Entlassbrief wird erst Tage später diktiert", "Niemand weiß, wem das Schema gehört",
             "Esperamos semanas por un entorno de pruebas", "El cambio de firewall tarda dos semanas",
             "La documentación está desactualizada", "Nadie es responsable del esquema de datos",
             "On attend des semaines pour un environnement de test", "Le CAB bloque chaque mise en production"]
    odd = ["x", "?", " ", "42", "!!!", "ok", "n/a", "TODO", "ÄÖÜ ß", "ñ", "🙂 deploy 🚀", "--", "a b c",
           "k8s ns quota", "db pw rot.", "CVE-2024-3094 in xz", "v1.2.3 -> v2.0.0", "<b>html</b> & stuff",
           "tab\tseparated", "ALL CAPS COMPLAINT", "https://wiki.example.com/page?id=7"]
    texts = english + other + odd
    words = " ".join(english + other).split()
    for _ in range(60):  # random mixtures of 1-30 words
        texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))))
    for _ in range(8):  # long: 150-400 words, truncated at 128 tokens by both (the costly ones)
        texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(150, 400))))
    for base in english + other:  # typos and suffixes
        chars = list(base)
        i = rng.randrange(len(chars))
        chars[i], chars[i - 1] = chars[i - 1], chars[i]
        texts += ["".join(chars), base.upper() + " (again!!)" if i % 2 else base.lower() + " since Q1"]
    return [embedding.clean_text(t) or " " for t in texts]


@pytest.fixture(scope="module")
def minilm():
    folder = embedding._minilm_folder()
    return embedding.bert_encoder(folder), embedding.BertSentenceEncoder(folder)


def test_the_shipped_minilm_runs_through_onnxruntime(minilm):
    onnx, _ = minilm
    assert isinstance(onnx, embedding.OnnxBertEncoder)
    assert isinstance(embedding.get_embedder().encoders[0], embedding.OnnxBertEncoder)


@pytest.mark.timeout(600)  # 152 texts through both runtimes: seconds on a quiet machine, minutes on a busy one
def test_onnx_vectors_are_todays_vectors(minilm):
    onnx, numpy = minilm
    texts = varied_texts()
    assert len(texts) == 152
    ours = onnx(texts)
    theirs = numpy(texts)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, texts[int(cosines.argmin())]
    assert np.abs(ours - theirs).max() < 1e-4
    # and the embedder as a whole (both models, blanks as zeros) gives the same vectors as before
    before = embedding.Embedder("before", [numpy, embedding.OnnxStringEncoder(embedding._default_model_path())])
    after = embedding.get_embedder()
    sample = texts[:40] + ["", "   "]
    assert np.allclose(after.embed(sample), before.embed(sample), atol=1e-4)


@pytest.mark.timeout(600)  # two conversions
def test_the_graph_is_converted_once_and_again_when_the_weights_change(tmp_path, monkeypatch):
    folder = embedding._minilm_folder()
    first = embedding.OnnxBertEncoder(folder, cache_dir=tmp_path)
    assert first.converted
    cached = bert_onnx.cache_path(tmp_path, folder)
    assert [p.name for p in tmp_path.iterdir()] == [cached.name]  # written atomically: no temporary left
    again = embedding.OnnxBertEncoder(folder, cache_dir=tmp_path)
    assert not again.converted
    texts = ["Waiting weeks for a test environment", "x"]
    assert np.allclose(first(texts), again(texts), atol=1e-6)
    key = bert_onnx.fingerprint(folder)
    monkeypatch.setattr(bert_onnx, "CONVERTER_VERSION", "another")  # as if the weights or converter changed
    assert bert_onnx.fingerprint(folder) != key
    cached.write_bytes(b"not a model")  # a damaged cache is converted again, not fatal
    monkeypatch.undo()
    assert embedding.OnnxBertEncoder(folder, cache_dir=tmp_path).converted


def test_without_a_graph_the_numpy_transformer_runs(tmp_path, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ImportError("No module named 'onnx'")

    monkeypatch.setattr(embedding, "ONNX_CACHE_DIR", tmp_path)
    monkeypatch.setattr(bert_onnx, "build_graph", broken)
    with caplog.at_level(logging.WARNING, logger=embedding.__name__):
        encoder = embedding.bert_encoder(embedding._minilm_folder())
    assert type(encoder) is embedding.BertSentenceEncoder
    assert "numpy transformer instead" in caplog.text


def test_a_serving_process_loads_the_model_before_its_first_backlog(monkeypatch, caplog):
    """heap.settle() (python app.py, gunicorn's worker) loads the embedding model, so the first backlog
    does not wait for it; a model that cannot load is logged and the server starts all the same."""
    from workshop import heap
    from workshop.aggregation import embedding
    assert heap.preload_model() is True  # the module's other tests share the loaded model: no cache_clear
    model_id, path = embedding.configured_model()
    hits = embedding._load.cache_info().hits
    embedding._load(model_id, str(path))
    assert embedding._load.cache_info().hits == hits + 1  # loaded by the preload, not by this call
    monkeypatch.setenv(embedding.MODEL_ENV, "/nonexistent/model.onnx")
    with caplog.at_level("WARNING"):
        assert heap.preload_model() is False
    assert "not loaded at start" in caplog.text and "/nonexistent/model.onnx" in caplog.text
