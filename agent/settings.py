"""The agent's settings, read once at start-up from the environment and ``.env``.

Every field is documented in ``.env.example``. Secrets are ``SecretStr`` so they never show in
logs or reprs. A bad value raises :class:`agent.errors.ConfigError` naming the variable. The
platform edge extends these with the Slack and Discord settings (:mod:`bot.settings`); the agent
never sees a platform token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.errors import ConfigError

S = TypeVar("S", bound=BaseSettings)
SpamPolicy = Literal["off", "flag", "delete", "delete_timeout"]
# what one process does: everything (one process, the default), or one part of a scaled deployment
Role = Literal["all", "ingress", "gateway", "worker", "indexer"]


_URL_SCHEMES = {"database_url": ("postgresql", "postgres"), "redis_url": ("redis", "rediss", "unix")}


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True,
        env_ignore_empty=True,
    )

    # --- agent / model -------------------------------------------------------------------
    model: str = Field("offline", validation_alias=_env("CONFAB_MODEL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    model_temperature: float = Field(0.2, ge=0, le=2, validation_alias=_env("CONFAB_MODEL_TEMPERATURE"))
    agent_max_steps: int = Field(6, ge=1, le=50, validation_alias=_env("CONFAB_AGENT_MAX_STEPS"))
    agent_tool_timeout_s: float = Field(20.0, gt=0, validation_alias=_env("CONFAB_AGENT_TOOL_TIMEOUT"))
    agent_model_timeout_s: float = Field(60.0, gt=0, validation_alias=_env("CONFAB_AGENT_MODEL_TIMEOUT"))
    agent_deadline_s: float = Field(120.0, gt=0, validation_alias=_env("CONFAB_AGENT_DEADLINE"))
    agent_token_budget: int = Field(24000, ge=500, validation_alias=_env("CONFAB_AGENT_TOKEN_BUDGET"))
    stream_answers: bool = Field(True, validation_alias=_env("CONFAB_STREAM_ANSWERS"))
    context_messages: int = Field(20, ge=0, le=500, validation_alias=_env("CONFAB_CONTEXT_MESSAGES"))
    bot_name: str = Field("confab", min_length=1, validation_alias=_env("CONFAB_BOT_NAME"))
    # the configured model accepts images (OpenAI-style image content parts): attached images go to it
    model_vision: bool = Field(False, validation_alias=_env("CONFAB_MODEL_VISION"))

    # --- files attached to a message Confab answers ----------------------------------------
    attachment_max_mb: float = Field(10.0, gt=0, le=200, validation_alias=_env("CONFAB_ATTACHMENT_MAX_MB"))
    attachment_max_files: int = Field(4, ge=0, le=20, validation_alias=_env("CONFAB_ATTACHMENT_MAX_FILES"))

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Field(Path("data"), validation_alias=_env("CONFAB_DATA_DIR"))
    db_path: Path | None = Field(None, validation_alias=_env("CONFAB_DB_PATH"))
    retention_days: int = Field(90, ge=0, validation_alias=_env("CONFAB_RETENTION_DAYS"))
    # scaled mode: PostgreSQL instead of the SQLite file, Redis for short-lived shared state
    database_url: SecretStr | None = Field(None, validation_alias=_env("CONFAB_DATABASE_URL"))
    database_pool_size: int = Field(20, ge=2, le=500, validation_alias=_env("CONFAB_DATABASE_POOL_SIZE"))
    redis_url: SecretStr | None = Field(None, validation_alias=_env("CONFAB_REDIS_URL"))
    redis_prefix: str = Field("confab:", min_length=1, validation_alias=_env("CONFAB_REDIS_PREFIX"))
    role: Role = Field("all", validation_alias=_env("CONFAB_ROLE"))

    # --- knowledge -----------------------------------------------------------------------
    knowledge_dir: Path = Field(Path("knowledge"), validation_alias=_env("CONFAB_KNOWLEDGE_DIR"))
    index_dir: Path | None = Field(None, validation_alias=_env("CONFAB_INDEX_DIR"))
    embeddings: str = Field("local", validation_alias=_env("CONFAB_EMBEDDINGS"))
    knowledge_watch: bool = Field(True, validation_alias=_env("CONFAB_KNOWLEDGE_WATCH"))
    max_file_mb: float = Field(10.0, gt=0, validation_alias=_env("CONFAB_MAX_FILE_MB"))
    max_extract_seconds: float = Field(30.0, gt=0, validation_alias=_env("CONFAB_MAX_EXTRACT_SECONDS"))
    max_text_mb: float = Field(5.0, gt=0, validation_alias=_env("CONFAB_MAX_TEXT_MB"))
    knowledge_min_relevance: float = Field(0.4, ge=0, le=1, validation_alias=_env("CONFAB_KNOWLEDGE_MIN_RELEVANCE"))
    knowledge_base_url: str | None = Field(None, validation_alias=_env("CONFAB_KNOWLEDGE_BASE_URL"))

    # --- rate limits ---------------------------------------------------------------------
    rate_user_per_min: int = Field(10, ge=1, validation_alias=_env("CONFAB_RATE_USER_PER_MIN"))
    rate_channel_per_min: int = Field(30, ge=1, validation_alias=_env("CONFAB_RATE_CHANNEL_PER_MIN"))
    # on SIGTERM / Ctrl-C: how long answers in flight may take to finish before they are stopped
    shutdown_grace_s: float = Field(30.0, ge=0, validation_alias=_env("CONFAB_SHUTDOWN_GRACE_S"))
    # answers owed when the process died (kill -9, a crash) are resumed at start if younger than this
    resume_max_age_s: float = Field(900.0, ge=0, validation_alias=_env("CONFAB_RESUME_MAX_AGE_S"))
    max_message_chars: int = Field(8000, ge=100, validation_alias=_env("CONFAB_MAX_MESSAGE_CHARS"))
    # help channels (/confab settings help_channel on): how long a new post waits for a person to answer first
    help_grace_s: float = Field(60.0, ge=0, le=3600, validation_alias=_env("CONFAB_HELP_GRACE_S"))

    # --- moderation ----------------------------------------------------------------------
    spam_policy: SpamPolicy = Field("flag", validation_alias=_env("CONFAB_SPAM_POLICY"))
    spam_threshold: float = Field(0.5, gt=0, lt=1, validation_alias=_env("CONFAB_SPAM_THRESHOLD"))
    # the delete policies delete (and time out) only at this score or on a known phishing domain / scam
    # phrase; a message flagged below it is only flagged: a deleted message can't be given back
    spam_delete_threshold: float = Field(0.8, gt=0, le=1, validation_alias=_env("CONFAB_SPAM_DELETE_THRESHOLD"))
    mod_channel: str | None = Field(None, validation_alias=_env("CONFAB_MOD_CHANNEL"))
    spam_timeout_minutes: int = Field(10, ge=1, validation_alias=_env("CONFAB_SPAM_TIMEOUT_MINUTES"))
    exempt_roles: str = Field("", validation_alias=_env("CONFAB_EXEMPT_ROLES"))

    # --- images --------------------------------------------------------------------------
    image_model: str | None = Field(None, validation_alias=_env("CONFAB_IMAGE_MODEL"))
    image_base_url: str | None = Field(None, validation_alias=_env("CONFAB_IMAGE_BASE_URL"))
    image_api_key: SecretStr | None = Field(None, validation_alias=_env("CONFAB_IMAGE_API_KEY"))
    image_daily_limit: int = Field(20, ge=0, validation_alias=_env("CONFAB_IMAGE_DAILY_LIMIT"))
    image_max_mb: float = Field(20.0, gt=0, validation_alias=_env("CONFAB_IMAGE_MAX_MB"))

    # --- speech to text (voice messages, audio clips, `confab transcribe`) ------------------
    stt_model: str | None = Field(None, validation_alias=_env("CONFAB_STT_MODEL"))
    stt_base_url: str | None = Field(None, validation_alias=_env("CONFAB_STT_BASE_URL"))
    stt_api_key: SecretStr | None = Field(None, validation_alias=_env("CONFAB_STT_API_KEY"))
    stt_language: str | None = Field(None, max_length=8, validation_alias=_env("CONFAB_STT_LANGUAGE"))
    stt_timeout_s: float = Field(120.0, gt=0, validation_alias=_env("CONFAB_STT_TIMEOUT"))
    stt_max_minutes: float = Field(10.0, gt=0, le=240, validation_alias=_env("CONFAB_STT_MAX_MINUTES"))
    stt_max_mb: float = Field(25.0, gt=0, le=500, validation_alias=_env("CONFAB_STT_MAX_MB"))
    stt_daily_minutes: float = Field(60.0, ge=0, validation_alias=_env("CONFAB_STT_DAILY_MINUTES"))

    # --- brainstorming -------------------------------------------------------------------
    brainstorm_idle_minutes: int = Field(120, ge=1, validation_alias=_env("CONFAB_BRAINSTORM_IDLE_MINUTES"))

    # --- scheduled digests (/digest) -----------------------------------------------------
    # the time zone of a schedule set without one (an IANA name such as Europe/Berlin)
    digest_timezone: str = Field("UTC", validation_alias=_env("CONFAB_DIGEST_TIMEZONE"))

    # --- tool servers (Model Context Protocol; only with a configured model) ---------------
    # a JSON (or .toml) file naming the servers, the tools allowed and which act (knowledge/configuration.md)
    mcp_servers: Path | None = Field(None, validation_alias=_env("CONFAB_MCP_SERVERS"))
    # how long an acting tool call waits for an admin's `/confab confirm <code>`
    mcp_confirm_minutes: int = Field(10, ge=1, le=1440, validation_alias=_env("CONFAB_MCP_CONFIRM_MINUTES"))

    # --- logging -------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("CONFAB_LOG_LEVEL")
    )

    @field_validator("model")
    @classmethod
    def _model_spec(cls, value: str) -> str:
        value = value.strip()
        if value != "offline" and ":" not in value:
            raise ValueError("use 'offline' or a provider:model spec such as 'openai:gpt-4.1-mini'")
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from agent.digest.schedule import ScheduleError, zone_named

        try:
            return zone_named(value).key
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("database_url", "redis_url")
    @classmethod
    def _url_scheme(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        schemes = _URL_SCHEMES[info.field_name or ""]
        scheme = urlsplit(value.get_secret_value().strip()).scheme
        if scheme not in schemes:
            raise ValueError(f"expected a {' or '.join(s + '://' for s in schemes)} URL")
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _scaled_needs_redis(self) -> Settings:
        if self.database_url is not None and self.redis_url is None:
            raise ValueError("CONFAB_REDIS_URL must be set when CONFAB_DATABASE_URL names PostgreSQL: "
                             "several processes share rate windows and spam history through Redis")
        if self.role != "all" and self.database_url is None:
            raise ValueError(f"CONFAB_ROLE={self.role} is one part of a scaled deployment: set CONFAB_DATABASE_URL "
                             "(PostgreSQL) and CONFAB_REDIS_URL, or use CONFAB_ROLE=all")
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "confab.db"

    @property
    def knowledge_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    @property
    def model_cache_dir(self) -> Path:
        """The local embedding model, converted for OpenVINO on first use (90 MB; safe to delete)."""
        return self.data_dir / "models"

    @property
    def answers(self) -> bool:
        """This process runs the agent and sends its answers (in the scaled mode, the queued jobs): roles ``all``
        and ``worker``. An ingress, a gateway or the indexer only hands work on."""
        return self.role in ("all", "worker")

    @property
    def scaled(self) -> bool:
        """PostgreSQL and Redis: several processes share the state (otherwise one process, SQLite)."""
        return self.database_url is not None

    def secret_values(self) -> list[str]:
        """Every configured secret, for masking in logs (never for printing); a URL's password too."""
        values = (getattr(self, name) for name in type(self).model_fields)
        secrets = [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v.get_secret_value()]
        passwords = [urlsplit(s).password for s in secrets if "://" in s]
        return secrets + [p for p in passwords if p]

    @property
    def is_offline(self) -> bool:
        return self.model == "offline"

    @property
    def exempt_role_set(self) -> frozenset[str]:
        return frozenset(r.strip().lower() for r in self.exempt_roles.split(",") if r.strip())


def env_name(model: type[BaseSettings], field_name: str) -> str:
    """The environment variable a field of ``model`` is read from."""
    alias = model.model_fields[field_name].validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field_name.upper()


def read_settings(kind: type[S], /, **overrides: object) -> S:
    """Read and validate settings of ``kind``; on failure raise ConfigError naming the env var."""
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if not err["loc"]:  # a rule across settings: its message names them
                problems.append(message)
                continue
            name = str(err["loc"][0])
            if name in kind.model_fields:
                name = env_name(kind, name)
            problems.append(f"{name}: {message}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None


def load_settings(**overrides: object) -> Settings:
    """The agent's settings (the platform edge reads :func:`bot.settings.load_settings`)."""
    return read_settings(Settings, **overrides)
