"""The real PostgreSQL and Redis the scaled-mode tests run against (loopback only), one schema and one key
prefix per test.

Where they are: ``CONFAB_TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and
``CONFAB_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``). On a machine without them the tests that
need them are skipped and the run says so once, at the end, with the reason; under ``CI=true`` a missing
service fails those tests instead, so CI never passes without the scaled mode.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

import pytest

DATABASE_URL = os.environ.get("CONFAB_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CONFAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

_missing: dict[str, str] = {}


@cache
def _postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(DATABASE_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # not installed, not running, refused, no such database …
        return f"PostgreSQL at {DATABASE_URL}: {type(exc).__name__}: {str(exc).strip()[:200]}"
    return None


@cache
def _redis_problem() -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"Redis at {REDIS_URL}: {type(exc).__name__}: {str(exc).strip()[:200]}"
    return None


def _require(name: str, problem: str | None) -> None:
    if problem is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{problem} (CI=true: the scaled-mode tests must run)", pytrace=False)
    _missing[name] = problem
    pytest.skip(f"scaled mode not tested: {problem}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database URL whose connections use a fresh schema of their own (dropped afterwards)."""
    _require("PostgreSQL", _postgres_problem())
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in DATABASE_URL else "?"
    try:
        yield f"{DATABASE_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass(frozen=True)
class RedisTarget:
    url: str
    prefix: str


@pytest.fixture
def redis_target() -> Iterator[RedisTarget]:
    """The test Redis and a key prefix of this test's own (its keys are deleted afterwards)."""
    _require("Redis", _redis_problem())
    import redis

    target = RedisTarget(REDIS_URL, f"confab-test:{uuid.uuid4().hex[:12]}:")
    try:
        yield target
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{target.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, problem in sorted(_missing.items()):
        terminalreporter.write_line(f"NOTE: the scaled-mode tests that need {name} did not run: {problem}",
                                    yellow=True)
