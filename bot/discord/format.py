"""Pure formatting of what the bot posts on Discord.

Discord renders Markdown natively, so replies are only cut under the 2,000-character message limit
(code blocks closed and reopened, words kept whole). Pings are prevented where the message is sent
(``allowed_mentions`` none on every send and edit), not here.
"""

from __future__ import annotations

from bot.text import split_message

MAX_CHARS = 2000  # Discord's limit on a message's content


def format_reply(markdown: str, limit: int = MAX_CHARS) -> list[str]:
    """The messages to post for one reply (none for blank text)."""
    return split_message(markdown.replace("\r\n", "\n"), min(limit, MAX_CHARS))
