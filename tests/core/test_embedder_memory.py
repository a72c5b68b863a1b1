"""The local embedder's memory stays flat: OpenVINO keeps what it prepares for every new input shape for as long
as the compiled model lives, so the encoder feeds it a bounded set of shapes, whatever the texts and batches."""

import copy
import queue
import random
from typing import Any

import numpy as np
import pytest

from agent.minilm import MiniLMEncoder


class ShapeRecorder:
    """Stands in for the compiled model: records each input shape and answers with zero token states."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.seen: set[tuple[int, ...]] = set()
        self.requests = 0

    def create_infer_request(self) -> "ShapeRecorder":
        self.requests += 1
        return self

    def infer(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        shape = inputs["input_ids"].shape
        assert all(array.shape == shape for array in inputs.values())
        self.seen.add(shape)
        return [np.ones((*shape, self.dim), dtype=np.float32)]


@pytest.fixture
def twin(local_embedder: Any) -> Any:
    """``twin(**changes)``: the loaded encoder's twin (same compiled model and tokenizer) with some attributes
    changed."""
    def make(**changes: Any) -> MiniLMEncoder:
        encoder = copy.copy(local_embedder._load())
        vars(encoder).update({"_idle": queue.SimpleQueue(), **changes})  # its own idle infer requests
        return encoder

    return make


def _messages(rng: random.Random, count: int) -> list[str]:
    words = ["deploy", "lunch", "the", "release", "failed", "again", "why", "Kubernetes", "🍕", "ok"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(0, 300))) for _ in range(count)]


def test_the_model_sees_a_bounded_set_of_input_shapes(twin: Any) -> None:
    """Texts of every length from 0 to 300 words, in batches of 1 to 40 as the pipeline and the index send
    them: at most 40 lengths x 3 batch sizes reach the model (there were ~1,000 distinct shapes before)."""
    recorder = ShapeRecorder(384)
    encoder = twin(_model=recorder)
    rng = random.Random(7)
    for size in [*range(1, 41), *[1] * 200]:
        vectors = encoder.encode(_messages(rng, size))
        assert vectors.shape == (size, 384)
    assert len(recorder.seen) > 50  # the workload reached many of the allowed shapes, and no others
    assert recorder.seen <= set(encoder.shapes)
    assert len(encoder.shapes) == 120 and {size for size, _ in encoder.shapes} == {1, 4, 16}


def test_padding_adds_little_to_a_chat_message(twin: Any) -> None:
    """A batch is padded to at most 1/8 beyond its longest text past 16 tokens (2 tokens below): a 25-token
    message was padded to 32 (28% more work for the model, 20% fewer messages per second on one core)."""
    encoder = twin()
    for longest in range(1, encoder.max_tokens + 1):
        width = encoder._width(longest)
        assert longest <= width <= encoder.max_tokens
        assert width - longest <= max(1, longest // 8), longest
    texts = [f"ticket OPS-{4000 + i}: the {i}th retry of job {i * 7} in the reports queue took {i + 3} seconds"
             for i in range(40)]
    counts = [len(ids) for ids in encoder.token_ids(texts)]
    real = padded = 0
    for _, inputs, mask in encoder.batches(texts):
        real, padded = real + int(mask.sum()), padded + inputs["input_ids"].size
    assert real == sum(counts) and padded <= 1.08 * real


def test_infer_requests_are_reused_between_calls(twin: Any) -> None:
    """A new request per call allocated its buffers again each time, and the process's footprint crept up
    (+60 MB between 4,000 and 5,000 messages with no new shape, bench/embedder_memory.py)."""
    recorder = ShapeRecorder(384)
    encoder = twin(_model=recorder)
    for text in _messages(random.Random(1), 100):
        encoder.encode([text])
    assert recorder.requests == 1


def test_batches_keep_every_text_once_in_allowed_sizes(twin: Any) -> None:
    encoder = twin()
    for count in [1, 3, 11, 15, 16, 17, 33, 1030]:
        texts = [f"message number {i} " + "word " * (i % 37) for i in range(count)]
        rows = np.concatenate([positions for positions, _, _ in encoder.batches(texts)])
        assert sorted(rows.tolist()) == list(range(count))
        for positions, inputs, mask in encoder.batches(texts):
            assert inputs["input_ids"].shape in set(encoder.shapes)
            assert mask.shape == inputs["input_ids"].shape and len(positions) == mask.shape[0]
    assert encoder._batch_plan(15) == [4, 4, 4, 1, 1, 1] and encoder._batch_plan(33) == [16, 16, 1]


def test_padding_to_the_shared_lengths_keeps_the_vectors(twin: Any) -> None:
    """Padded tokens are masked out of attention and pooling: vectors padded to the shared lengths (and to
    multiples of 16 tokens, as before) match those padded only to their batch's longest text (the model runs in
    bfloat16 where the CPU has it)."""
    rng = random.Random(3)
    texts = ["", "ok", "the deploy failed again", "Lunch at noon? 🍕", *_messages(rng, 21)]
    exact = twin(widths=None, batch_size=5)  # 5: batches of 5, 4 and 1, each padded to its own longest
    assert any(inputs["input_ids"].shape[1] % 2 for _, inputs, _ in exact.batches(texts))
    unpadded = exact.encode(texts)
    for widths in (twin().widths, range(16, 257, 16)):
        padded = twin(widths=list(widths)).encode(texts)
        cosine = (padded * unpadded).sum(axis=1)
        assert cosine.min() > 1 - 5e-5 and cosine.mean() > 1 - 1e-5
        assert np.allclose(np.linalg.norm(padded, axis=1), 1.0, atol=1e-5)
