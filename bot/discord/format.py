"""Pure formatting of what the bot posts on Discord.

Discord renders Markdown natively, so replies are only cut under the 2,000-character message limit
(code blocks closed and reopened, words kept whole) and mention syntax written by a model or a
document is defused. Pings are also refused where the message is sent (``allowed_mentions`` none on
every send and edit).
"""

from __future__ import annotations

from bot.text import neutralize_mentions, split_message

MAX_CHARS = 2000  # Discord's limit on a message's content


def format_reply(markdown: str, limit: int = MAX_CHARS) -> list[str]:
    """The messages to post for one reply (none for blank text)."""
    return split_message(neutralize_mentions(markdown.replace("\r\n", "\n")), min(limit, MAX_CHARS))
