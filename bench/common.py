"""What every benchmark shares: a database of its own, migrated; a staff token; free ports and servers started
as production runs them; progress bars and percentiles. Import it first: it puts the project on sys.path."""

import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import environ  # noqa: E402

env = environ.Env()
if (ROOT / ".env").exists():
    environ.Env.read_env(ROOT / ".env")


def use_database(suffix: str) -> str:
    """Point this process (and the servers it starts) at DATABASE_URL's database name + `_<suffix>`."""
    base = env.str("DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/omni")
    url = base.rsplit("/", 1)[0] + "/" + base.rsplit("/", 1)[1].split("?")[0] + "_" + suffix
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings")
    os.environ.setdefault("DEBUG", "true")  # this process seeds in development mode; the servers run with DEBUG off
    return url


def migrate(label: str, process_env: dict | None = None) -> None:
    """Create the bench database when missing, set Django up and migrate it."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "createdb.py")], check=True, env=process_env or os.environ)
    import django

    django.setup()
    from django.core.management import call_command

    print(f"- migrating {label}")
    call_command("migrate", verbosity=0)


def dsn() -> str:
    """The bench database's psycopg connection string (Django's settings)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    parts = {
        "dbname": settings_dict["NAME"],
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": settings_dict.get("PORT") or 5432,
        "user": settings_dict.get("USER") or "postgres",
    }
    if settings_dict.get("PASSWORD"):
        parts["password"] = settings_dict["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items())


def read_token(email: str, name: str, **user_fields) -> str:
    """A read-scoped API token of a staff user made for the bench."""
    from omni.choices import Audience
    from omni.models import User
    from omni.tokens import api_token_create

    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, secrets.token_urlsafe(16), audience=Audience.STAFF, **user_fields
    )
    _token, raw = api_token_create(user=user, name=name, scopes=["read"])
    return raw


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, *, process: subprocess.Popen | None = None, name: str = "server", tries: int = 100) -> None:
    """Wait until something listens on the port; SystemExit when the process exits first or time runs out."""
    for _ in range(tries):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}") from None
            time.sleep(0.1)
    raise SystemExit(f"{name}: nothing listens on {port}")


def server_env(**extra: str) -> dict:
    """The environment a web server under test runs with: production settings, nothing sent, no rate limit."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_URL": "consolemail://",  # chosen explicitly, as production requires; the bench sends no email
        "SMS_PROVIDER": "console",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The limiter still counts every request in Redis; the limit is only raised so the bench is not refused.
        "API_RATE_LIMIT": "1000000000",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    print(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", end="", flush=True)
    if done >= total:
        print()


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


# ---- an API list page against its raw-SQL floor (bench/api_list.py, bench/sla_scan.py) ---------------------------

WARM_UP = 20  # requests not timed: connections, caches, the token lookup


def start_gunicorn(port: int) -> subprocess.Popen:
    """gunicorn with 2 sync workers and DEBUG off (server_env), on 127.0.0.1:`port`, once it listens."""
    argv = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "omni.wsgi:application", "--workers", "2",
        "--bind", f"127.0.0.1:{port}", "--preload", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(argv, cwd=ROOT, env=server_env())
    try:
        wait_port(port, process=process, name="gunicorn")
    except SystemExit:
        process.kill()
        raise
    return process


def time_api(port: int, token: str, path: str, requests: int) -> tuple[list[float], int]:
    """Seconds each GET of `path` took (keep-alive, a Bearer token) after the warm-up, and the body's size."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token}", "Host": "localhost"}
    timings, size = [], 0
    for i in range(requests + WARM_UP):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"API answered {response.status}: {body[:300]!r}")
        if i >= WARM_UP:
            timings.append(elapsed)
        size = len(body)
        if i % 50 == 0:
            progress(min(i, requests), requests, "api    ")
    progress(requests, requests, "api    ")
    return timings, size


def time_floor(requests: int, *, count_sql: str, page_sql: str) -> list[float]:
    """The floor of a list page: its COUNT and its rows straight from psycopg, as dicts, through json.dumps."""
    import json

    import psycopg

    timings = []
    with psycopg.connect(dsn()) as conn:
        for i in range(requests + WARM_UP):
            started = time.perf_counter()
            with conn.cursor() as cursor:
                cursor.execute(count_sql)
                count = cursor.fetchone()[0]
                cursor.execute(page_sql)
                columns = [c.name for c in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            json.dumps({"count": count, "next": None, "previous": None, "results": rows}, default=str)
            elapsed = time.perf_counter() - started
            if i >= WARM_UP:
                timings.append(elapsed)
    return timings
