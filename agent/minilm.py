"""all-MiniLM-L6-v2 compiled with OpenVINO for the CPU: the sentence-transformers recipe, run faster.

Why not PyTorch: on the 2-core CI machine OpenVINO runs the model 2.4x faster (bench/embed_backends.py),
in bfloat16 where the CPU has it (AVX-512 BF16 or AMX) and float32 elsewhere. Its bfloat16 vectors match the
float32 PyTorch ones to cosine >= 0.9999, so an index built by either is valid for the other.

The recipe is sentence-transformers' own for this model (``sentence_bert_config.json``, ``1_Pooling``): WordPiece
tokens truncated at 256, mean pooling over real tokens, L2 normalisation. The packaged PyTorch weights are
converted in memory when the model loads (~2 s); nothing is downloaded and nothing is written to disk.
OpenVINO's conversion tools report usage to Google Analytics unless told otherwise; Confab turns that off
(``_import_openvino``), since nothing is meant to leave the machine.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SORT_WINDOW = 1024  # texts tokenized and sorted together


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
    """Thread-safe: every ``encode`` call gets its own OpenVINO infer request."""

    def __init__(self, model_dir: Path, batch_size: int = 16) -> None:
        ov = _import_openvino()
        import torch
        from transformers import AutoModel, AutoTokenizer

        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{model_dir}: expected a mean-pooling sentence-transformers model")
        self.max_tokens = int(config["max_seq_length"])
        self.dim = int(pooling["word_embedding_dimension"])
        self.batch_size = batch_size
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self._pad_id = int(self._tokenizer.pad_token_id or 0)
        bert = AutoModel.from_pretrained(str(model_dir)).eval()
        example = dict(self._tokenizer(["an example", "input"], padding=True, return_tensors="pt"))
        self._input_names = list(example)
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer chatter about shapes; the graph stays dynamic
            graph = ov.convert_model(bert, example_input=example)
        self._model: Any = ov.Core().compile_model(graph, "CPU", {"PERFORMANCE_HINT": "LATENCY"})
        self.precision = str(self._model.get_property("INFERENCE_PRECISION_HINT").get_type_name())  # bf16, f32
        log.info("compiled MiniLM with OpenVINO", extra={"precision": self.precision})

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors, in the order of ``texts``."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        request = self._model.create_infer_request()
        # A batch is padded to its longest text, so batches group texts of equal token counts: sorted by
        # characters first (cheap), then by tokens within windows, which bounds the token lists held at once.
        by_chars = np.argsort([-len(text) for text in texts], kind="stable")
        for first in range(0, len(texts), SORT_WINDOW):
            window = by_chars[first : first + SORT_WINDOW]
            ids = self._tokenizer([texts[i] for i in window], truncation=True, max_length=self.max_tokens)["input_ids"]
            by_tokens = np.argsort([-len(row) for row in ids], kind="stable")
            for start in range(0, len(window), self.batch_size):
                picked = by_tokens[start : start + self.batch_size]
                inputs, mask = self._padded([ids[j] for j in picked])
                hidden = request.infer(inputs)[0]
                pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
                out[window[picked]] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    def _padded(self, rows: list[list[int]]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Model inputs for token id lists, right-padded to the longest; and the float mask of real tokens."""
        width = max(len(row) for row in rows)
        ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return {name: inputs[name] for name in self._input_names}, mask.astype(np.float32)
