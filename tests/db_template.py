"""One migrated template database per test run, cloned into each xdist worker's test database.

Migrating a database from nothing costs about 30 s of CPU here, and every xdist worker used to do it at once (plus
the app template's generated tests, in their subprocess). Now the first worker to take an advisory lock migrates
`test_<name>_template` (`manage.py migrate` in a subprocess, as `make run` migrates) and marks it with the run's id;
the other workers wait on the lock, find the mark and go on. Django then creates each worker's database with
`CREATE DATABASE ... TEMPLATE` (`TEST["TEMPLATE"]`), and its usual migrate finds every migration applied, so only the
post-migrate steps run. A run without xdist, or one reusing its databases (`--reuse-db`), migrates as before.

A subprocess of the run that creates a test database of its own (tests/test_app_template.py) is handed the template
by name in OMNI_TEST_DB_TEMPLATE (tests/settings.py reads it), and its migrate applies only what the template lacks
(the generated app's migration)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings
from psycopg import sql

ENV = "OMNI_TEST_DB_TEMPLATE"
LOCK = 0x6F6D6E69_7464625F  # any 64-bit key of our own: "omnitdb_"
ROOT = Path(__file__).resolve().parents[1]


def database_url(database: dict, name: str | None = None) -> str:
    """A DATABASES entry as a DATABASE_URL for a subprocess, on its own database or on `name`."""
    credentials = quote(database["USER"] or "", safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgis://{credentials}@{host}:{port}/{name or database['NAME']}"


def maintenance_connection(database: dict) -> psycopg.Connection:
    """An autocommit connection to the server's `postgres` database (to create, drop and terminate)."""
    return psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def _mark(cursor, name: str) -> str | None:
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _build(cursor, database: dict, name: str, run: str) -> None:
    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(database, name),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    environment.pop("DATABASE_REPLICA_URL", None)
    environment.pop(ENV, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        raise RuntimeError(f"migrating the test template database failed:\n{result.stderr[-4000:]}")
    cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(run)))


def use_template(*, run: str | None) -> None:
    """Point the default test database at this run's template, building it if no worker has yet. `run` is the
    xdist run's id (None outside xdist: nothing to share, the database is migrated as before)."""
    if not run:
        return
    database = settings.DATABASES["default"]
    name = f"test_{database['NAME']}_template"
    with maintenance_connection(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        try:
            if _mark(cursor, name) != run:
                _build(cursor, database, name, run)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    database.setdefault("TEST", {})["TEMPLATE"] = name
    os.environ[ENV] = name  # for the run's subprocesses (tests/settings.py reads it)
