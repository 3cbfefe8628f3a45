"""The production web server, started with the Procfile's own command, under concurrent API clients: every answer is
a 200 and the PostgreSQL connections it holds stay within its pools (each process at most DATABASE_POOL_MAX_SIZE),
during the load and after it. Under ASGI with persistent per-thread connections (CONN_MAX_AGE), as the Procfile ran
it before, every request thread kept one until PostgreSQL refused everyone (issue 8; bench/load.py measures the
full load)."""

import http.client
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import yaml

from omni.tokens import api_token_create
from tests.celery_support import database_url
from tests.conftest import TEST_CACHE_PREFIX, TEST_REDIS_URL
from tests.crm.factories import AccountFactory

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_NAME = f"omni-web-test-{secrets.token_hex(4)}"
PROCESSES, POOL = 2, 3


def _procfile_web_line() -> str:
    return next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))[4:].strip()


def _procfile_web() -> list[str]:
    return shlex.split(_procfile_web_line())


def test_procfile_dockerfile_and_compose_run_the_same_server():
    procfile = _procfile_web()
    assert procfile[0] == ".venv/bin/gunicorn"
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert yaml.safe_load(cmd) == ["gunicorn", *procfile[1:]] == compose["services"]["web"]["command"]
    assert procfile[1:] == ["-c", "omni/gunicorn_conf.py", "omni.wsgi:application"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(transactional_db, tmp_path):
    """The Procfile's web command, run by a shell as honcho runs it, in production mode on the test database, its
    connections named for counting."""
    port = _free_port()
    argv = ["bash", "-c", f"exec {_procfile_web_line()}"]
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "omni.settings",
        "DATABASE_URL": f"{database_url()}?application_name={APPLICATION_NAME}",
        "REDIS_URL": TEST_REDIS_URL,
        "CACHE_KEY_PREFIX": TEST_CACHE_PREFIX,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_URL": "consolemail://",
        "SMS_PROVIDER": "console",
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_REDIRECT": "false",
        "API_RATE_LIMIT": "1000000",
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(PROCESSES),
        "DATABASE_POOL_MAX_SIZE": str(POOL),
    }
    log = tmp_path / "server.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    yield port
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def _server_connections(conn) -> int:
    sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s"
    return conn.execute(sql, [APPLICATION_NAME]).fetchone()[0]


@pytest.mark.slow
def test_production_server_under_concurrent_clients_keeps_connections_within_its_pools(server, agent):
    AccountFactory.create_batch(3)
    _token, raw = api_token_create(user=agent, name="load", scopes=["read"])
    headers = {"Authorization": f"Bearer {raw}", "Host": "localhost"}

    def client(_n: int) -> list[int]:
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
        statuses = []
        for _ in range(5):
            conn.request("GET", "/api/v1/crm/accounts/?limit=2", headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()
        return statuses

    peak, done = 0, threading.Event()
    with psycopg.connect(database_url().replace("postgis://", "postgresql://"), autocommit=True) as watcher:

        def watch():
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, _server_connections(watcher))

        sampler = threading.Thread(target=watch)
        sampler.start()
        try:
            with ThreadPoolExecutor(40) as pool:
                statuses = [status for batch in pool.map(client, range(40)) for status in batch]
        finally:
            done.set()
            sampler.join()
        time.sleep(1)
        after = _server_connections(watcher)
    assert statuses == [200] * 200
    assert 1 <= peak <= PROCESSES * POOL
    assert after <= PROCESSES * POOL
