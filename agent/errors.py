"""Errors of the agent package.

    ConfabError
    ├── ConfigError            a setting is missing or invalid (names the env var)
    ├── ModelError             the chat model failed
    │   ├── ModelTimeout       no answer within the per-call timeout or the turn deadline
    │   ├── ModelUnavailable   endpoint down, refused, auth failed
    │   └── ModelGarbage       malformed output or tool calls
    ├── BudgetExceeded         the per-turn token budget ran out
    ├── ToolError              a tool failed; ``user_message`` is safe to show
    ├── KnowledgeError         indexing or retrieval failed
    ├── ImageError             image generation failed (refusal, quota, timeout, oversize …)
    ├── SpeechError            a recording could not be transcribed (agent.speech.errors: too long, corrupt …)
    └── StorageError           the memory store failed

Every error carries ``user_message``: one short sentence that can be shown in chat.
"""

from __future__ import annotations


class ConfabError(Exception):
    user_message = "Something went wrong on my side; the team can find details in the logs."

    def __init__(self, detail: str = "", user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        if user_message is not None:
            self.user_message = user_message


class ConfigError(ConfabError):
    user_message = "Confab is misconfigured; check the settings."


class ModelError(ConfabError):
    user_message = "The language model failed to answer. Please try again in a moment."


class ModelTimeout(ModelError):
    user_message = "The language model took too long to answer. Please try again in a moment."


class ModelUnavailable(ModelError):
    user_message = "I can't reach the language model right now. Please try again later."


class ModelGarbage(ModelError):
    user_message = "The language model gave a malformed answer. Please try rephrasing."


class BudgetExceeded(ConfabError):
    user_message = "That took more work than one turn allows; please ask something narrower."


class ToolError(ConfabError):
    user_message = "A tool I needed failed."


class KnowledgeError(ConfabError):
    user_message = "The knowledge base is not available right now."


class ImageError(ConfabError):
    user_message = "I couldn't generate that image."


class SpeechError(ConfabError):
    user_message = "I couldn't transcribe that recording."


class StorageError(ConfabError):
    user_message = "I couldn't read or write my memory just now."
