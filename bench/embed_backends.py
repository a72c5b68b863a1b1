"""The local embedder's backend against the reference: OpenVINO (what Confab runs) beside PyTorch float32,
beside OpenVINO's throughput mode (two streams of one core each, two batches in flight), beside OpenVINO fed
batches padded only to their longest text, and beside the padding to multiples of 16 tokens it used before
(Confab pads to one of 40 lengths, so that the compiled model sees few input shapes and its memory stays flat:
bench/embedder_memory.py).

    python -m bench.embed_backends --docs ../shared/eval/retrieval/pubmedqa/docs [--files 150] [--json]
    python -m bench.embed_backends --chat 1000 --threads 1

``--docs``: the knowledge index's chunk texts (front matter and headings included); ``--chat N``: chat messages
as the conversation index embeds them, N/2 distinct lines of bench/recall_data.py's history (13 tokens on
average) and N/2 unique ticket notes (25 tokens; bench/recall.py's fresh messages). ``--threads``: cores
one inference uses (default: all; given, the two-stream run is left out).

All embed by the same recipe: tokens truncated at 256, sorted by length, batches of 16, mean pooling,
normalised, each timed ``--rounds`` times in turns (its fastest round counts). Reports texts/s and
tokens/s for each, and the cosine of the OpenVINO vectors to the PyTorch ones and to the previous padding's.

Figures, ``--chat 1000`` (19 tokens a text on average; 2 shared cores, AMD EPYC with AVX-512 BF16, so
OpenVINO runs in bfloat16; load average 1.3-2.5 from other work; 2026-11-30), texts/s:

    --threads    PyTorch fp32   OpenVINO (40 lengths)   2 streams   exact lengths   multiples of 16 (before)
    1            160            387                     -           402             331
    all (2)      264            678                     733         717             592

Cosine to PyTorch float32: mean 0.99999, min 0.99992; the 40 lengths to exact lengths: min 1.0, to
multiples of 16: min 0.999991. On one core the model is compute-bound: ~86% of its time is the matrix
products (OpenVINO's bf16 brgemm kernels), so texts/s follows the tokens it is given, padding included.
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
from bench.recall_data import history, unique_messages


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


def chat_texts(count: int) -> list[str]:
    distinct = list(dict.fromkeys(line.text for line in history(20 * count)))[: count // 2]
    return distinct + unique_messages(count - len(distinct))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--docs", type=Path)
    source.add_argument("--chat", type=int, help="this many chat messages instead of document chunks")
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--threads", type=int, default=0, help="cores one inference uses (0: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = chat_texts(args.chat) if args.chat else chunk_texts(args.docs, args.files)
    threads = args.threads or None
    if threads:
        torch.set_num_threads(threads)
    encoder = LocalEmbedder(threads=threads)._load()
    tokens = sum(len(ids) for ids in encoder.token_ids(texts))
    model = AutoModel.from_pretrained(str(local_model_path())).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(local_model_path()))

    timings: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    exact = MiniLMEncoder(local_model_path(), widths=None, threads=threads)
    sixteens = MiniLMEncoder(local_model_path(), widths=range(16, 257, 16), threads=threads)
    backends = {"pytorch_fp32": lambda: pytorch_encode(model, tokenizer, encoder, texts),
                "openvino": lambda: encoder.encode(texts)}
    if not threads:
        two_streams = openvino_two_streams(encoder)
        backends["openvino_2_streams"] = lambda: two_streams(texts)
    backends |= {"openvino_exact_lengths": lambda: exact.encode(texts),
                 "openvino_multiples_of_16": lambda: sixteens.encode(texts)}
    for run in backends.values():
        run()  # warm up
    for _ in range(args.rounds):  # in turns, each its fastest round: the machine's load comes and goes
        for name, run in backends.items():
            started = time.perf_counter()
            vectors[name] = run()
            timings[name] = min(timings.get(name, float("inf")), time.perf_counter() - started)
    cosine = (vectors["openvino"] * vectors["pytorch_fp32"]).sum(axis=1)
    if "openvino_2_streams" in vectors:
        assert np.allclose(vectors["openvino_2_streams"], vectors["openvino"], atol=1e-3)  # the same vectors
    padding = (vectors["openvino_exact_lengths"] * vectors["openvino"]).sum(axis=1)
    before = (vectors["openvino_multiples_of_16"] * vectors["openvino"]).sum(axis=1)
    out = {"texts": len(texts), "tokens_per_text": round(tokens / len(texts), 1), "threads": args.threads or "all",
           "openvino_precision": encoder.precision, "cosine_mean": round(float(cosine.mean()), 5),
           "cosine_min": round(float(cosine.min()), 5), "padding_cosine_min": round(float(padding.min()), 6),
           "before_cosine_min": round(float(before.min()), 6)}
    for name, seconds in timings.items():
        out[f"{name}_texts_per_s"] = round(len(texts) / seconds, 1)
        out[f"{name}_tokens_per_s"] = round(tokens / seconds)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{out['texts']} texts, {out['tokens_per_text']} tokens each on average (truncated at 256), "
          f"{out['threads']} cores")
    for name in timings:
        print(f"{name:>24}: {out[f'{name}_texts_per_s']} texts/s, {out[f'{name}_tokens_per_s']} tokens/s")
    print(f"OpenVINO runs in {out['openvino_precision']}; cosine to PyTorch float32: "
          f"mean {out['cosine_mean']}, min {out['cosine_min']}; to exact lengths: min {out['padding_cosine_min']}; "
          f"to multiples of 16 (before): min {out['before_cosine_min']}")


if __name__ == "__main__":
    main()
