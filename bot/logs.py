"""Logging set-up: one line per event, with the structured ``extra`` fields appended as key=value."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if fields:
            line += " " + " ".join(f"{k}={v!r}" for k, v in sorted(fields.items()))
        return line


def setup_logging(level: str = "INFO", file: Path | None = None) -> None:
    """Log to ``file`` when given (the console chat keeps the terminal clean), else to stderr."""
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.webhook logs each interaction URL, which carries its token (a secret), at DEBUG
    for noisy in ("httpx", "httpcore", "transformers", "urllib3", "filelock", "discord.webhook"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


_MASK = "[secret]"


class Redactor:
    """The secrets to mask in log records; installed once into logging's record factory (logging is
    process-wide, so this is where its state lives, not in this module)."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _MASK)
        return text

    def redact(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the logging module's to report
            return
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            masked = self.mask(text)
            if masked != text:
                record.exc_text = masked


def _installed() -> Redactor:
    """The redactor in logging's record factory, installing one on first use."""
    base = logging.getLogRecordFactory()
    found = getattr(base, "confab_redactor", None)
    if isinstance(found, Redactor):
        return found
    redactor = Redactor()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        redactor.redact(record)
        return record

    factory.confab_redactor = redactor  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    return redactor


def register_secrets(values: Iterable[str]) -> None:
    """Mask these strings in every log record from now on: providers echo API keys in their errors,
    and an exception's text ends up in a log line."""
    secrets = {v for v in values if len(v) >= 6}
    if secrets:
        _installed().secrets.update(secrets)


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret replaced, for messages printed outside logging."""
    found = getattr(logging.getLogRecordFactory(), "confab_redactor", None)
    return found.mask(text) if isinstance(found, Redactor) else text
