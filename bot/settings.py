"""Confab's settings as the platform edge reads them: the agent's (:class:`agent.settings.Settings`)
plus the Slack and Discord connections.

Read once at start-up from the environment and ``.env`` (the same file and rules as the agent's
settings), validated, and passed down; the agent is handed the same object but knows it only as
its own settings, so no platform token reaches ``agent/``. Every field is documented in
``.env.example``. Secrets are ``SecretStr``: never in logs or reprs, and
:meth:`~agent.settings.Settings.secret_values` masks these too. A bad value raises
:class:`agent.errors.ConfigError` naming the variable; an adapter missing one of its settings raises
:class:`bot.errors.ConfigError`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator

from agent.settings import Settings as AgentSettings
from agent.settings import read_settings


class Settings(AgentSettings):
    # --- Slack ---------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_mode: Literal["socket", "http"] = Field("socket", validation_alias="SLACK_MODE")
    slack_http_port: int = Field(3000, ge=1, le=65535, validation_alias="SLACK_HTTP_PORT")
    slack_http_host: str = Field("0.0.0.0", min_length=1, validation_alias="SLACK_HTTP_HOST")  # noqa: S104
    slack_api_base_url: str | None = Field(None, validation_alias="SLACK_API_BASE_URL")
    slack_admin_token: SecretStr | None = Field(None, validation_alias="SLACK_ADMIN_TOKEN")

    # --- Discord -------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_guild_id: int | None = Field(None, validation_alias="DISCORD_GUILD_ID")
    # shards in all (None: Discord's recommendation) and the ones this process runs (None: all of them)
    discord_shard_count: int | None = Field(None, ge=1, validation_alias=AliasChoices(
        "DISCORD_SHARD_COUNT", "DISCORD_SHARDS"))
    discord_shard_ids: str | None = Field(None, validation_alias="DISCORD_SHARD_IDS")
    discord_api_base_url: str | None = Field(None, validation_alias="DISCORD_API_BASE_URL")

    @field_validator("discord_shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise ValueError("a comma-separated list of shard numbers, e.g. 0,1")
        return ",".join(parts)

    @model_validator(mode="after")
    def _shards_in_range(self) -> Settings:
        ids = self.shard_ids
        if ids is not None:
            if self.discord_shard_count is None:
                raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the shards of all processes)")
            if max(ids) >= self.discord_shard_count:
                raise ValueError(f"DISCORD_SHARD_IDS must be below DISCORD_SHARD_COUNT ({self.discord_shard_count})")
        return self

    @property
    def shard_ids(self) -> list[int] | None:
        """The Discord shards this process runs, or None for all of them."""
        if self.discord_shard_ids is None:
            return None
        return sorted({int(p) for p in self.discord_shard_ids.split(",")})


def load_settings(**overrides: object) -> Settings:
    """Read and validate every setting; on failure raise ConfigError naming the env var."""
    return read_settings(Settings, **overrides)
