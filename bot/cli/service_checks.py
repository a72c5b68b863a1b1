"""Checks of the scaled mode's services, for ``confab doctor`` and ``confab migrate --check``.

PostgreSQL (``CONFAB_DATABASE_URL``): connect with a short timeout, report the server version, whether
the migrations are applied or pending (read from the ``schema_migrations`` table) and whether the job
queue's tables exist. Nothing is ever migrated here (``confab migrate`` does that).
Redis (``CONFAB_REDIS_URL``): PING it.

Each check opens one short-lived connection. URLs are printed with their password masked, and error
texts pass through the log masking of every configured secret.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from agent.errors import StorageError
from bot.cli.token_checks import Check

if TYPE_CHECKING:
    from agent.storage.postgres.status import StoreStatus
    from bot.settings import Settings

TIMEOUT_S = 5  # libpq's connect_timeout and Redis's socket timeouts: a doctor must not hang
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


def known_migrations() -> frozenset[int]:
    """The PostgreSQL migration versions this Confab ships."""
    from agent.storage.postgres.status import KNOWN_MIGRATIONS

    return KNOWN_MIGRATIONS


def migration_check(state: StoreStatus, known: frozenset[int]) -> Check:
    name, migrate = "migrations", "run `confab migrate` (the migrate service or Job does it before the others start)"
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


def queue_check(state: StoreStatus) -> Check:
    """procrastinate's tables, and its migrations: a pending ``pre`` one stops the new release (it expects it
    applied); ``post`` ones wait, by design, until every process runs the new release."""
    from agent.storage.postgres.queue_schema import shipped

    if state.queue:
        behind = [m for m in shipped() if state.queue_applied is not None and m.name not in state.queue_applied]
        shown = f"{len(behind)} procrastinate migration(s) pending ({', '.join(m.name for m in behind[:1])}" + (
            ", …)" if len(behind) > 1 else ")")
        if any(m.phase == "pre" for m in behind):
            return Check("job queue", False, shown, "run `confab migrate` (`confab migrate --pre` before a rolling "
                                                    "upgrade, see the deployment guide)")
        if behind:
            return Check("job queue", True, f"{shown}: run `confab migrate` once every process runs this release")
        return Check("job queue", True, "procrastinate's tables are there")
    return Check("job queue", False, "procrastinate's tables are missing",
                 "run `confab migrate` (a worker also creates them when it starts)")


def _versions(versions: list[int]) -> str:
    shown = ", ".join(map(str, versions[:8]))
    return shown + (", …" if len(versions) > 8 else "")


def postgres_checks(url: str, known: frozenset[int]) -> list[Check]:
    from agent.storage.postgres.status import Unreachable, read_status

    shown = masked_url(url)
    try:
        state = read_status(url, TIMEOUT_S)
    except Unreachable as exc:
        return [Check("CONFAB_DATABASE_URL", False, f"{shown}: cannot connect ({error_text(exc.__cause__ or exc)})",
                      "start PostgreSQL, or correct the host, port, user, password or database in "
                      "CONFAB_DATABASE_URL")]
    except StorageError as exc:  # connected, but the tables could not be read
        return [Check("CONFAB_DATABASE_URL", False, f"{shown}: connected, but could not read "
                                                    f"schema_migrations ({error_text(exc.__cause__ or exc)})",
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
