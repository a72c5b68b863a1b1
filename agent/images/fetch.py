"""Downloading a generated image from a URL the provider gave us, safely.

https only; every address the host resolves to must be public (no private, loopback, link-local,
reserved or multicast ranges: a URL is not a way into our network); a size cap enforced while
streaming; an overall timeout. Redirects are not followed (each hop would need the same checks).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from agent.errors import ImageError


class UnsafeURL(ImageError):
    user_message = "The image service sent an address I won't download from."


class ImageTooLarge(ImageError):
    user_message = "The generated image was larger than I accept."


async def check_url(url: str, allow_loopback: bool = False) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback_ok = allow_loopback and parts.scheme in ("http", "https")
    if parts.scheme != "https" and not loopback_ok:
        raise UnsafeURL(f"refusing non-https image URL {parts.scheme}://{host}")
    if not host:
        raise UnsafeURL("image URL without a host")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeURL(f"cannot resolve image host {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise UnsafeURL(f"image host {host} resolves to a non-public address {address}")


async def download(url: str, max_bytes: int, timeout_s: float, allow_loopback: bool = False) -> bytes:
    await check_url(url, allow_loopback)
    try:
        async with asyncio.timeout(timeout_s), httpx.AsyncClient(follow_redirects=False, timeout=timeout_s) as client:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ImageError(f"image download answered HTTP {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > max_bytes:
                    raise ImageTooLarge(f"declared {declared} bytes > {max_bytes}")
                data = bytearray()
                async for piece in response.aiter_bytes():
                    data += piece
                    if len(data) > max_bytes:
                        raise ImageTooLarge(f"more than {max_bytes} bytes")
                return bytes(data)
    except TimeoutError:
        raise ImageError("image download timed out") from None
    except httpx.HTTPError as exc:
        raise ImageError(f"image download failed: {type(exc).__name__}") from None
