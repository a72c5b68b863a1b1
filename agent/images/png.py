"""Checking that bytes really are a PNG image: signature, chunk CRCs, header, and the decompressed
pixel data having exactly the size the header promises. Never post something that isn't an image."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


class NotPNG(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PNGInfo:
    width: int
    height: int


def check_png(data: bytes, max_pixels: int = 64_000_000) -> PNGInfo:
    """Decode enough of ``data`` to be sure it is a complete PNG; raises NotPNG otherwise."""
    if not data.startswith(SIGNATURE):
        raise NotPNG("not a PNG (bad signature)")
    position, header, idat = len(SIGNATURE), None, bytearray()
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        crc = data[position + 8 + length:position + 12 + length]
        if len(body) != length or len(crc) != 4 or struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            raise NotPNG(f"damaged {kind!r} chunk")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        position += 12 + length
    else:
        raise NotPNG("truncated PNG (no IEND)")
    if header is None or not idat:
        raise NotPNG("PNG without header or pixels")
    width, height, depth, colour, _, _, interlace = header
    if not width or not height or width * height > max_pixels or colour not in _CHANNELS:
        raise NotPNG("PNG header out of range")
    try:
        pixels = zlib.decompress(bytes(idat))
    except zlib.error as exc:
        raise NotPNG(f"PNG pixel data does not decompress ({exc})") from None
    if interlace == 0:
        row_bytes = (width * _CHANNELS[colour] * depth + 7) // 8
        if len(pixels) != height * (1 + row_bytes):
            raise NotPNG("PNG pixel data has the wrong size")
    return PNGInfo(width, height)
