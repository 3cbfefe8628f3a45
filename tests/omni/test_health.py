"""/health/ against a real Celery worker and beat (subprocesses), a real Redis, and a second redis-server that the
test starts and shuts down; /metrics in Prometheus text format."""

import contextlib
import json
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client, override_settings

from tests.celery_support import broker_lock, celery_env, celery_start, process_stop
from tests.conftest import TEST_CACHE_PREFIX, TEST_REDIS_URL

START_TIMEOUT = 60
METRICS_TOKEN = "s3cret-scraper"
DOCUMENTED_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"  # django-celery-beat's docs


@pytest.fixture(autouse=True)
def _health_settings(settings):
    """A metrics token (the detailed answer needs it); no caching unless a test is about it, so each call sees
    the processes as they are now."""
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.HEALTH_CACHE_SECONDS = 0


def _get_health(client=None, *, token=METRICS_TOKEN):
    """The detailed answer (with the metrics token) unless token=None."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = (client or Client(HTTP_HOST="localhost")).get("/health/", **headers)
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Celery:
    """A real worker and beat on the test Redis, stamping the keys this test worker reads. The worker consumes
    a private queue only, so it never picks up tasks other tests left in the shared broker."""

    def __init__(self, tmp_path: Path, *beat_args: str, heartbeat_interval: int = 3600):
        self.queue = f"health-test-{uuid.uuid4().hex[:8]}"
        # By default beat queues no heartbeats on the shared default queue, which no test worker drains; stop()
        # drops what beat did queue there.
        self.env = celery_env(HEARTBEAT_INTERVAL=str(heartbeat_interval))
        self.logs = tmp_path
        self.worker = self._start(
            "worker", "-c", "1", "-P", "solo", "-Q", self.queue, "-n", f"{self.queue}@%h", "--without-mingle",
            "--without-gossip",
        )  # fmt: skip
        self.beat = self._start("beat", "--pidfile=", *beat_args)

    def _start(self, kind: str, *args: str) -> subprocess.Popen:
        return celery_start(kind, *args, env=self.env, log=self.logs / f"{kind}.log")

    def log(self, kind: str) -> str:
        return (self.logs / f"{kind}.log").read_text(errors="replace")[-3000:]

    def wait_healthy(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for kind, process in (("worker", self.worker), ("beat", self.beat)):
                assert process.poll() is None, f"celery {kind} exited:\n{self.log(kind)}"
            response, body = _get_health()
            workers = body["details"]["worker"].get("workers", [])
            if response.status_code == 200 and any(name.startswith(self.queue) for name in workers):
                return body
            time.sleep(0.25)
        pytest.fail(f"/health/ not 200 after {START_TIMEOUT} s: {body}\n{self.log('worker')}\n{self.log('beat')}")

    def stop(self) -> None:
        process_stop(self.worker)
        process_stop(self.beat)
        client = redis.Redis.from_url(TEST_REDIS_URL)
        leftovers = list(client.scan_iter(f"*{self.queue}*"))  # the private queue's kombu bindings
        if leftovers:
            client.delete(*leftovers)
        from omni.celery import app

        queue = app.conf.task_default_queue
        for raw in client.lrange(queue, 0, -1):  # what this beat sent: no test worker would ever take it
            if "periodic_task_name" in json.loads(raw)["headers"]:
                client.lrem(queue, 1, raw)


@pytest.fixture
def broker_to_ourselves():
    with broker_lock():
        yield


@pytest.fixture
def celery_processes(broker_to_ourselves, transactional_db, tmp_path):
    processes = Celery(tmp_path, "-s", str(tmp_path / "beat-schedule"))
    yield processes
    processes.stop()


@pytest.fixture
def celery_documented_beat(broker_to_ourselves, transactional_db, tmp_path):
    """Beat started as django-celery-beat documents it, sending omni-heartbeat every second."""
    processes = Celery(tmp_path, "--scheduler", DOCUMENTED_SCHEDULER, heartbeat_interval=1)
    yield processes
    processes.stop()


@pytest.fixture
def second_redis(tmp_path):
    """A redis-server of our own on a free port; the test shuts it down."""
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        with contextlib.suppress(redis.ConnectionError):
            if client.ping():
                break
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    process_stop(process, timeout=5)


def _shut_down(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(10)


# ---- with a real worker and beat -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("celery")
def test_health_is_200_with_worker_and_beat_then_503_when_the_worker_stops(celery_processes, settings):
    from omni.tasks import heartbeat

    body = celery_processes.wait_healthy()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok"}
    assert all(check["ok"] for check in body["details"].values())
    assert body["details"]["worker"]["workers"] == [f"{celery_processes.queue}@{socket.gethostname()}"]
    assert body["details"]["beat"]["age_s"] < 30

    # The worker really consumes tasks: the heartbeat it runs lands in Redis and shows in the report.
    heartbeat.apply_async(queue=celery_processes.queue)
    deadline = time.monotonic() + 20
    while "last_heartbeat_age_s" not in body["details"]["worker"]:
        assert time.monotonic() < deadline, celery_processes.log("worker")
        time.sleep(0.2)
        body = _get_health()[1]
    assert body["details"]["worker"]["last_heartbeat_age_s"] < 20

    process_stop(celery_processes.worker)
    response, body = _get_health()
    assert response.status_code == 503, body
    assert body["status"] == "error" and body["failing"] == ["worker"], (body, celery_processes.log("beat"))
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker": "error", "beat": "ok"}
    assert body["details"]["worker"]["ok"] is False and body["details"]["worker"]["error"]


@pytest.mark.slow
@pytest.mark.xdist_group("celery")
def test_beat_started_as_django_celery_beat_documents_is_up_then_down_when_stopped(celery_documented_beat):
    """`celery beat --scheduler django_celery_beat.schedulers:DatabaseScheduler` (no omni scheduler class): /health/
    sees it, its heartbeat keeps being renewed while it sends tasks, and goes stale once it stops."""
    from omni import health

    body = celery_documented_beat.wait_healthy()
    assert body["checks"]["beat"] == "ok", celery_documented_beat.log("beat")
    stamp_key = f"{TEST_CACHE_PREFIX}:health:beat"
    client = redis.Redis.from_url(TEST_REDIS_URL)
    first = float(client.get(stamp_key))
    deadline = time.monotonic() + 20
    while float(client.get(stamp_key)) == first:  # renewed by the heartbeats it sends, not only at start
        assert time.monotonic() < deadline, celery_documented_beat.log("beat")
        time.sleep(0.2)
    assert "Sending due task omni-heartbeat" in celery_documented_beat.log("beat")

    process_stop(celery_documented_beat.beat)
    with override_settings(HEARTBEAT_INTERVAL=1):  # what the beat process used
        stale_after = health.beat_stale_after()
    deadline = time.monotonic() + stale_after + 10
    while (body := _get_health()[1])["checks"]["beat"] == "ok":
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    assert body["status"] == "error" and body["failing"] == ["beat"]
    assert body["details"]["beat"]["error"].startswith("no beat heartbeat in the last")


@pytest.mark.slow
@pytest.mark.xdist_group("celery")
def test_health_names_redis_when_it_goes_down(celery_processes, second_redis, settings):
    celery_processes.wait_healthy()
    process, url = second_redis
    settings.REDIS_URL = url  # rate limits and heartbeats read this Redis; the broker stays up
    response, body = _get_health()
    assert body["checks"]["redis"] == "ok"
    _shut_down(process)
    started = time.monotonic()
    response, body = _get_health()
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert "redis" in body["failing"]
    assert body["details"]["redis"]["ok"] is False and body["details"]["redis"]["error"]
    assert body["checks"]["worker"] == "ok"  # it answered over the broker, which is still up
    assert body["checks"]["database"] == "ok"


# ---- without Celery ------------------------------------------------------------------------------------


@pytest.mark.xdist_group("celery")
def test_health_with_the_only_redis_down_is_503_fast(db, second_redis, settings):
    process, url = second_redis
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url  # one Redis for everything, as in docker-compose
    _shut_down(process)
    started = time.monotonic()
    response, body = _get_health()
    assert time.monotonic() - started < 5  # no waiting on broker reconnects
    assert response.status_code == 503
    assert body["failing"] == ["redis", "worker", "beat"]
    assert body["checks"]["database"] == "ok"


def test_database_down_is_reported_in_seconds(broker_to_ourselves, db, settings, monkeypatch):
    """Not after DATABASE_POOL_TIMEOUT (10 s), as a request waiting on the pool would be."""
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    monkeypatch.setitem(connection.settings_dict, "PORT", str(_free_port()))  # nothing listens there
    started = time.monotonic()
    response, body = _get_health()
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert body["checks"]["database"] == "error" and "connection" in body["details"]["database"]["error"]


@pytest.mark.xdist_group("celery")
def test_health_without_worker_or_beat_is_503(broker_to_ourselves, db, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.2
    response, body = _get_health()
    assert response.status_code == 503
    assert body["failing"] == ["worker", "beat"]
    assert "no beat heartbeat" in body["details"]["beat"]["error"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_refuses_post(db):
    assert Client(HTTP_HOST="localhost").post("/health/").status_code == 405


def test_health_is_served_on_every_host(broker_to_ourselves, db, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    for host in ("localhost", "portal.localhost", "reseller.localhost", "vendor.localhost"):
        response = Client(HTTP_HOST=host).get("/health/")
        assert response.status_code == 503  # no worker or beat runs here
        assert response.json() == {
            "status": "error",
            "checks": {"database": "ok", "redis": "ok", "worker": "error", "beat": "error"},
        }


# ---- what it tells whom, and how often it checks --------------------------------------------------------


def test_anonymous_answer_holds_each_checks_status_only(broker_to_ourselves, db, settings):
    """No error strings, host names, latencies or ages without the metrics token; a wrong token is anonymous."""
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"  # a failing check, whose error names a host and port
    settings.CELERY_BROKER_URL = TEST_REDIS_URL
    for token in (None, "wrong-token", METRICS_TOKEN.upper()):
        response, body = _get_health(token=token)
        assert response.status_code == 503
        assert body == {
            "status": "error",
            "checks": {"database": "ok", "redis": "error", "worker": "error", "beat": "error"},
        }, token


def test_token_answer_details_every_check(broker_to_ourselves, db, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    response, body = _get_health(token=METRICS_TOKEN)
    assert response.status_code == 503
    assert set(body) == {"status", "checks", "failing", "details", "checked_at"}
    assert body["failing"] == ["worker", "beat"]
    assert body["details"]["database"]["ok"] is True and body["details"]["database"]["latency_ms"] >= 0
    assert body["details"]["worker"] == {
        "ok": False,
        "workers": [],
        "latency_ms": body["details"]["worker"]["latency_ms"],
        "error": "no Celery worker answered",
    }
    assert body["details"]["beat"] == {"ok": False, "error": "no beat heartbeat in the last 45 s"}


def test_without_a_token_configured_details_are_shown_in_development_only(broker_to_ourselves, db, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert "details" not in _get_health(token=None)[1]
    settings.DEBUG = True
    assert _get_health(token=None)[1]["details"]["beat"]["ok"] is False


class Pings:
    """Counts this process's broadcast pings: app.control.ping still runs, on the real test broker; each call is
    counted first (thread-safe: list.append)."""

    def __init__(self, monkeypatch):
        from omni.celery import app

        self.calls: list[float] = []
        real = app.control.ping

        def ping(*args, **kwargs):
            self.calls.append(time.monotonic())
            return real(*args, **kwargs)

        monkeypatch.setattr(app.control, "ping", ping)

    def count(self) -> int:
        return len(self.calls)


@pytest.fixture
def pings(monkeypatch):
    return Pings(monkeypatch)


def test_two_calls_within_the_cache_period_ping_once(broker_to_ourselves, db, settings, pings):
    settings.HEALTH_CACHE_SECONDS = 30
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.3
    first = _get_health()[1]
    second = _get_health()[1]
    assert second["checked_at"] == first["checked_at"]  # the cached report, not a second check
    assert pings.count() == 1  # no ping sent, so none waited on

    redis.Redis.from_url(TEST_REDIS_URL).delete(f"{TEST_CACHE_PREFIX}:health:report")  # the period is over
    assert _get_health()[1]["checked_at"] != first["checked_at"]
    assert pings.count() == 2


def test_concurrent_calls_ping_once_across_threads(broker_to_ourselves, transactional_db, settings, pings):
    """Eight requests at once on an empty cache (as eight web processes would be): one holds the Redis lock and
    pings, the others wait for its report."""
    settings.HEALTH_CACHE_SECONDS = 30
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.5
    barrier = threading.Barrier(8)
    answers = []

    def call():
        try:
            barrier.wait()
            answers.append(_get_health())
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [response.status_code for response, _body in answers] == [503] * 8
    assert len({body["checked_at"] for _response, body in answers}) == 1
    assert pings.count() == 1


@pytest.fixture
def hung_redis():
    """A Redis that accepts connections and never answers (a hung server, not a stopped one)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def test_cached_report_with_a_hung_redis_answers_after_two_timeouts(broker_to_ourselves, db, settings, hung_redis):
    """One slow Redis answer is waited through (load); the second in a row means the Redis hangs: the report is
    computed here and then, not after the lock's whole deadline (HEALTH_WORKER_PING_TIMEOUT + 5 s)."""
    settings.HEALTH_CACHE_SECONDS = 30
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    settings.REDIS_URL = hung_redis  # the broker stays up
    started = time.monotonic()
    response, body = _get_health()
    elapsed = time.monotonic() - started
    # Two 1 s timeouts waited through, then the checks (about 4 s: each Redis read times out); waiting out the lock's
    # deadline would take 5.1 s before them.
    assert 2 <= elapsed < 7.5
    assert response.status_code == 503
    assert "redis" in body["failing"]


# ---- /metrics ------------------------------------------------------------------------------------------


def test_metrics_is_prometheus_text_with_request_counts(db, api_as, agent, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    client.get("/health/")
    api_as(agent).get("/api/v1/crm/accounts/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "# TYPE omni_http_requests_total counter" in text
    samples = [line for line in text.splitlines() if line.startswith("omni_http_requests_total{")]
    assert any('view="health"' in line and 'method="GET"' in line for line in samples), samples
    assert any('view="crm:account-list"' in line or 'view="account-list"' in line for line in samples), samples
    assert 'omni_health_check_up{check="database"} 1.0' in text
    assert "omni_http_request_duration_seconds_bucket" in text


def test_metrics_token_is_required_when_set(db, settings):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper")
    assert response.status_code == 200 and b"omni_http_requests_total" in response.content


def test_metrics_without_a_token_is_refused_in_production_and_open_in_development(db, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    client = Client(HTTP_HOST="localhost")
    response = client.get("/metrics")
    assert response.status_code == 403 and response.content == b"metrics are off: set METRICS_TOKEN\n"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200
