"""Image generation through the OpenAI Images API or any compatible endpoint (``openai`` SDK).

Answers come back as base64 or as a URL (downloaded with :mod:`agent.images.fetch`); either way
the bytes must decode as a PNG (:mod:`agent.images.png`) before anyone sees them. Provider
failures become one of the user-facing errors below.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from agent.errors import ImageError
from agent.images.fetch import download
from agent.images.png import NotPNG, check_png

log = logging.getLogger(__name__)

SIZES = ("1024x1024", "1024x1536", "1536x1024", "1792x1024", "1024x1792", "512x512", "256x256")


class ImageRefused(ImageError):
    user_message = ("The image service declined that prompt under its content policy. "
                    "Try describing it differently.")


class ImageQuota(ImageError):
    user_message = "The image service says our quota or rate limit is used up. Please try again later."


class ImageTimeout(ImageError):
    user_message = "The image service took too long to answer. Please try again in a moment."


class ImageMalformed(ImageError):
    user_message = "The image service sent back something that isn't a valid image, so I didn't post it."


class ImageUnavailable(ImageError):
    user_message = "I can't reach the image service right now. Please try again later."


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    png: bytes
    width: int
    height: int
    revised_prompt: str | None = None


class ImageGenerator(Protocol):
    model: str

    async def generate(self, prompt: str, size: str, style: str) -> GeneratedImage: ...


class OpenAIImages:
    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout_s: float = 90.0,
                 max_bytes: int = 20 * 1024 * 1024, allow_loopback_urls: bool = False) -> None:
        from openai import AsyncOpenAI

        self.model = model
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allow_loopback_urls = allow_loopback_urls  # tests only: the fake server lives on 127.0.0.1
        self._client = AsyncOpenAI(api_key=api_key or "not-set", base_url=base_url, timeout=timeout_s,
                                   max_retries=0)

    async def generate(self, prompt: str, size: str, style: str) -> GeneratedImage:
        import openai

        request: dict[str, Any] = {"model": self.model, "prompt": prompt, "n": 1,
                                   "size": size if size in SIZES else "1024x1024"}
        if style in ("vivid", "natural") and self.model.startswith("dall-e-3"):
            request["style"] = style
        if self.model.startswith("dall-e"):
            request["response_format"] = "b64_json"
        try:
            response = await self._client.images.generate(**request)
        except openai.APITimeoutError as exc:
            raise ImageTimeout(str(exc)) from None
        except openai.RateLimitError as exc:
            raise ImageQuota(str(exc)) from None
        except openai.BadRequestError as exc:
            if _code(exc) in ("content_policy_violation", "moderation_blocked") or "safety" in str(exc).lower():
                raise ImageRefused(str(exc)) from None
            raise ImageError(str(exc)) from None
        except openai.APIStatusError as exc:
            if exc.status_code == 402 or _code(exc) == "insufficient_quota":
                raise ImageQuota(str(exc)) from None
            raise ImageUnavailable(str(exc)) from None
        except openai.APIConnectionError as exc:
            raise ImageUnavailable(str(exc)) from None
        except (ValueError, TypeError) as exc:  # the SDK could not parse the body
            raise ImageMalformed(str(exc)) from None
        return await self._decode(response)

    async def _decode(self, response: Any) -> GeneratedImage:
        item = (getattr(response, "data", None) or [None])[0]
        if item is None:
            raise ImageMalformed("no image in the response")
        if getattr(item, "b64_json", None):
            try:
                data = base64.b64decode(item.b64_json, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ImageMalformed(f"bad base64: {exc}") from None
            if len(data) > self.max_bytes:
                from agent.images.fetch import ImageTooLarge

                raise ImageTooLarge(f"{len(data)} bytes > {self.max_bytes}")
        elif getattr(item, "url", None):
            data = await download(item.url, self.max_bytes, self.timeout_s, self.allow_loopback_urls)
        else:
            raise ImageMalformed("neither b64_json nor url in the response")
        try:
            info = check_png(data)
        except NotPNG as exc:
            raise ImageMalformed(str(exc)) from None
        return GeneratedImage(data, info.width, info.height, getattr(item, "revised_prompt", None))


def _code(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("code") or error.get("type") or "")
    return str(getattr(exc, "code", "") or "")
