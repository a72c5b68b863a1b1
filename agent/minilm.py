"""all-MiniLM-L6-v2 compiled with OpenVINO for the CPU: the sentence-transformers recipe, run faster.

Why not PyTorch: on the 2-core CI machine OpenVINO runs the model 2.4x faster (bench/embed_backends.py),
in bfloat16 where the CPU has it (AVX-512 BF16 or AMX) and float32 elsewhere. Its bfloat16 vectors match the
float32 PyTorch ones to cosine >= 0.9999, so an index built by either is valid for the other.

The recipe is sentence-transformers' own for this model (``sentence_bert_config.json``, ``1_Pooling``): WordPiece
tokens truncated at 256, mean pooling over real tokens, L2 normalisation. The packaged PyTorch weights are
converted when the model first loads (~6 s with importing PyTorch); given a cache folder, the converted model
is kept there (90 MB) and later starts read it in well under a second, without loading PyTorch at all.
Nothing is downloaded.
OpenVINO's conversion tools report usage to Google Analytics unless told otherwise; Confab turns that off
(``_import_openvino``), since nothing is meant to leave the machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import shutil
import sys
import uuid
import warnings
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SORT_WINDOW = 1024  # texts tokenized and sorted together
IDLE_REQUESTS = 2  # infer requests kept for reuse between ``encode`` calls
# the lengths batches are padded to: every 2 tokens up to 32, then every 4, 8 and 16 tokens up to 64, 128 and 256,
# so padding adds at most 1/8 to a batch's longest text past 16 tokens (at most 1 token to a 17-32-token chat
# message; multiples of 16 added 7 to a 25-token one: 15-20% fewer texts/s), over 40 lengths (``MiniLMEncoder.shapes``)
WIDTHS = (*range(2, 33, 2), *range(36, 65, 4), *range(72, 129, 8), *range(144, 257, 16))
CACHE_FORMAT = 1  # bump when the conversion changes, so older cached models are not used


def _import_openvino() -> Any:
    """OpenVINO's conversion tools start a telemetry client when imported, which reports usage to Google
    Analytics unless the user opted out. They fall back to a built-in no-op when the ``openvino_telemetry``
    package cannot be imported: hide it while OpenVINO imports, and swap the no-op in wherever it got in first."""
    if "openvino" not in sys.modules:
        present = sys.modules.get("openvino_telemetry")
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # makes its import fail
        try:
            import openvino
        finally:
            if present is None:
                del sys.modules["openvino_telemetry"]
            else:
                sys.modules["openvino_telemetry"] = present
    import openvino
    import openvino.tools.ovc.telemetry_stub as stub

    for name, module in list(sys.modules.items()):
        if name.startswith("openvino.tools.ovc") and getattr(getattr(module, "tm", None), "__name__", "") == (
                "openvino_telemetry"):
            setattr(module, "tm", stub)  # noqa: B010  # a module attribute mypy cannot see
    return openvino


class MiniLMEncoder:
    """Thread-safe: every ``encode`` call has an OpenVINO infer request to itself, reused by later calls.

    The compiled model keeps what it prepares for each new input shape (0.4-0.7 MB) for as long as it lives, so
    the encoder only ever feeds it a bounded set (``shapes``): lengths padded up to one of ``widths``, batches
    of ``batch_size`` or a power of 4 below it: 40 lengths x 3 batch sizes by default.

    ``threads``: how many cores one inference uses (OpenVINO's default, None: all of them)."""

    def __init__(self, model_dir: Path, batch_size: int = 16, cache_dir: Path | None = None,
                 widths: Sequence[int] | None = WIDTHS, threads: int | None = None) -> None:
        import tokenizers

        ov = _import_openvino()
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{model_dir}: expected a mean-pooling sentence-transformers model")
        self.max_tokens = int(config["max_seq_length"])
        self.dim = int(pooling["word_embedding_dimension"])
        self.batch_size = batch_size
        self.widths = sorted(widths) if widths is not None else None  # None: each batch padded to its longest text
        # the same Rust tokenizer transformers would wrap, without importing transformers (and PyTorch)
        self._tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._pad_id = int((self._tokenizer.padding or {}).get("pad_id", 0))
        self._tokenizer.no_padding()  # batches are padded by hand, to their own longest text
        self._tokenizer.enable_truncation(self.max_tokens)
        graph, self.loaded_from = self._graph(ov, model_dir, cache_dir)
        self._input_names = [port.get_any_name() for port in graph.inputs]
        config = {"PERFORMANCE_HINT": "LATENCY"} | ({"INFERENCE_NUM_THREADS": threads} if threads else {})
        self._model: Any = ov.Core().compile_model(graph, "CPU", config)
        # a request holds buffers for the largest batch it ran; a new one per call made the allocator's
        # footprint creep up (+60 MB over 1,000 messages with no new shape)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.precision = str(self._model.get_property("INFERENCE_PRECISION_HINT").get_type_name())  # bf16, f32
        log.info("compiled MiniLM with OpenVINO", extra={"precision": self.precision, "from": self.loaded_from})

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """WordPiece ids with [CLS] and [SEP], truncated at ``max_tokens``."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]

    def _graph(self, ov: Any, model_dir: Path, cache_dir: Path | None) -> tuple[Any, str]:
        """The model graph and where it came from: ``"cache"`` or ``"conversion"``."""
        if cache_dir is None:
            return self._converted(ov, model_dir), "conversion"
        folder = cache_dir / f"minilm-{_cache_key(model_dir)}"
        if (folder / "model.xml").is_file():
            try:
                return ov.Core().read_model(folder / "model.xml"), "cache"
            except Exception as error:  # a damaged cache costs one conversion, nothing more
                log.warning("cached embedding model unreadable; converting it again",
                            extra={"path": str(folder), "error": str(error)[:200]})
                shutil.rmtree(folder, ignore_errors=True)
        graph = self._converted(ov, model_dir)
        _save(ov, graph, folder)
        return graph, "conversion"

    def _converted(self, ov: Any, model_dir: Path) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no progress bars in a chat
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # config chatter that means nothing to a user

        bert = AutoModel.from_pretrained(str(model_dir)).eval()
        inputs, _ = self._padded(self.token_ids(["an example", "input"]))
        example = {name: torch.from_numpy(array) for name, array in inputs.items()}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer chatter about shapes; the graph stays dynamic
            return ov.convert_model(bert, example_input=example)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors, in the order of ``texts``."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        try:
            request = self._idle.get_nowait()
        except queue.Empty:
            request = self._model.create_infer_request()
        for rows, inputs, mask in self.batches(texts):
            out[rows] = mean_pooled(request.infer(inputs)[0], mask)
        if self._idle.qsize() < IDLE_REQUESTS:
            self._idle.put(request)
        return out

    def batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]]:
        """(positions in ``texts``, the model's inputs, the float mask of real tokens) per batch.

        A batch is padded to its longest text, so batches group texts of equal token counts: sorted by
        characters first (cheap), then by tokens within windows, which bounds the token lists held at once.
        Batches come in the sizes of ``shapes``: 11 texts are batches of 4, 4, 1, 1 and 1."""
        by_chars = np.argsort([-len(text) for text in texts], kind="stable")
        for first in range(0, len(texts), SORT_WINDOW):
            window = by_chars[first : first + SORT_WINDOW]
            ids = self.token_ids([texts[i] for i in window])
            by_tokens = np.argsort([-len(row) for row in ids], kind="stable")
            start = 0
            for size in self._batch_plan(len(window)):
                picked = by_tokens[start : start + size]
                start += size
                inputs, mask = self._padded([ids[j] for j in picked])
                yield window[picked], {name: inputs[name] for name in self._input_names}, mask

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """Every (batch size, length) the model can be given by ``batches``."""
        sizes = {size for count in range(1, self.batch_size + 1) for size in self._batch_plan(count)}
        widths = {self._width(tokens) for tokens in range(1, self.max_tokens + 1)}
        return sorted((size, width) for size in sizes for width in widths)

    def _batch_plan(self, count: int) -> list[int]:
        """Sizes of the batches for ``count`` texts: full ones, then the rest in batches of 4, then single texts
        (``batch_size`` 16: 15 texts are 4 + 4 + 4 + 1 + 1 + 1). Few sizes, as each costs the compiled model
        memory at every length (0.4-0.7 MB per shape, whatever its size, with infer requests reused)."""
        plan, rest = [], count
        for size in sorted({self.batch_size} | {4**k for k in range(8) if 4**k < self.batch_size}, reverse=True):
            full, rest = divmod(rest, size)
            plan += [size] * full
        return plan

    def _width(self, longest: int) -> int:
        """The padded length of a batch whose longest text has ``longest`` tokens: the first of ``widths`` that
        holds it (past the last one, only ``max_tokens`` is)."""
        if self.widths is None:
            return longest
        at = bisect_left(self.widths, longest)
        return self.widths[at] if at < len(self.widths) else max(self.max_tokens, longest)

    def _padded(self, rows: list[list[int]]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """BERT's inputs for token id lists, right-padded to the longest rounded up to one of ``widths``; and
        the float mask of real tokens. Padding is masked out of attention and pooling alike."""
        width = self._width(max(len(row) for row in rows))
        ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return inputs, mask.astype(np.float32)


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sentence vectors from token states: the mean over real tokens, L2-normalised."""
    pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
    unit: np.ndarray = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return unit


def _cache_key(model_dir: Path) -> str:
    """Changes with the model's configuration, its weights file (size and modification time: hashing its
    90 MB would add ~0.1 s to every start) and the versions of the converting libraries."""
    weights = (model_dir / "model.safetensors").stat()
    digest = hashlib.sha256(f"{CACHE_FORMAT} {version('openvino')} {version('transformers')} {version('torch')} "
                            f"{weights.st_size} {weights.st_mtime_ns}".encode())
    digest.update((model_dir / "config.json").read_bytes())
    return digest.hexdigest()[:16]


def _save(ov: Any, graph: Any, folder: Path) -> None:
    """Write the converted model next to ``folder``, then rename it into place: a reader never sees half a
    model. Older cached versions are removed. Failing to write (read-only disk) only costs speed."""
    staging = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        ov.save_model(graph, str(staging / "model.xml"), compress_to_fp16=False)
        os.replace(staging, folder)
    except (OSError, RuntimeError) as error:  # OpenVINO reports a failed write as RuntimeError
        shutil.rmtree(staging, ignore_errors=True)
        if not (folder / "model.xml").is_file():  # another process may have won the race; fine either way
            log.warning("could not cache the converted embedding model",
                        extra={"path": str(folder), "error": str(error)[:200]})
        return
    for old in folder.parent.glob("minilm-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
