"""procrastinate's schema follows the installed procrastinate: created with a record of every migration it
ships, then upgraded with the migration files a newer version brings, each applied once however many
migrators run, ``pre`` ones before a rolling upgrade and ``post`` ones after it, a failing one rolled back
whole. Against the test PostgreSQL; a newer procrastinate is a folder of the real files plus new ones."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from agent.storage.postgres import queue_schema
from agent.storage.postgres.queue_schema import (
    QueueSchemaError,
    ensure_schema,
    installed_migrations,
    pending,
    shipped,
    upgrade_schema,
)
from bot.cli import app
from tests.services import RedisTarget

ADD_NOTE = "ALTER TABLE procrastinate_jobs ADD COLUMN confab_note text;\n"  # fails if applied twice
INDEX_NOTE = "CREATE INDEX procrastinate_jobs_confab_note ON procrastinate_jobs (confab_note);\n"


def newer(tmp_path: Path, **extra: str) -> Path:
    """The installed procrastinate's migration files plus ``extra`` (file name without ``.sql``: its SQL)."""
    folder = tmp_path / "migrations"
    shutil.copytree(installed_migrations(), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for name, sql in extra.items():
        (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
    return folder


@pytest.fixture
async def conn(postgres_url: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as opened:
        yield opened


async def columns(conn: psycopg.AsyncConnection[object]) -> set[str]:
    cursor = await conn.execute("SELECT column_name FROM information_schema.columns "
                                "WHERE table_schema = current_schema() AND table_name = 'procrastinate_jobs'")
    return {str(row[0]) for row in await cursor.fetchall()}


async def recorded(conn: psycopg.AsyncConnection[object]) -> set[str]:
    cursor = await conn.execute("SELECT name FROM confab_queue_migrations")
    return {str(row[0]) for row in await cursor.fetchall()}


async def test_a_new_schema_records_every_migration_the_installed_version_ships(conn: psycopg.AsyncConnection[object]
                                                                                ) -> None:
    assert await ensure_schema(conn)
    names = {m.name for m in shipped()}
    assert "03.04.00_50_post_add_retry_failed_job_procedure.sql" in names  # the real files are read
    assert await recorded(conn) == names
    assert await pending(conn) == []
    assert await upgrade_schema(conn) == []  # nothing to apply on a schema just made


async def test_a_newer_version_is_applied_pre_then_post_and_each_once_across_migrators(
        postgres_url: str, conn: psycopg.AsyncConnection[object], tmp_path: Path) -> None:
    await ensure_schema(conn)
    folder = newer(tmp_path, **{"99.00.00_01_pre_add_note": ADD_NOTE, "99.00.00_50_post_index_note": INDEX_NOTE})
    assert [m.name for m in await pending(conn, folder)] == ["99.00.00_01_pre_add_note.sql",
                                                             "99.00.00_50_post_index_note.sql"]
    others = [await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) for _ in range(2)]
    try:
        before = await asyncio.gather(*(upgrade_schema(c, pre_only=True, folder=folder) for c in [conn, *others]))
        assert sorted(name for run in before for name in run) == ["99.00.00_01_pre_add_note.sql"]
        assert "confab_note" in await columns(conn)
        assert [m.name for m in await pending(conn, folder)] == ["99.00.00_50_post_index_note.sql"]

        after = await asyncio.gather(*(upgrade_schema(c, folder=folder) for c in [conn, *others]))
        assert sorted(name for run in after for name in run) == ["99.00.00_50_post_index_note.sql"]
    finally:
        for other in others:
            await other.close()
    cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs_confab_note') IS NOT NULL")
    assert await cursor.fetchone() == (True,)
    assert await pending(conn, folder) == []


async def test_a_failing_migration_leaves_nothing_of_itself_and_names_the_file(
        conn: psycopg.AsyncConnection[object], tmp_path: Path) -> None:
    await ensure_schema(conn)
    folder = newer(tmp_path, **{
        "99.00.00_01_pre_add_note": ADD_NOTE,
        "99.00.01_01_pre_broken": "ALTER TABLE procrastinate_jobs ADD COLUMN half text;\nSELECT no_such_function();\n",
        "99.00.02_01_pre_after": "ALTER TABLE procrastinate_jobs ADD COLUMN later text;\n"})
    with pytest.raises(QueueSchemaError, match=re.escape("99.00.01_01_pre_broken.sql failed: UndefinedFunction")):
        await upgrade_schema(conn, folder=folder)
    assert {"confab_note", "half", "later"} & await columns(conn) == {"confab_note"}  # the one before it stays
    assert [m.name for m in await pending(conn, folder)] == ["99.00.01_01_pre_broken.sql", "99.00.02_01_pre_after.sql"]


async def test_pre_only_does_not_jump_over_a_post_migration_of_an_older_version(
        conn: psycopg.AsyncConnection[object], tmp_path: Path) -> None:
    await ensure_schema(conn)
    folder = newer(tmp_path, **{"99.00.00_50_post_index_note": "SELECT 1;\n", "99.01.00_01_pre_add_note": ADD_NOTE})
    with pytest.raises(QueueSchemaError, match="upgrade one version at a time"):
        await upgrade_schema(conn, pre_only=True, folder=folder)
    assert "confab_note" not in await columns(conn)
    assert len(await pending(conn, folder)) == 2


async def test_a_schema_made_before_the_record_is_taken_as_the_installed_versions(
        conn: psycopg.AsyncConnection[object]) -> None:
    await ensure_schema(conn)
    await conn.execute("DROP TABLE confab_queue_migrations")
    assert not await ensure_schema(conn)
    assert await recorded(conn) == {m.name for m in shipped()}


def test_confab_migrate_pre_then_plain_upgrades_the_queue_and_doctor_follows(
        tmp_path: Path, postgres_url: str, redis_target: RedisTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    env = {"HF_HUB_OFFLINE": "1", "CONFAB_DATA_DIR": str(tmp_path / "data"), "CONFAB_KNOWLEDGE_DIR": str(knowledge),
           "CONFAB_DATABASE_URL": postgres_url, "CONFAB_REDIS_URL": redis_target.url,
           "CONFAB_REDIS_PREFIX": redis_target.prefix, "CONFAB_ROLE": "worker"}

    def confab(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=env)
        return result.exit_code, result.output

    assert confab("migrate")[0] == 0  # this release: everything applied
    folder = newer(tmp_path, **{"99.00.00_01_pre_add_note": ADD_NOTE, "99.00.00_50_post_index_note": INDEX_NOTE})
    monkeypatch.setattr(queue_schema, "installed_migrations", lambda: folder)  # a newer procrastinate installed

    code, doctor = confab("doctor", "--no-call")
    assert code == 1 and "problem  job queue             2 procrastinate migration(s) pending " \
                          "(99.00.00_01_pre_add_note.sql, …)" in doctor
    code, output = confab("migrate", "--pre")
    assert code == 0, output
    assert "applied procrastinate migration 99.00.00_01_pre_add_note.sql" in output
    assert ("ok       job queue             1 procrastinate migration(s) pending (99.00.00_50_post_index_note.sql): "
            "run `confab migrate` once every process runs this release") in output
    assert "ready for the new release; run `confab migrate` once it runs everywhere" in output
    code, output = confab("migrate", "--check")  # what the pods' init containers wait on: the release may start
    assert code == 0, output
    code, output = confab("migrate")
    assert code == 0 and "applied procrastinate migration 99.00.00_50_post_index_note.sql" in output, output
    code, doctor = confab("doctor", "--no-call")
    assert code == 0 and "ok       job queue             procrastinate's tables are there" in doctor, doctor
