"""The tool servers' file (``CONFAB_MCP_SERVERS``): which Model Context Protocol servers Confab connects to,
how, and what of theirs the model may use.

JSON (or TOML when the file ends in ``.toml``), one entry per server under ``servers``::

    {"servers": {"tickets": {"transport": "stdio", "command": "python", "args": ["tickets_mcp.py"],
                             "env": {"TICKETS_TOKEN": "…"}, "allow": ["lookup_ticket", "create_ticket"],
                             "acting": ["create_ticket"], "timeout_s": 10, "max_output_chars": 4000}}}

Deny by default: only the tools named in ``allow`` are exposed (none when it is missing or empty). A tool
counts as *acting* (it changes things, so it runs only after an admin confirms in the chat) unless the admin
lists it in ``read_only`` or the server marks it ``readOnlyHint`` (and not ``destructiveHint``); ``acting``
always wins. ``env`` and ``headers`` are secrets: never logged, never shown (see :meth:`ServerConfig.secrets`).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from agent.errors import ConfigError

SETTING = "CONFAB_MCP_SERVERS"
MAX_FILE_BYTES = 256 * 1024
# a server's name is part of the tool names the model sees (``<server>_<tool>``, at most 64 characters)
SERVER_NAME = re.compile(r"^[A-Za-z0-9-]{1,32}$")
Transport = Literal["stdio", "streamable_http", "sse"]


class ServerConfig(BaseModel):
    """One tool server. Validated strictly: an unknown key is a typo, refused rather than ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    transport: Transport
    command: str | None = None  # stdio: the program started per call, with ``args``, ``env`` and ``cwd``
    args: tuple[str, ...] = ()
    env: dict[str, SecretStr] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None  # streamable_http / sse: http(s) URL, with ``headers`` (e.g. Authorization)
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    allow: frozenset[str] = frozenset()
    acting: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()
    timeout_s: float = Field(10.0, gt=0, le=300)
    max_output_chars: int = Field(4000, ge=200, le=100_000)
    start_timeout_s: float = Field(15.0, gt=0, le=120)  # connecting and listing the tools at start

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SERVER_NAME.match(value):
            raise ValueError("a server's name is 1-32 letters, digits or '-'")
        return value

    @model_validator(mode="after")
    def _transport_fields(self) -> ServerConfig:
        if self.transport == "stdio":
            if not self.command or not self.command.strip():
                raise ValueError("a stdio server needs `command`")
            if self.url or self.headers:
                raise ValueError("`url` and `headers` are for streamable_http and sse servers")
        else:
            if not self.url or not re.match(r"^https?://[^\s/]+", self.url):
                raise ValueError(f"a {self.transport} server needs an http(s) `url`")
            if self.command or self.args or self.env or self.cwd:
                raise ValueError("`command`, `args`, `env` and `cwd` are for stdio servers")
        if both := self.acting & self.read_only:
            raise ValueError(f"listed both as acting and read_only: {', '.join(sorted(both))}")
        return self

    def is_acting(self, tool: str, annotations: dict[str, Any] | None) -> bool:
        """Whether calling ``tool`` needs an admin's confirmation: the safer answer unless told otherwise."""
        if tool in self.acting:
            return True
        if tool in self.read_only:
            return False
        hints = annotations or {}
        return not (hints.get("readOnlyHint") is True and hints.get("destructiveHint") is not True)

    def secrets(self) -> list[str]:
        """The values to mask wherever this server's errors are logged."""
        values = [v.get_secret_value() for v in (*self.env.values(), *self.headers.values())]
        return [v for v in values if len(v) >= 4]

    def connection(self) -> dict[str, Any]:
        """The langchain-mcp-adapters connection for this server."""
        if self.transport == "stdio":
            env = {k: v.get_secret_value() for k, v in self.env.items()}
            return {"transport": "stdio", "command": self.command, "args": list(self.args), "env": env or None,
                    "cwd": self.cwd}
        headers = {k: v.get_secret_value() for k, v in self.headers.items()}
        return {"transport": self.transport, "url": self.url, "headers": headers or None}


def load_servers(path: Path) -> list[ServerConfig]:
    """The servers of the file at ``path``; :class:`ConfigError` naming the file and what is wrong."""
    where = f"{SETTING}={path}"
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{where}: the file is over {MAX_FILE_BYTES // 1024} KB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: can't read it ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text, object_pairs_hook=_unique)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'} ({exc})") \
            from None
    return parse_servers(data, where)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: a server (or a key) given twice is a mistake, not the last one."""
    keys = [key for key, _ in pairs]
    if twice := sorted({key for key in keys if keys.count(key) > 1}):
        raise ValueError(f"{', '.join(repr(k[:40]) for k in twice)} given twice")
    return dict(pairs)


def parse_servers(data: object, where: str = SETTING) -> list[ServerConfig]:
    if not isinstance(data, dict) or set(data) - {"servers"} or not isinstance(data.get("servers"), dict):
        raise ConfigError(f'{where}: expected {{"servers": {{"<name>": {{…}}}}}} and nothing else')
    servers = []
    for name, entry in data["servers"].items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: server {str(name)[:40]!r} is not an object")
        try:
            servers.append(ServerConfig.model_validate({**entry, "name": name}))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'server'}: "
                                 f"{str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors())
            raise ConfigError(f"{where}: server {str(name)[:40]!r}: {problems}") from None
    return servers
