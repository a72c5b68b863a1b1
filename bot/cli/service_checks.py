"""Checks of the scaled mode's services, for ``confab doctor`` and ``confab migrate --check``.

PostgreSQL (``CONFAB_DATABASE_URL``): connect with a short timeout, report the server version, whether
the migrations are applied or pending (read from the ``schema_migrations`` table) and whether the job
queue's tables exist. Nothing is ever migrated here (``confab migrate`` does that).
Redis (``CONFAB_REDIS_URL``): PING it.

Each check opens one short-lived connection. URLs are printed with their password masked, and error
texts pass through the log masking of every configured secret.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bot.cli.token_checks import Check

if TYPE_CHECKING:
    import psycopg

    from bot.settings import Settings

TIMEOUT_S = 5  # libpq's connect_timeout and Redis's socket timeouts: a doctor must not hang
_MIGRATIONS_MODULE = "agent.storage.postgres.migrations"
_PASSWORD_PARAM = re.compile(r"(?i)(\bpassword=)[^&]*")


def masked_url(url: str) -> str:
    """``url`` with the password (in the user part or a ``password=`` parameter) replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hosts = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:***@{hosts}"
    return urlunsplit(parts._replace(netloc=netloc, query=_PASSWORD_PARAM.sub(r"\1***", parts.query)))


def error_text(exc: BaseException) -> str:
    """The exception's type and first line, every registered secret masked (for printing)."""
    from bot.logs import mask_secrets

    first_line = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return mask_secrets(f"{type(exc).__name__}: {first_line}"[:300])


def known_migrations() -> frozenset[int] | None:
    """The PostgreSQL migration versions this Confab ships, or None when it has no PostgreSQL store."""
    try:
        module = importlib.import_module(_MIGRATIONS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is not None and _MIGRATIONS_MODULE.startswith(exc.name):
            return None
        raise
    # {version: sql} like the SQLite store's MIGRATIONS (iterating it gives the versions)
    return frozenset(int(version) for version in module.MIGRATIONS)


@dataclass(frozen=True)
class MigrationState:
    server_version: str
    table: bool  # schema_migrations exists: the database was migrated at least once
    applied: frozenset[int]
    queue: bool  # procrastinate's tables (the job queue) exist


def read_state(conn: psycopg.Connection[tuple[Any, ...]]) -> MigrationState:
    """The server's version and the applied migrations, read only. Raises psycopg's errors."""
    conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(TIMEOUT_S * 1000),))
    version = conn.execute("SHOW server_version").fetchone()
    # to_regclass follows the search_path, as the store's own queries do
    table = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    exists = bool(table and table[0])
    rows = conn.execute("SELECT version FROM schema_migrations").fetchall() if exists else []
    queue = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    return MigrationState(str(version[0]) if version else "?", exists, frozenset(int(r[0]) for r in rows),
                          bool(queue and queue[0]))


def migration_check(state: MigrationState, known: frozenset[int] | None) -> Check:
    name, migrate = "migrations", "run `confab migrate` (the migrate service or Job does it before the others start)"
    if known is None:
        return Check(name, False, "this Confab has no PostgreSQL store (agent.storage.postgres is missing)",
                     "install a release with the PostgreSQL store, or unset CONFAB_DATABASE_URL to use SQLite")
    if not state.table:
        return Check(name, False, f"none applied (no schema_migrations table), {len(known)} pending", migrate)
    newer = sorted(state.applied - known)
    if newer:
        return Check(name, False, f"the database has migrations this Confab does not know ({_versions(newer)}): "
                                  "a newer release migrated it",
                     "run the release that migrated it; an older one must not run against a newer schema")
    pending = sorted(known - state.applied)
    if pending:
        return Check(name, False, f"{len(pending)} of {len(known)} pending ({_versions(pending)})", migrate)
    return Check(name, True, f"all {len(known)} applied (latest {max(known, default=0)})")


def queue_check(state: MigrationState) -> Check:
    if state.queue:
        return Check("job queue", True, "procrastinate's tables are there")
    return Check("job queue", False, "procrastinate's tables are missing",
                 "run `confab migrate` (a worker also creates them when it starts)")


def _versions(versions: list[int]) -> str:
    shown = ", ".join(map(str, versions[:8]))
    return shown + (", …" if len(versions) > 8 else "")


def postgres_checks(url: str, known: frozenset[int] | None) -> list[Check]:
    import psycopg

    shown = masked_url(url)
    try:
        conn = psycopg.connect(url, connect_timeout=TIMEOUT_S, autocommit=True)
    except Exception as exc:  # refused, timed out, bad password, no such database …
        return [Check("CONFAB_DATABASE_URL", False, f"{shown}: cannot connect ({error_text(exc)})",
                      "start PostgreSQL, or correct the host, port, user, password or database in "
                      "CONFAB_DATABASE_URL")]
    with conn:
        try:
            state = read_state(conn)
        except psycopg.Error as exc:
            return [Check("CONFAB_DATABASE_URL", False, f"{shown}: connected, but could not read "
                                                        f"schema_migrations ({error_text(exc)})",
                          "let CONFAB_DATABASE_URL's user read its schema (the one confab migrate created)")]
    return [Check("CONFAB_DATABASE_URL", True, f"{shown} (PostgreSQL {state.server_version})"),
            migration_check(state, known), queue_check(state)]


def redis_check(url: str, prefix: str) -> Check:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    shown = masked_url(url)
    # one attempt: redis-py retries by default, which would multiply the timeout
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S,
                                  retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
        info = client.info("server")
    except Exception as exc:
        return Check("CONFAB_REDIS_URL", False, f"{shown}: no answer to PING ({error_text(exc)})",
                     "start Redis, or correct the host, port, password or database in CONFAB_REDIS_URL")
    finally:
        client.close()
    return Check("CONFAB_REDIS_URL", True, f"{shown} (Redis {info.get('redis_version', '?')}, keys under {prefix!r})")


def scaled_checks(settings: Settings) -> list[Check]:
    """The PostgreSQL and Redis checks, for the ones the settings name (none in the embedded mode)."""
    from bot.logs import register_secrets

    register_secrets(settings.secret_values())  # an error text quoting a URL must not print its password
    checks: list[Check] = []
    if settings.database_url is not None:
        checks += postgres_checks(settings.database_url.get_secret_value(), known_migrations())
    if settings.redis_url is not None:
        checks.append(redis_check(settings.redis_url.get_secret_value(), settings.redis_prefix))
    if settings.scaled or settings.role != "all":
        checks.append(Check("CONFAB_ROLE", True, settings.role))
    return checks
