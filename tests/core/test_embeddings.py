"""The local embedder: unit vectors, a bounded cache of recent texts, junk-proof input, and the converted
model kept on disk so later starts skip PyTorch."""

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.embeddings import LocalEmbedder, local_model_path, make_embedder
from agent.minilm import MiniLMEncoder, _cache_key
from tests.fakes.settings import make_settings


def test_cache_reuses_vectors_and_stays_bounded(monkeypatch: Any, local_embedder: LocalEmbedder) -> None:
    embedder = LocalEmbedder(cache_size=3)
    embedder._model = local_embedder._load()  # the loaded model, a private cache
    encoded: list[list[str]] = []
    encode = embedder._encode
    monkeypatch.setattr(embedder, "_encode", lambda texts: (encoded.append(texts), encode(texts))[1])

    first = embedder.embed(["the deploy failed", "lunch at noon?"])
    again = embedder.embed(["lunch at noon?", "the deploy failed", "a new one"])
    assert encoded == [["the deploy failed", "lunch at noon?"], ["a new one"]]
    assert np.array_equal(again[:2], first[::-1])
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)
    embedder.embed(["four", "five"])
    assert len(embedder._cache) == 3
    assert embedder.embed([]).shape == (0, 384)


def test_text_that_is_not_valid_unicode(local_embedder: LocalEmbedder) -> None:
    [vector] = local_embedder.embed(["\ud800 lone surrogate"])
    assert np.isfinite(vector).all()


def test_openvino_vectors_match_the_pytorch_model(local_embedder: LocalEmbedder) -> None:
    """The compiled model (bf16 where the CPU has it) against the packaged weights run in float32 PyTorch,
    by the sentence-transformers recipe: mean pooling over real tokens, normalised."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    encoder = local_embedder._load()
    texts = ["", "the deploy failed again", "Lunch at noon? 🍕", "word " * 400, "Wie geht's? Ça va."]
    reference_tokenizer = AutoTokenizer.from_pretrained(str(local_model_path()))
    tokens = reference_tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    assert encoder.token_ids(texts) == reference_tokenizer(texts, truncation=True, max_length=256)["input_ids"]
    with torch.no_grad():
        hidden = AutoModel.from_pretrained(str(local_model_path())).eval()(**tokens).last_hidden_state
    mask = tokens["attention_mask"].unsqueeze(-1).float()
    reference = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1)).numpy()

    vectors = encoder.encode(texts)
    assert (vectors * reference).sum(axis=1).min() > 0.999
    # batching and length-sorting do not change a text's vector
    singles = np.stack([encoder.encode([text])[0] for text in texts])
    assert (vectors * singles).sum(axis=1).min() > 0.999
    assert encoder.encode([]).shape == (0, 384)


def test_similar_sentences_are_closer_than_unrelated_ones(local_embedder: LocalEmbedder) -> None:
    deploy, outage, lunch = local_embedder.embed(
        ["The deployment to production failed", "Our production release broke", "Who wants pizza for lunch?"])
    assert float(deploy @ outage) > float(deploy @ lunch) + 0.2


def test_loading_the_model_sends_no_telemetry(monkeypatch: Any) -> None:
    """OpenVINO's converter would report usage to Google Analytics; Confab promises nothing leaves the machine."""
    import openvino_telemetry

    from agent.embeddings import local_model_path
    from agent.minilm import MiniLMEncoder

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("OpenVINO telemetry was started")

    monkeypatch.setattr(openvino_telemetry.Telemetry, "__init__", refuse)
    encoder = MiniLMEncoder(local_model_path())
    assert encoder.encode(["still works"]).shape == (1, 384)


# --- the converted model, kept in the data folder -------------------------------------------------


