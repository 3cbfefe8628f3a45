"""/health/ against a real Celery worker and beat (subprocesses), a real Redis, and a second redis-server that the
test starts and shuts down; /metrics in Prometheus text format."""

import contextlib
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.test import Client

from tests.celery_support import broker_lock, celery_env, celery_start, process_stop
from tests.conftest import TEST_REDIS_URL

START_TIMEOUT = 60


def _get_health(client=None):
    response = (client or Client(HTTP_HOST="localhost")).get("/health/")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Celery:
    """A real worker and beat on the test Redis, stamping the keys this test worker reads. The worker consumes
    a private queue only, so it never picks up tasks other tests left in the shared broker."""

    def __init__(self, tmp_path: Path):
        self.queue = f"health-test-{uuid.uuid4().hex[:8]}"
        # Beat must not queue heartbeats on the shared default queue, which no test worker drains.
        self.env = celery_env(HEARTBEAT_INTERVAL="3600")
        self.logs = tmp_path
        self.worker = self._start(
            "worker", "-c", "1", "-P", "solo", "-Q", self.queue, "-n", f"{self.queue}@%h", "--without-mingle",
            "--without-gossip",
        )  # fmt: skip
        self.beat = self._start("beat", "--pidfile=", "-s", str(tmp_path / "beat-schedule"))

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
            workers = body["checks"]["worker"].get("workers", [])
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


@pytest.fixture
def broker_to_ourselves():
    with broker_lock():
        yield


@pytest.fixture
def celery_processes(broker_to_ourselves, transactional_db, tmp_path):
    processes = Celery(tmp_path)
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
    assert set(body["checks"]) == {"database", "redis", "worker", "beat"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["workers"] == [f"{celery_processes.queue}@{socket.gethostname()}"]
    assert body["checks"]["beat"]["age_s"] < 30

    # The worker really consumes tasks: the heartbeat it runs lands in Redis and shows in the report.
    heartbeat.apply_async(queue=celery_processes.queue)
    deadline = time.monotonic() + 20
    while "last_heartbeat_age_s" not in body["checks"]["worker"]:
        assert time.monotonic() < deadline, celery_processes.log("worker")
        time.sleep(0.2)
        body = _get_health()[1]
    assert body["checks"]["worker"]["last_heartbeat_age_s"] < 20

    process_stop(celery_processes.worker)
    response, body = _get_health()
    assert response.status_code == 503, body
    assert body["status"] == "error" and body["failing"] == ["worker"], (body, celery_processes.log("beat"))
    assert body["checks"]["worker"]["ok"] is False and body["checks"]["worker"]["error"]
    assert body["checks"]["beat"]["ok"] and body["checks"]["redis"]["ok"] and body["checks"]["database"]["ok"]


@pytest.mark.slow
@pytest.mark.xdist_group("celery")
def test_health_names_redis_when_it_goes_down(celery_processes, second_redis, settings):
    celery_processes.wait_healthy()
    process, url = second_redis
    settings.REDIS_URL = url  # rate limits and heartbeats read this Redis; the broker stays up
    response, body = _get_health()
    assert body["checks"]["redis"]["ok"] is True
    _shut_down(process)
    started = time.monotonic()
    response, body = _get_health()
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert "redis" in body["failing"]
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["error"]
    assert body["checks"]["worker"]["ok"] is True  # it answered over the broker, which is still up
    assert body["checks"]["database"]["ok"] is True


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
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.xdist_group("celery")
def test_health_without_worker_or_beat_is_503(broker_to_ourselves, db, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.2
    response, body = _get_health()
    assert response.status_code == 503
    assert body["failing"] == ["worker", "beat"]
    assert "no beat heartbeat" in body["checks"]["beat"]["error"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_refuses_post(db):
    assert Client(HTTP_HOST="localhost").post("/health/").status_code == 405


def test_health_is_served_on_every_host(db, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    for host in ("localhost", "portal.localhost", "reseller.localhost", "vendor.localhost"):
        response = Client(HTTP_HOST=host).get("/health/")
        assert response.status_code in (200, 503) and set(response.json()["checks"]) == {
            "database",
            "redis",
            "worker",
            "beat",
        }


# ---- /metrics ------------------------------------------------------------------------------------------


def test_metrics_is_prometheus_text_with_request_counts(db, api_as, agent, settings):
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1
    client = Client(HTTP_HOST="localhost")
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
    settings.METRICS_TOKEN = "s3cret-scraper"
    client = Client(HTTP_HOST="localhost")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper")
    assert response.status_code == 200 and b"omni_http_requests_total" in response.content
