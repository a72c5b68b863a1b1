"""The local embedder's backend against the reference: OpenVINO (what Confab runs) beside PyTorch float32,
beside OpenVINO's throughput mode (two streams of one core each, two batches in flight), and beside OpenVINO
fed batches padded only to their longest text (Confab pads to multiples of 16 tokens, so that the compiled
model sees few input shapes and its memory stays flat: bench/embedder_memory.py).

    python -m bench.embed_backends --docs ../shared/eval/retrieval/pubmedqa/docs [--files 150] [--json]

All embed the same chunk texts (the index's own, front matter and headings included) by the same recipe:
tokens truncated at 256, sorted by length, batches of 16, mean pooling, normalised. Reports chunks/s and
tokens/s for each, and the cosine between the OpenVINO and PyTorch vectors of every chunk.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from transformers import AutoModel, AutoTokenizer

from agent.embeddings import LocalEmbedder, local_model_path
from agent.knowledge.builder import build_index
from agent.minilm import MiniLMEncoder, _import_openvino, mean_pooled
from bench.knowledge_speed import MB, CountingEmbedder, copy_sample


def chunk_texts(docs: Path, files: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_sample(docs, files, Path(tmp) / "docs")
        index, _ = build_index(folder, Path(tmp) / "idx", CountingEmbedder(), MB)
        return [chunk.embedding_text() for chunk in index.chunks]


def pytorch_encode(model: torch.nn.Module, tokenizer: Any, encoder: MiniLMEncoder, texts: list[str]) -> np.ndarray:
    """The reference: transformers' own tokenizer and model in float32, with ``encoder``'s batches and pooling."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    order = np.argsort([-len(t) for t in texts], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(texts), encoder.batch_size):
            rows = order[start : start + encoder.batch_size]
            tokens = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                               max_length=encoder.max_tokens, return_tensors="pt")
            hidden = model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).float()
            out[rows] = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1)).numpy()
    return out


def openvino_two_streams(encoder: MiniLMEncoder) -> Any:
    """An encode function on the same graph compiled for throughput: two streams, two requests in flight."""
    ov = _import_openvino()
    graph, _ = encoder._graph(ov, local_model_path(), None)
    model = ov.Core().compile_model(graph, "CPU", {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": "2"})

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        queue = ov.AsyncInferQueue(model, 2)

        def pooled(request: Any, batch: tuple[np.ndarray, np.ndarray]) -> None:
            rows, mask = batch
            out[rows] = mean_pooled(request.get_output_tensor(0).data, mask)

        queue.set_callback(pooled)
        for rows, inputs, mask in encoder.batches(texts):  # the shipped encoder's batches
            queue.start_async(inputs, (rows, mask))
        queue.wait_all()
        return out

    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = chunk_texts(args.docs, args.files)
    encoder = LocalEmbedder()._load()
    tokens = sum(len(ids) for ids in encoder.token_ids(texts))
    model = AutoModel.from_pretrained(str(local_model_path())).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(local_model_path()))

    timings: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    two_streams = openvino_two_streams(encoder)
    exact = MiniLMEncoder(local_model_path(), length_step=1)
    backends = {"pytorch_fp32": lambda: pytorch_encode(model, tokenizer, encoder, texts),
                "openvino": lambda: encoder.encode(texts),
                "openvino_2_streams": lambda: two_streams(texts),
                "openvino_exact_lengths": lambda: exact.encode(texts)}
    for name, run in backends.items():
        run()  # warm up
        started = time.perf_counter()
        vectors[name] = run()
        timings[name] = time.perf_counter() - started
    cosine = (vectors["openvino"] * vectors["pytorch_fp32"]).sum(axis=1)
    assert np.allclose(vectors["openvino_2_streams"], vectors["openvino"], atol=1e-3)  # the same vectors
    padding = (vectors["openvino_exact_lengths"] * vectors["openvino"]).sum(axis=1)
    out = {"chunks": len(texts), "tokens_per_chunk": round(tokens / len(texts), 1),
           "openvino_precision": encoder.precision, "cosine_mean": round(float(cosine.mean()), 5),
           "cosine_min": round(float(cosine.min()), 5), "padding_cosine_min": round(float(padding.min()), 6)}
    for name, seconds in timings.items():
        out[f"{name}_chunks_per_s"] = round(len(texts) / seconds, 1)
        out[f"{name}_tokens_per_s"] = round(tokens / seconds)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{out['chunks']} chunks, {out['tokens_per_chunk']} tokens each on average (truncated at 256)")
    for name in timings:
        print(f"{name:>18}: {out[f'{name}_chunks_per_s']} chunks/s, {out[f'{name}_tokens_per_s']} tokens/s")
    print(f"OpenVINO runs in {out['openvino_precision']}; cosine to PyTorch float32: "
          f"mean {out['cosine_mean']}, min {out['cosine_min']}; padded to 16s vs exact lengths: min "
          f"{out['padding_cosine_min']}")


if __name__ == "__main__":
    main()
