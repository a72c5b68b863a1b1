"""Storage fixtures: every backend (SQLite, PostgreSQL) runs the same tests; ``replica`` opens one more store on
the same database (another replica)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from agent.settings import Settings
from agent.storage import open_storage
from agent.storage.ports import Storage
from tests.fakes.settings import make_settings

Opener = Callable[[], Awaitable[Storage]]


@pytest.fixture(params=["sqlite", "postgres"])  # every backend runs the same tests
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":  # a schema of this test's own
        url = request.getfixturevalue("postgres_url")
        return make_settings(tmp_path, database_url=url, redis_url="redis://127.0.0.1:6379/15")  # type: ignore[no-any-return]
    return make_settings(tmp_path)  # type: ignore[no-any-return]


@pytest.fixture
async def replica(settings: Settings) -> AsyncIterator[Opener]:
    """Opens one more store on the same database: another replica (every one is closed at the end)."""
    opened: list[Storage] = []

    async def open_one() -> Storage:
        opened.append(await open_storage(settings))
        return opened[-1]

    yield open_one
    for one in opened:
        await one.close()


@pytest.fixture
async def store(request: pytest.FixtureRequest, settings: Settings, replica: Opener) -> Storage:
    opened = await replica()
    assert type(opened).__name__.lower().startswith("postgres" if settings.scaled else "sqlite")
    return opened