def _cached_folders(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def test_the_converted_model_is_kept_and_read_back(tmp_path: Path) -> None:
    texts = ["the deploy failed again", "Lunch at noon? 🍕", "word " * 400]
    first = MiniLMEncoder(local_model_path(), cache_dir=tmp_path)
    [folder] = _cached_folders(tmp_path)  # no half-written staging folder left beside it
    assert first.loaded_from == "conversion" and folder.startswith("minilm-")
    second = MiniLMEncoder(local_model_path(), cache_dir=tmp_path)
    assert second.loaded_from == "cache"
    assert np.array_equal(second.encode(texts), first.encode(texts))


def test_one_inference_can_be_kept_to_one_core(tmp_path: Path) -> None:
    """``threads``: a process sharing the machine (or a benchmark "on one core") runs the model on fewer cores."""
    texts = ["the deploy failed again", "Lunch at noon? 🍕"]
    default = MiniLMEncoder(local_model_path(), cache_dir=tmp_path)
    one = MiniLMEncoder(local_model_path(), cache_dir=tmp_path, threads=1)
    assert int(one._model.get_property("INFERENCE_NUM_THREADS")) == 1
    assert LocalEmbedder(threads=1).threads == 1 and LocalEmbedder().threads is None
    assert ((one.encode(texts) * default.encode(texts)).sum(axis=1) > 0.9999).all()


def test_a_damaged_or_stale_cache_is_replaced(tmp_path: Path, caplog: Any) -> None:
    stale = tmp_path / "minilm-0123456789abcdef"  # an older model or library version
    stale.mkdir()
    (stale / "model.xml").write_text("<net/>")
    damaged = tmp_path / f"minilm-{_cache_key(local_model_path())}"
    damaged.mkdir()
    (damaged / "model.xml").write_bytes(b"\x00\xff not a model")
    encoder = MiniLMEncoder(local_model_path(), cache_dir=tmp_path)
    assert encoder.loaded_from == "conversion"
    assert "cached embedding model unreadable" in caplog.text
    assert _cached_folders(tmp_path) == [damaged.name]  # rewritten; the stale one removed
    assert MiniLMEncoder(local_model_path(), cache_dir=tmp_path).loaded_from == "cache"


def test_a_cache_that_cannot_be_written_only_costs_speed(tmp_path: Path, caplog: Any) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    encoder = MiniLMEncoder(local_model_path(), cache_dir=blocked / "models")
    assert "could not cache the converted embedding model" in caplog.text
    assert encoder.encode(["still works"]).shape == (1, 384)


def test_the_bot_keeps_the_converted_model_in_its_data_folder(tmp_path: Path) -> None:
    fresh = make_embedder(make_settings(tmp_path))
    assert isinstance(fresh, LocalEmbedder)
    assert fresh.model_cache_dir == tmp_path / "data" / "models"
    # each app's settings decide for its own embedder (no process-wide one keeping the first settings it saw)
    (tmp_path / "other").mkdir()
    other = make_embedder(make_settings(tmp_path / "other"))
    assert isinstance(other, LocalEmbedder) and other.model_cache_dir == tmp_path / "other" / "data" / "models"
    given = LocalEmbedder()
    assert make_embedder(make_settings(tmp_path), given) is given


def test_new_weights_or_configuration_mean_a_new_conversion(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"hidden_size": 384}')
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    keys = {_cache_key(tmp_path)}
    (tmp_path / "model.safetensors").write_bytes(b"new weights")
    keys.add(_cache_key(tmp_path))
    (tmp_path / "config.json").write_text('{"hidden_size": 768}')
    keys.add(_cache_key(tmp_path))
    assert len(keys) == 3


class _PriorityNoting:
    """An encoder that notes the niceness of the thread it is built and run on."""

    def __init__(self, *_: Any, **__: Any) -> None:
        self.built_at = _thread_nice()
        self.ran_at: list[int] = []
        self.loaded_from = "noted"

    def encode(self, texts: list[str]) -> np.ndarray:
        self.ran_at.append(_thread_nice())
        return np.ones((len(texts), 384), dtype=np.float32)


def _thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="niceness is per thread on Linux only")
def test_the_local_model_loads_and_runs_below_normal_priority(monkeypatch: Any) -> None:
    """A burst of Slack events is acknowledged by the event loop while the conversation index embeds every new
    message: the model's threads (and OpenVINO's, started from them) give way to it."""
    import agent.minilm

    monkeypatch.setattr(agent.minilm, "MiniLMEncoder", _PriorityNoting)
    embedder = LocalEmbedder()
    here = _thread_nice()
    if here >= 19:
        pytest.skip("this test runs at the lowest priority already")
    embedder.warm_up()  # from this (normal-priority) thread
    model = embedder._model
    assert isinstance(model, _PriorityNoting)
    assert model.built_at > here
    asyncio.run(embedder.aembed(["the deploy failed", "lunch at noon?"]))
    assert model.ran_at and min(model.ran_at) > here
    assert _thread_nice() == here  # the caller's own priority is left alone
