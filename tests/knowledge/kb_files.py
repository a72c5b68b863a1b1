"""Small helpers for the knowledge tests (and bench/knowledge_bad_files.py): files, PDFs, a PDF bomb."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def simple_pdf(text: str) -> bytes:
    """A minimal one-page PDF with ``text`` in Helvetica (enough for pypdf to extract)."""
    return pdf_pages([f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()])


def pdf_bomb(pages: int, repeats: int) -> bytes:
    """A small PDF whose pages each show one line ``repeats`` times (deflated): 100,000 repeats are a ~20 KB
    page that pypdf spends a minute or more on (its extraction grows quadratically with a page's text)."""
    streams = [b"BT /F1 12 Tf 72 720 Td " + f"(Page {n}: all work and no play makes Jack a dull boy.) Tj "
               .encode() * repeats + b"ET" for n in range(1, pages + 1)]
    return pdf_pages(streams, deflate=True)


def pdf_pages(streams: list[bytes], deflate: bool = False) -> bytes:
    """A PDF with one page per content stream, all in Helvetica (/F1)."""
    import zlib

    count = len(streams)
    font = 3 + 2 * count
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + " ".join(f"{3 + 2 * i} 0 R" for i in range(count)).encode()
               + b"] /Count " + str(count).encode() + b" >>"]
    for i, stream in enumerate(streams):
        data = zlib.compress(stream, 9) if deflate else stream
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(data)).encode() + (b" /Filter /FlateDecode" if deflate else b"")
                       + b" >>\nstream\n" + data + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
