"""Files the attachment tests post: a service log, a PDF report, a PNG."""

from __future__ import annotations

from tests.fakes.openai_server import png_bytes
from tests.knowledge.kb_files import pdf_pages

DB_ERROR = "2026-11-30 04:12:09 ERROR db: connection refused by postgres at 10.0.0.5:5432 (too many clients)"


def service_log() -> tuple[bytes, int]:
    """A 40-line log with one database error; returns it and the error's line number."""
    lines = [f"2026-11-30 04:{m:02d}:00 INFO http: GET /health 200 in {3 + m % 5} ms" for m in range(12)]
    lines += ["2026-11-30 04:12:00 INFO worker: started job 8812 (nightly export)",
              DB_ERROR,
              "2026-11-30 04:12:10 WARN worker: job 8812 retrying in 30 s",
              "2026-11-30 04:12:11 INFO notify: would tell @here and <!channel> about job 8812"]
    lines += [f"2026-11-30 04:{m:02d}:30 INFO http: GET /metrics 200 in 2 ms" for m in range(13, 37)]
    return ("\n".join(lines) + "\n").encode(), 14


def report_pdf() -> bytes:
    """Two pages of a quarterly report, with text pypdf extracts."""
    def page(lines: list[str]) -> bytes:
        shown = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
        return f"BT /F1 12 Tf 72 720 Td {shown} ET".encode()

    return pdf_pages([
        page(["Quarterly report for the platform team.",
              "Revenue from the hosted plan grew by 18 percent this quarter.",
              "The migration of the billing service to PostgreSQL finished in October."]),
        page(["Hiring plan for the next quarter.",
              "The platform team will hire two site reliability engineers.",
              "Support response times fell to four hours on average."]),
    ])


def image() -> bytes:
    return png_bytes(16, 16, (200, 40, 40))
