"""Word error rate and real-time factor of each speech recognizer on real recorded speech with public transcripts.

The clips: the test data inside the PocketSphinx 5.1.1 source package on PyPI (nothing is fetched at run time;
install it once where ``--clips`` points, by default ``data/speech-clips``)::

    pip download --no-deps --no-binary :all: pocketsphinx==5.1.1 -d /tmp/ps
    mkdir -p data/speech-clips
    tar xzf /tmp/ps/pocketsphinx-5.1.1.tar.gz -C data/speech-clips \
        pocketsphinx-5.1.1/test/data pocketsphinx-5.1.1/LICENSE

Three sets, each with its transcript file from the package:

- ``librivox``: 5 utterances (25 s) of a LibriVox volunteer reading Jane Austen's *Sense and Sensibility*
  (LibriVox recordings are in the public domain), ``test/data/librivox/*.wav``, transcripts in ``transcription``.
  Continuous English speech of a general vocabulary: the set that decides whether an offline recognizer is good
  enough to be on by default (word error rate at most 25 %).
- ``cards``: 5 utterances (10 s) of playing-card names ("eight of spades four of clubs …"), CMU Sphinx's recordings
  (BSD-style licence, ``LICENSE``), ``test/data/cards``, transcripts in ``cards.transcription``.
- ``goforward``: "go forward ten meters" (3 s), ``test/data/goforward.raw`` (16 kHz 16-bit raw), CMU.

Recognizers: ``pocketsphinx`` (its PyPI wheel's own US English acoustic model, language model and dictionary: the
only offline recognizer a registry package ships with a model; ``pip install -e '.[speech-bench]'``), and ``api``
(Confab's OpenAI-compatible provider through :class:`agent.speech.SpeechService`, when ``CONFAB_STT_MODEL`` is set;
that one uses the network it is pointed at). Every clip goes through Confab's own decoding (PyAV to 16 kHz mono).

Word error rate: (substitutions + deletions + insertions) / reference words, over lower-cased words without
punctuation, "mr" read as "mister" and the numbers 0-20 as words. Real-time factor: wall-clock seconds spent
recognizing / seconds of audio, one clip at a time (PocketSphinx uses one core; the machine has two).

Measured on 2026-11-30 (2 cores, shared): pocketsphinx librivox WER 26.8 % (19/71), cards 4.8 % (1/21), goforward
0 % (0/4), all 20.8 %; RTF 0.78-0.91. Above 25 % on the general-vocabulary set (and voice messages are spontaneous
speech on phone microphones, harder than a studio audiobook), so no offline recognizer is on by default.

    python -m bench.speech_wer [--clips data/speech-clips] [--recognizers pocketsphinx,api] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import wave
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = "pocketsphinx-5.1.1/test/data"
_NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            "seventeen eighteen nineteen twenty").split()
_SAME = {"mr": "mister", "mrs": "missus", "metres": "meters", **{str(i): w for i, w in enumerate(_NUMBERS)}}


@dataclass
class Clip:
    set: str
    name: str
    audio: bytes  # a file Confab decodes (WAV)
    reference: str


@dataclass
class Score:
    errors: int = 0
    words: int = 0
    audio_s: float = 0.0
    busy_s: float = 0.0
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0

    @property
    def rtf(self) -> float:
        return self.busy_s / self.audio_s if self.audio_s else 0.0


def words(text: str) -> list[str]:
    return [_SAME.get(w, w) for w in re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def _transcripts(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        found = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\(([^)]+)\)\s*$", line)
        if found:
            out[found.group(2)] = " ".join(found.group(1).split())
    return out


def _wav(raw: bytes, rate: int = 16_000) -> bytes:
    out = BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(raw)
    return out.getvalue()


def load_clips(base: Path) -> list[Clip]:
    data = base / ROOT
    clips = []
    for name, text in _transcripts(data / "librivox" / "transcription").items():
        clips.append(Clip("librivox", name, (data / "librivox" / f"{name}.wav").read_bytes(), text))
    for name, text in _transcripts(data / "cards" / "cards.transcription").items():
        clips.append(Clip("cards", name, (data / "cards" / f"{name}.wav").read_bytes(), text))
    clips.append(Clip("goforward", "goforward", _wav((data / "goforward.raw").read_bytes()), "go forward ten meters"))
    return clips


def pocketsphinx_recognizer() -> Any:
    from pocketsphinx import Decoder

    decoder = Decoder()  # the wheel's en-us model, language model and dictionary

    async def recognize(pcm: Any) -> str:
        decoder.start_utt()
        decoder.process_raw(pcm.astype("<i2").tobytes(), full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    return recognize


def api_recognizer() -> Any:
    from agent.settings import load_settings
    from agent.speech import SpeechService
    from agent.speech.audio import Decoded

    service = SpeechService(load_settings())
    if not service.configured:
        return None

    async def recognize(pcm: Any) -> str:
        transcript = await service.transcribe(Decoded(pcm).wav())
        return transcript.text

    return recognize


async def run(clips: list[Clip], names: list[str]) -> dict[str, dict[str, Score]]:
    from agent.speech.audio import decode

    results: dict[str, dict[str, Score]] = {}
    for name in names:
        try:
            recognize = pocketsphinx_recognizer() if name == "pocketsphinx" else api_recognizer()
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); pip install -e '.[speech-bench]'", file=sys.stderr)
            continue
        if recognize is None:
            print(f"{name}: CONFAB_STT_MODEL is not set; skipped", file=sys.stderr)
            continue
        scores = results.setdefault(name, {})
        for clip in clips:
            pcm = decode(clip.audio, 600).pcm
            started = time.perf_counter()
            hypothesis = await recognize(pcm)
            busy = time.perf_counter() - started
            ref, hyp = words(clip.reference), words(hypothesis)
            errors = edit_distance(ref, hyp)
            for key in (clip.set, "all"):
                score = scores.setdefault(key, Score())
                score.errors += errors
                score.words += len(ref)
                score.audio_s += len(pcm) / 16_000
                score.busy_s += busy
            scores[clip.set].rows.append({"clip": clip.name, "reference": " ".join(ref),
                                          "hypothesis": " ".join(hyp), "errors": errors})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=Path, default=Path("data/speech-clips"))
    parser.add_argument("--recognizers", default="pocketsphinx,api")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.clips / ROOT).is_dir():
        print(f"No clips at {args.clips / ROOT}: install them as this module's docstring says "
              "(pip download --no-deps --no-binary :all: pocketsphinx==5.1.1, then tar xzf … -C "
              f"{args.clips}).", file=sys.stderr)
        raise SystemExit(2)
    clips = load_clips(args.clips)
    results = asyncio.run(run(clips, args.recognizers.split(",")))
    if args.json:
        print(json.dumps({name: {k: {"wer": round(s.wer, 4), "errors": s.errors, "words": s.words,
                                     "audio_s": round(s.audio_s, 2), "rtf": round(s.rtf, 3), "clips": s.rows}
                                 for k, s in sets.items()} for name, sets in results.items()}, indent=1))
        return
    print(f"clips: PocketSphinx 5.1.1 sdist test data ({len(clips)} clips) at {args.clips / ROOT}")
    for name, sets in results.items():
        for key, s in sorted(sets.items(), key=lambda kv: kv[0] == "all"):
            print(f"{name:13} {key:10} WER {s.wer:6.1%} ({s.errors}/{s.words} words)  "
                  f"audio {s.audio_s:5.1f} s  RTF {s.rtf:.3f}")
            for row in s.rows:
                print(f"    {row['clip']}: {row['errors']} errors\n      ref: {row['reference']}\n"
                      f"      hyp: {row['hypothesis']}")


if __name__ == "__main__":
    main()
