"""Speech to text: voice messages, audio clips and uploaded recordings become text.

    errors.py       what can go wrong, each with a one-line reason people see
    audio.py        the container's header (duration, streams) and decoding to 16 kHz mono PCM with PyAV (FFmpeg)
    transcriber.py  the Transcriber port, Transcript values, and the OpenAI-compatible provider (``openai`` SDK)
    service.py      SpeechService: size, duration and daily caps, silence, decoding off the event loop, the provider

Offline there is no recognizer: ``bench/speech_wer.py`` measured PocketSphinx (the only one a PyPI wheel ships with
a model) above 25 % word error rate on real read speech, so Confab says it can't transcribe offline and names
``CONFAB_STT_MODEL`` rather than posting a wrong transcript.
"""

from agent.speech.errors import NOT_CONFIGURED
from agent.speech.service import SpeechResult, SpeechService
from agent.speech.transcriber import Segment, Transcriber, Transcript

__all__ = ["NOT_CONFIGURED", "Segment", "SpeechResult", "SpeechService", "Transcriber", "Transcript"]
