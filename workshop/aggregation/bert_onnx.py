"""A BERT sentence-transformers folder (safetensors weights) written as an ONNX graph, for onnxruntime.

No torch and no network: the graph is built from the weights with the ``onnx`` package's helper API,
the same computation as ``embedding.BertSentenceEncoder`` (the numpy transformer, kept as the
reference and the fallback): word + position + token-type-0 embeddings and their layer norm; per
layer the fused self-attention (onnxruntime's ``com.microsoft.Attention``, the padding masked), the
output projection and ``SkipLayerNormalization``, the feed-forward with exact (erf) GELU
(``com.microsoft.BiasGelu``) and ``SkipLayerNormalization``; then mean pooling over the attention mask
(or the CLS token) and L2 normalisation. Inputs ``input_ids`` (int64) and ``attention_mask`` (int32),
both (batch, tokens); output ``sentence_embedding`` (batch, width). Measured in docs/benchmarks.md
and ADR 0021.

The graph is written once to a cache file (:func:`cached_graph`): ``<sys.prefix>/storming-models/onnx/``
(`make deps` converts the shipped MiniLM there), the name from the folder's path, and its fingerprint
(converter version, config files, the weights' size, mtime and first and last MiB) stored in the
graph's metadata, so changed weights are converted again. Written atomically (a temporary file, then
a rename); where the folder cannot be written, the graph stays in memory.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

#: Bumped whenever the graph changes: a cached graph of another version is converted again.
CONVERTER_VERSION = "1"
FINGERPRINT_KEY = "storming_fingerprint"
CONFIG_FILES = ("config.json", "1_Pooling/config.json", "sentence_bert_config.json", "tokenizer.json")
_SAMPLE = 1 << 20


def fingerprint(folder: Path) -> str:
    """What the graph is built from, cheaply (~ms, not a 90-MB hash): see the module docstring."""
    digest = hashlib.sha256(CONVERTER_VERSION.encode())
    for name in CONFIG_FILES:
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    weights = folder / "model.safetensors"
    stat = weights.stat()
    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    with open(weights, "rb") as file:
        digest.update(file.read(_SAMPLE))
        file.seek(max(0, stat.st_size - _SAMPLE))
        digest.update(file.read(_SAMPLE))
    return digest.hexdigest()


def cache_path(cache_dir: Path, folder: Path) -> Path:
    resolved = str(folder.resolve())
    return cache_dir / f"{folder.resolve().name}-{hashlib.sha256(resolved.encode()).hexdigest()[:12]}.onnx"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def build_graph(folder: Path, key: str = "") -> bytes:
    """The serialised ONNX model of the BERT folder (raises on a folder that is not a BERT model)."""
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = _json(folder / "config.json")
    if config.get("model_type", "bert") != "bert" or config.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"{folder}: only BERT models with GELU activations are converted")
    n_layers = int(config.get("num_hidden_layers", 6))
    heads = int(config.get("num_attention_heads", 12))
    eps = float(config.get("layer_norm_eps", 1e-12))
    pooling = _json(folder / "1_Pooling" / "config.json")
    cls = bool(pooling.get("pooling_mode_cls_token")) and not pooling.get("pooling_mode_mean_tokens")
    weights = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    if "embeddings.word_embeddings.weight" not in weights:
        raise ValueError(f"{folder / 'model.safetensors'}: not a BERT model's weights")

    inits, nodes = [], []

    def const(name: str, value) -> str:  # initialisers are "w:<name>": never a node's output name
        inits.append(numpy_helper.from_array(np.asarray(value, order="C"), f"w:{name}"))  # 0-d stays 0-d
        return f"w:{name}"

    def node(op: str, inputs: list[str], output: str, domain: str = "", **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    f32 = np.float32
    width = weights["embeddings.word_embeddings.weight"].shape[1]
    # Embeddings: word + position[:tokens] + token type 0, then their layer norm.
    word = node("Gather", [const("word", weights["embeddings.word_embeddings.weight"].astype(f32)), "input_ids"],
                "word_vectors")
    shape = node("Shape", ["input_ids"], "ids_shape")
    tokens = node("Slice", [shape, const("one", np.array([1], np.int64)), const("two", np.array([2], np.int64))],
                  "tokens")
    position = node("Slice", [const("position", weights["embeddings.position_embeddings.weight"].astype(f32)),
                              const("zero", np.array([0], np.int64)), tokens, const("axis0", np.array([0], np.int64))],
                    "position_vectors")
    summed = node("Add", [word, position], "word_position")
    summed = node("Add", [summed, const("token_type", weights["embeddings.token_type_embeddings.weight"][0].astype(f32))],
                  "embedded")
    x = node("LayerNormalization", [summed, const("emb_ln_g", weights["embeddings.LayerNorm.weight"].astype(f32)),
                                    const("emb_ln_b", weights["embeddings.LayerNorm.bias"].astype(f32))],
             "x_0", axis=-1, epsilon=eps)
    for i in range(n_layers):
        w = {k[len(f"encoder.layer.{i}."):]: v.astype(f32) for k, v in weights.items()
             if k.startswith(f"encoder.layer.{i}.")}
        qkv = np.concatenate([w[f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T
        qkv_b = np.concatenate([w[f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        attended = node("Attention", [x, const(f"qkv_{i}", qkv), const(f"qkv_b_{i}", qkv_b), "attention_mask"],
                        f"attended_{i}", domain="com.microsoft", num_heads=heads)
        projected = node("MatMul", [attended, const(f"out_{i}", w["attention.output.dense.weight"].T)],
                         f"projected_{i}")
        x = node("SkipLayerNormalization",
                 [projected, x, const(f"ln1_g_{i}", w["attention.output.LayerNorm.weight"]),
                  const(f"ln1_b_{i}", w["attention.output.LayerNorm.bias"]),
                  const(f"out_b_{i}", w["attention.output.dense.bias"])],
                 f"x_{i}_attention", domain="com.microsoft", epsilon=eps)
        up = node("MatMul", [x, const(f"up_{i}", w["intermediate.dense.weight"].T)], f"up_{i}")
        up = node("BiasGelu", [up, const(f"up_b_{i}", w["intermediate.dense.bias"])], f"gelu_{i}",
                  domain="com.microsoft")
        down = node("MatMul", [up, const(f"down_{i}", w["output.dense.weight"].T)], f"down_{i}")
        x = node("SkipLayerNormalization",
                 [down, x, const(f"ln2_g_{i}", w["output.LayerNorm.weight"]), const(f"ln2_b_{i}", w["output.LayerNorm.bias"]),
                  const(f"down_b_{i}", w["output.dense.bias"])],
                 f"x_{i + 1}", domain="com.microsoft", epsilon=eps)
    if cls:
        pooled = node("Gather", [x, const("first", np.array(0, np.int64))], "pooled", axis=1)
    else:
        mask = node("Cast", ["attention_mask"], "mask_float", to=TensorProto.FLOAT)
        mask3 = node("Unsqueeze", [mask, const("axis2", np.array([2], np.int64))], "mask_3d")
        total = node("ReduceSum", [node("Mul", [x, mask3], "masked"), const("axis1", np.array([1], np.int64))],
                     "token_sum", keepdims=0)
        count = node("ReduceSum", [mask, "w:axis1"], "token_count", keepdims=1)
        pooled = node("Div", [total, count], "pooled")
    node("LpNormalization", [pooled], "sentence_embedding", axis=1, p=2)

    graph = helper.make_graph(
        nodes, "bert_sentence_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT32, ["batch", "tokens"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", width])],
        inits)
    model = helper.make_model(graph, producer_name="storming", opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    helper.set_model_props(model, {FINGERPRINT_KEY: key})
    return model.SerializeToString()


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # readable by every user of the environment, like the model packages
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
