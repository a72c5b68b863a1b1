"""HTML and PDF to text in a worker process, under a time limit and a text limit per file.

pypdf and BeautifulSoup run code whose cost the file decides: pypdf took 63 s on one 17 KB page that
repeats a text operator 100,000 times (its extraction grows quadratically with a page's text), so a 740 KB,
30-page PDF of such pages keeps it busy for over an hour; 84 KB of HTML, 4,000 elements deep, takes the HTML
reading below 55 s. In-process, nothing could stop them, and the build held a lock questions waited on. So the
conversion runs in a child process (``python -m agent.knowledge.convert``) that is killed when a file
overruns ``CONFAB_MAX_EXTRACT_SECONDS``; PDF text is counted page by page and the file is given up as soon
as it passes ``CONFAB_MAX_TEXT_MB``. The worker never opens files itself: it is sent the very bytes that were
hashed (so a file swapped for a FIFO cannot block it), its address space is capped (a MemoryError, not a
swapping machine) and it runs at a lower CPU priority than the process answering questions.

Protocol, one request at a time: a JSON header line ``{"kind", "size", "max_chars", "max_seconds"}`` then ``size``
bytes on stdin; one JSON line back on stdout: ``{"text": ...}``, ``{"over": chars}`` or ``{"error": name}``.
The worker starts with the first file that needs it, is reused for the rest of the build and replaced
after a kill.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

MB = 1024 * 1024
WORKER_MEMORY = 2048 * MB  # address space of the worker: far above what a 10 MB document needs
START_SECONDS = 60.0  # importing pypdf and bs4 in a fresh interpreter, on a busy machine; not a file's time
KINDS = ("html", "pdf")


class ConversionFailed(Exception):
    """The file gave no text within the limits; ``reason`` is for the build report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Converter:
    """Converts documents in one reusable worker process; use as a context manager (or call ``close``)."""

    def __init__(self, max_seconds: float, max_chars: int) -> None:
        self.max_seconds = max_seconds
        self.max_chars = max_chars
        self._proc: subprocess.Popen[bytes] | None = None
        self._pending = b""

    def __enter__(self) -> Converter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def convert(self, kind: str, data: bytes) -> str:
        """The text of a document of ``kind`` (html or pdf) whose bytes are ``data``."""
        proc = self._worker()
        header = {"kind": kind, "size": len(data), "max_chars": self.max_chars, "max_seconds": self.max_seconds}
        deadline = time.monotonic() + self.max_seconds
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(header).encode() + b"\n" + data)
            proc.stdin.flush()
            answer = json.loads(self._read_line(deadline))
        except TimeoutError:
            self.close()
            raise ConversionFailed(f"reading it took over {self.max_seconds:g} s "
                                   "(the limit is CONFAB_MAX_EXTRACT_SECONDS)") from None
        except (OSError, ValueError, EOFError) as exc:
            self.close()
            raise ConversionFailed(f"unreadable {kind} (the reader stopped: {type(exc).__name__})") from None
        if "over" in answer:
            raise ConversionFailed(f"over the text limit (more than {self.max_chars / MB:g} MB of text; "
                                   "the limit is CONFAB_MAX_TEXT_MB)")
        if "error" in answer:
            raise ConversionFailed(f"unreadable {kind} ({answer['error']})")
        return str(answer["text"])

    def close(self) -> None:
        proc, self._proc, self._pending = self._proc, None, b""
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self.close()
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        self._proc = subprocess.Popen([sys.executable, "-m", "agent.knowledge.convert"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                      stderr=subprocess.DEVNULL)  # pypdf's warnings would garble the console
        try:
            if json.loads(self._read_line(time.monotonic() + START_SECONDS)) != {"ready": True}:
                raise ValueError("unexpected greeting")
        except (TimeoutError, OSError, ValueError, EOFError) as exc:
            self.close()
            raise ConversionFailed(f"the document reader did not start ({type(exc).__name__})") from None
        return self._proc

    def _read_line(self, deadline: float) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                block = os.read(fd, 1 << 20)
                if not block:
                    raise EOFError("the document reader exited")
                self._pending += block
        line, _, self._pending = self._pending.partition(b"\n")
        return line


class _Full(Exception):
    def __init__(self, chars: int) -> None:
        self.chars = chars


def html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript", "template"]):
        tag.decompose()
    lines: list[str] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td", "th", "dt", "dd"]):
        if element.find_parent(["p", "li", "pre", "td", "th", "dd"]) is not None:
            continue  # nested: its text is part of the parent's
        text = " ".join(element.get_text(" ").split()) if element.name != "pre" else element.get_text()
        if not text.strip():
            continue
        if element.name and element.name[0] == "h" and element.name[1:].isdigit():
            lines += ["", "#" * int(element.name[1:]) + " " + text, ""]
        elif element.name == "li":
            lines.append(f"- {text}")
        else:
            lines += [text, ""]
    return "\n".join(lines).strip() + "\n"


def pdf_text(data: bytes, max_chars: int) -> str:
    """Page by page, given up (``_Full``) as soon as the text passes ``max_chars``."""
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    pages: list[str] = []
    total = 0
    for number, page in enumerate(reader.pages, start=1):
        text = (page.extract_text() or "").strip()
        if text:
            pages.append(f"## Page {number}\n\n{text}\n")
            total += len(pages[-1])
            if total > max_chars:
                raise _Full(total)
    return "\n".join(pages)


def _convert(kind: str, data: bytes, max_chars: int) -> dict[str, Any]:
    try:
        if kind == "pdf":
            text = pdf_text(data, max_chars)
        elif kind == "html":
            text = html_text(data.decode("utf-8", errors="replace"))
        else:
            return {"error": f"unknown kind {kind!r}"}
    except _Full as full:
        return {"over": full.chars}
    except Exception as exc:  # a malformed document is a reason in the report, not a dead worker
        return {"error": type(exc).__name__}
    if len(text) > max_chars:
        return {"over": len(text)}
    # valid Unicode only (a broken ToUnicode map can yield lone surrogates), which every later step can encode
    return {"text": text.encode("utf-8", "replace").decode("utf-8")}


def _cpu_budget(seconds: float) -> None:
    """The worker also stops itself (SIGXCPU) a little after the file's time is up, should the process
    that was to kill it be gone: no orphan spends hours on a bomb."""
    if seconds <= 0:
        return
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(usage.ru_utime + usage.ru_stime + seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    except (ImportError, ValueError, OSError):
        pass


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the time limit still holds
    try:
        os.nice(10)  # questions asked while the folder is indexed come first
    except (AttributeError, OSError):
        pass
    import bs4  # noqa: F401  (imported before the greeting: start-up is not charged to the first file)
    import pypdf  # noqa: F401

    answers.write(b'{"ready": true}\n')
    answers.flush()
    while header := requests.readline():
        request = json.loads(header)
        data = requests.read(int(request["size"]))
        _cpu_budget(float(request.get("max_seconds", 0)))
        answer = _convert(str(request["kind"]), data, int(request["max_chars"]))
        answers.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        answers.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
