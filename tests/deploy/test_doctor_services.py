"""``confab doctor`` checks PostgreSQL and Redis for real in the scaled mode (reachable, server version,
migrations applied or pending, PING), never migrates and never prints a password; ``confab migrate``
applies the migrations once and ``confab migrate --check`` only reads. Against the test PostgreSQL and
Redis (tests.services) and, for the failures, a closed port."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner, Result

from agent.storage.postgres.status import StoreStatus
from bot.cli import app
from bot.cli.service_checks import known_migrations, masked_url, migration_check
from tests.services import RedisTarget

CLOSED = "127.0.0.1:1"  # nothing listens on port 1: refused at once


def confab(tmp_path: Path, *args: str, **env: str) -> Result:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir(exist_ok=True)
    (knowledge / "deploy.md").write_text("# Deploy\nUse Docker.\n", encoding="utf-8")
    return CliRunner().invoke(app, list(args), env={
        "HF_HUB_OFFLINE": "1", "CONFAB_DATA_DIR": str(tmp_path / "data"), "CONFAB_KNOWLEDGE_DIR": str(knowledge),
        "CONFAB_KNOWLEDGE_WATCH": "false", **env})


def line(output: str, name: str) -> str:
    [found] = [text for text in output.splitlines() if text[9:].startswith(name + " ")]
    return found


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = current_schema()").fetchall()
    return {str(r[0]) for r in rows}


@pytest.fixture
def scaled(postgres_url: str, redis_target: RedisTarget) -> dict[str, str]:
    return {"CONFAB_DATABASE_URL": postgres_url, "CONFAB_REDIS_URL": redis_target.url,
            "CONFAB_REDIS_PREFIX": redis_target.prefix, "CONFAB_ROLE": "worker"}


def test_doctor_reports_the_server_and_pending_migrations_without_migrating(
        tmp_path: Path, scaled: dict[str, str]) -> None:
    result = confab(tmp_path, "doctor", **scaled)
    assert result.exit_code == 1, result.output
    url = scaled["CONFAB_DATABASE_URL"]
    assert line(result.output, "CONFAB_DATABASE_URL").startswith(f"ok       CONFAB_DATABASE_URL   {url} (PostgreSQL ")
    known = known_migrations()
    assert known
    migrations = line(result.output, "migrations")
    assert migrations == ("problem  migrations            none applied (no schema_migrations table), "
                          f"{len(known)} pending")
    assert "fix: run `confab migrate`" in result.output
    assert line(result.output, "CONFAB_REDIS_URL") == (
        f"ok       CONFAB_REDIS_URL      {scaled['CONFAB_REDIS_URL']} (Redis "
        + result.output.split("(Redis ")[1].split(",")[0] + f", keys under {scaled['CONFAB_REDIS_PREFIX']!r})")
    assert line(result.output, "CONFAB_ROLE") == "ok       CONFAB_ROLE           worker"
    assert line(result.output, "job queue") == "problem  job queue             procrastinate's tables are missing"
    assert tables(url) == set()  # doctor only read
    assert not (tmp_path / "data" / "confab.db").exists()  # nor did it open the SQLite memory instead
    assert result.output.strip().endswith("2 problem(s) found")


def test_migrate_applies_them_once_and_then_doctor_is_content(tmp_path: Path, scaled: dict[str, str]) -> None:
    check = confab(tmp_path, "migrate", "--check", **scaled)
    assert check.exit_code == 1 and "none applied" in check.output
    assert tables(scaled["CONFAB_DATABASE_URL"]) == set()  # --check changes nothing

    first = confab(tmp_path, "migrate", **scaled)
    assert first.exit_code == 0, first.output
    known = known_migrations()
    assert known
    applied = f"ok       migrations            all {len(known)} applied (latest {max(known)})"
    assert applied in first.output and "up to date" in first.output
    assert {"schema_migrations", "procrastinate_jobs"} <= tables(scaled["CONFAB_DATABASE_URL"])
    again = confab(tmp_path, "migrate", **scaled)  # a second run (a re-applied Job) finds nothing to do
    assert again.exit_code == 0, again.output

    assert confab(tmp_path, "migrate", "--check", **scaled).exit_code == 0
    doctor = confab(tmp_path, "doctor", "--no-call", **scaled)
    assert doctor.exit_code == 0, doctor.output
    assert applied in doctor.output and doctor.output.strip().endswith("everything looks fine")
    assert "ok       job queue             procrastinate's tables are there" in doctor.output


def test_doctor_reads_pending_and_unknown_versions_from_schema_migrations(
        tmp_path: Path, scaled: dict[str, str]) -> None:
    url = scaled["CONFAB_DATABASE_URL"]
    known = known_migrations()
    assert known
    with psycopg.connect(url) as conn:  # the table as the store creates it, nothing applied yet
        conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at double precision)")
    pending = ", ".join(map(str, sorted(known)[:8]))
    result = confab(tmp_path, "doctor", **scaled)
    assert f"problem  migrations            {len(known)} of {len(known)} pending ({pending}" in result.output

    with psycopg.connect(url) as conn:  # a newer release migrated this database
        conn.execute("INSERT INTO schema_migrations SELECT v, 0 FROM unnest(%s::int[]) AS v", (sorted(known),))
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 0)")
    result = confab(tmp_path, "doctor", **scaled)
    assert "problem  migrations            the database has migrations this Confab does not know (9999)" in (
        result.output)
    assert "fix: run the release that migrated it" in result.output


def test_unreachable_services_are_problems_with_a_fix_and_no_password(tmp_path: Path) -> None:
    result = confab(tmp_path, "doctor", CONFAB_DATABASE_URL=f"postgresql://confab:pg-s3cret-pw@{CLOSED}/confab",
                    CONFAB_REDIS_URL=f"redis://:redis-s3cret-pw@{CLOSED}/0")
    assert result.exit_code == 1
    out = result.output
    database = line(out, "CONFAB_DATABASE_URL")
    assert database.startswith(
        f"problem  CONFAB_DATABASE_URL   postgresql://confab:***@{CLOSED}/confab: cannot connect (")
    assert "Connection refused" in database or "connection failed" in database
    assert "fix: start PostgreSQL, or correct the host, port, user, password or database in CONFAB_DATABASE_URL" in out
    assert line(out, "CONFAB_REDIS_URL").startswith(
        f"problem  CONFAB_REDIS_URL      redis://:***@{CLOSED}/0: no answer to PING (ConnectionError: ")
    assert "fix: start Redis, or correct the host, port, password or database in CONFAB_REDIS_URL" in out
    assert "migrations" not in out and "job queue" not in out  # nothing to say without a connection
    assert "s3cret" not in out
    assert out.strip().endswith("2 problem(s) found")


def test_migrate_check_fails_while_the_database_is_unreachable(tmp_path: Path) -> None:
    """The Kubernetes init containers loop on it: it must not succeed before PostgreSQL answers."""
    result = confab(tmp_path, "migrate", "--check", CONFAB_DATABASE_URL=f"postgresql://confab:pw-s3cret@{CLOSED}/c",
                    CONFAB_REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.exit_code == 1 and "cannot connect" in result.output and "s3cret" not in result.output
    failed = confab(tmp_path, "migrate", CONFAB_DATABASE_URL=f"postgresql://confab:pw-s3cret@{CLOSED}/c",
                    CONFAB_REDIS_URL="redis://127.0.0.1:6379/0")
    assert failed.exit_code == 1 and "confab: migration failed: " in failed.output
    assert "s3cret" not in failed.output and "Traceback" not in failed.output


def test_migrate_on_sqlite_creates_and_migrates_the_file(tmp_path: Path) -> None:
    result = confab(tmp_path, "migrate")
    database = tmp_path / "data" / "confab.db"
    assert result.exit_code == 0 and f"SQLite {database}: up to date" in result.output
    assert database.is_file()
    check = confab(tmp_path, "migrate", "--check")
    assert check.exit_code == 0 and "migrated by Confab itself" in check.output


def test_the_embedded_mode_has_no_service_lines(tmp_path: Path) -> None:
    result = confab(tmp_path, "doctor")
    assert result.exit_code == 0, result.output
    assert "CONFAB_DATABASE_URL" not in result.output and "CONFAB_REDIS_URL" not in result.output
    assert "ok       memory" in result.output


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://confab:pa:ss@db:5432/confab", "postgresql://confab:***@db:5432/confab"),
    ("postgresql://db/confab?user=confab&password=hunter22&sslmode=require",
     "postgresql://db/confab?user=confab&password=***&sslmode=require"),
    ("postgresql://confab@db/confab", "postgresql://confab@db/confab"),
    ("redis://:hunter22@redis:6379/0", "redis://:***@redis:6379/0"),
    ("rediss://default:p%40ss@cache.example.com:6380", "rediss://default:***@cache.example.com:6380"),
])
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert masked_url(url) == shown


@pytest.mark.parametrize(("applied", "table", "found", "ok"), [
    (set(), False, "none applied (no schema_migrations table), 3 pending", False),
    ({1}, True, "2 of 3 pending (2, 5)", False),
    ({1, 2, 5}, True, "all 3 applied (latest 5)", True),
    ({1, 2, 5, 6}, True, "the database has migrations this Confab does not know (6): a newer release migrated it",
     False),
])
def test_migration_states(applied: set[int], table: bool, found: str, ok: bool) -> None:
    check = migration_check(StoreStatus("15.4", table, frozenset(applied), queue=True), frozenset({1, 2, 5}))
    assert (check.found, check.ok) == (found, ok)
    assert check.ok or check.fix
