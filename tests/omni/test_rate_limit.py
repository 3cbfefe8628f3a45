"""API rate limiting in Redis: per token, per signed-in user, per IP when anonymous; a sliding window log, so
no client gets more than the limit in any window of API_RATE_WINDOW seconds.

Most tests use a huge window, so that nothing they send ever leaves it; the tests about time move the
middleware's clock (omni.middleware.clock) instead of sleeping."""

import logging
import math
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ApiClient
from tests.omni.api_contract import assert_error

URL = "/api/v1/crm/resellers/"  # a cheap list: the limit, not the endpoint, is under test
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
WINDOW = 10**9


@pytest.fixture
def limit_100(settings):
    settings.API_RATE_LIMIT = 100
    settings.API_RATE_WINDOW = WINDOW
    yield 100
    # Counters of a huge window would live as long as it: drop this test's.
    from omni import redis as omni_redis

    client = omni_redis.client()
    keys = list(client.scan_iter(omni_redis.key("rl", "*")))
    if keys:
        client.delete(*keys)


def _spend(client, n, **extra):
    responses = [client.get(URL, **extra) for _ in range(n)]
    return responses


def test_the_101st_request_is_429_with_retry_after(api_as, agent, limit_100):
    client = api_as(agent)
    responses = _spend(client, 100)
    assert [r.status_code for r in responses] == [200] * 100
    assert [int(r["X-RateLimit-Remaining"]) for r in responses] == list(range(99, -1, -1))
    assert {r["X-RateLimit-Limit"] for r in responses} == {"100"}
    first_reset, reset = int(responses[0]["X-RateLimit-Reset"]), int(responses[-1]["X-RateLimit-Reset"])
    assert time.time() + WINDOW - 60 < first_reset <= reset <= time.time() + WINDOW + 1  # the full allowance back
    over = client.get(URL)
    body = assert_error(over, 429, code="throttled")
    assert "100" in body["detail"]
    # The next slot: when the first of the 100 leaves the window.
    assert first_reset - time.time() - 1 <= int(over["Retry-After"]) <= first_reset - time.time() + 1
    assert over["X-RateLimit-Limit"] == "100" and over["X-RateLimit-Remaining"] == "0"
    assert over["X-RateLimit-Reset"] == str(reset)  # the 429 was not counted
    assert client.post("/api/v1/crm/accounts/", {"name": "Too late"}).status_code == 429
    from crm.models import Account

    assert not Account.objects.filter(name="Too late").exists()  # refused before the view ran


def test_counters_are_per_token(api_as, agent, limit_100):
    first = api_as(agent)
    _spend(first, 100)
    assert first.get(URL).status_code == 429
    second = api_as(agent)  # same user, another token: its own budget
    response = second.get(URL)
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "99"


def test_anonymous_requests_count_per_ip(limit_100):
    here, there = ApiClient(REMOTE_ADDR="203.0.113.7"), ApiClient(REMOTE_ADDR="203.0.113.8")
    responses = _spend(here, 100)
    assert {r.status_code for r in responses} == {401}
    assert responses[-1]["X-RateLimit-Remaining"] == "0"
    assert_error(here.get(URL), 429)
    response = there.get(URL)
    assert response.status_code == 401 and response["X-RateLimit-Remaining"] == "99"


def test_a_bad_token_counts_against_the_ip(db, limit_100, settings):
    settings.API_RATE_LIMIT = 3
    client = ApiClient("omni_nonsense", REMOTE_ADDR="198.51.100.1")
    assert [client.get(URL).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert ApiClient(REMOTE_ADDR="198.51.100.1").get(URL).status_code == 429


def test_forwarded_for_is_trusted_only_behind_proxies(limit_100, settings):
    settings.API_RATE_LIMIT = 2
    spoofed = [ApiClient(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}") for i in range(3)]
    assert [c.get(URL).status_code for c in spoofed] == [401, 401, 429]  # no proxy: the header is ignored
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxied = [ApiClient(REMOTE_ADDR="192.0.2.99", HTTP_X_FORWARDED_FOR=f"1.2.3.4, 10.0.1.{i}") for i in range(3)]
    assert [c.get(URL).status_code for c in proxied] == [401, 401, 401]  # each client address its own budget


def test_signed_in_browser_counts_per_user(client_as, agent, limit_100, settings):
    settings.API_RATE_LIMIT = 2
    browser = client_as(agent)
    assert [browser.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    other_ip = client_as(agent)
    other_ip.defaults["REMOTE_ADDR"] = "192.0.2.50"
    assert other_ip.get(URL).status_code == 429  # same user, other address: same budget


def test_every_api_response_carries_the_headers(api_as, anon_api, admin_user, customer, account, limit_100):
    staff, portal = api_as(admin_user), api_as(customer)
    responses = {
        "200": staff.get(URL),
        "201": staff.post("/api/v1/crm/accounts/", {"name": "New"}),
        "204": staff.delete(f"/api/v1/crm/accounts/{account.pk}/"),
        "400": staff.get(URL, {"ordering": "nope"}),
        "401": anon_api.get(URL),
        "403": portal.post("/api/v1/crm/accounts/", {"name": "x"}),
        "404": staff.get("/api/v1/crm/accounts/00000000-0000-0000-0000-000000000000/"),
        "405": staff.put(URL, {}),  # no replacing a whole list
        "schema": staff.get("/api/schema/"),
    }
    for name, response in responses.items():
        if name.isdigit():
            assert response.status_code == int(name), (name, response.content[:300])
        for header in HEADERS:
            assert header in response, (name, header)
        assert int(response["X-RateLimit-Remaining"]) < 100


def test_health_metrics_and_docs_are_exempt(settings, limit_100):
    settings.DEBUG = True  # /metrics without METRICS_TOKEN is served in development only
    settings.API_RATE_LIMIT = 1
    settings.HEALTH_WORKER_PING_TIMEOUT = 0.1  # no worker runs here; do not wait for one
    client = ApiClient(REMOTE_ADDR="192.0.2.77")
    assert client.get(URL).status_code == 401  # the one allowed request of this address
    assert client.get(URL).status_code == 429
    # /health/ is 503 here (no worker runs), the others 200: none of them is ever 429.
    for path, status in (("/health/", 503), ("/metrics", 200), ("/api/docs/", 200)):
        for _ in range(3):
            response = client.get(path)
            assert response.status_code == status, (path, response.status_code)
            for header in HEADERS:
                assert header not in response, (path, header)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redis_down_serves_without_limiting(api_as, agent, settings, caplog):
    client = api_as(agent)
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"  # the counters' Redis is gone
    settings.API_RATE_LIMIT = 1
    with caplog.at_level(logging.WARNING, logger="omni.middleware"):
        responses = [client.get(URL) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all("X-RateLimit-Limit" not in r for r in responses)
    logged = [r.getMessage() for r in caplog.records if r.name == "omni.middleware"]
    assert logged == ["API rate limiting skipped: Redis unavailable"] * 3


def test_cache_and_redis_down_the_api_still_answers(api_as, agent, account, settings):
    """One Redis serves the cache (token lookups) and the counters: while it is down, tokens are looked up in
    the database and requests are served unlimited; /health/ reports the outage."""
    client = api_as(agent)
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.REDIS_URL = dead
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}
    response = client.get("/api/v1/crm/accounts/")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [str(account.pk)]
    assert client.post("/api/v1/crm/accounts/", {"name": "Written during the outage"}).status_code == 201
    assert_error(ApiClient("omni_unknown").get(URL), 401)


# ---- the sliding window: time is the middleware's clock, moved by the test ------------------------------------


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch, limit_100, settings):
    """A 60 s window whose start (in fixed-window terms) is T; the clock starts 1 s before its end."""
    settings.API_RATE_WINDOW = 60
    start = (int(time.time()) // 60 + 10) * 60  # a window boundary in the future: no key of a real request
    fake = Clock(start + 59.0)
    monkeypatch.setattr("omni.middleware.clock", fake)
    fake.boundary = start + 60
    return fake


def test_no_client_gets_twice_the_limit_across_a_window_edge(api_as, agent, clock):
    client = api_as(agent)
    end_of_one = []
    for i in range(100):  # the last second of one fixed window
        clock.now = clock.boundary - 1 + i / 100
        end_of_one.append(client.get(URL))
    start_of_next = []
    for i in range(100):  # the first second of the next
        clock.now = clock.boundary + i / 100
        start_of_next.append(client.get(URL))
    assert [r.status_code for r in end_of_one] == [200] * 100
    assert [r.status_code for r in start_of_next] == [429] * 100  # a fixed window answered 200 to all of them
    first = start_of_next[0]
    assert first["X-RateLimit-Remaining"] == "0"
    assert first["Retry-After"] == "59"  # the first request of the 100 leaves the window at boundary + 59
    assert first["X-RateLimit-Reset"] == str(clock.boundary + 60)  # ... and the last at boundary + 59.99

    clock.now = clock.boundary + 59  # exactly one window after the first accepted request: it has left
    response = client.get(URL)
    assert response.status_code == 200 and response["X-RateLimit-Remaining"] == "0"
    clock.now = clock.boundary + 59.5  # 50 more have left (those sent at boundary - 0.99 ... - 0.5)
    assert [client.get(URL).status_code for _ in range(51)] == [200] * 50 + [429]


def test_remaining_and_reset_follow_the_requests_in_the_window(api_as, agent, clock, settings):
    settings.API_RATE_LIMIT = 3
    client = api_as(agent)
    t0 = clock.now
    answers = []
    for offset in (0, 10, 20, 30, 65, 75):
        clock.now = t0 + offset
        answers.append(client.get(URL))
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 200, 200]
    assert [r["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0", "0", "0"]
    # Reset: when the newest counted request leaves the window (the whole allowance is back then).
    assert [int(r["X-RateLimit-Reset"]) for r in answers] == [math.ceil(t0 + s) for s in (60, 70, 80, 80, 125, 135)]
    assert answers[3]["Retry-After"] == "30"  # at t0+30 the oldest (t0) leaves at t0+60


def test_concurrent_requests_cannot_share_the_last_slot(db, settings, limit_100):
    from omni.middleware import sliding_window_hit

    barrier = threading.Barrier(20)

    def hit(_):
        barrier.wait()
        return sliding_window_hit("test:race", time.time(), WINDOW, 10)[0]

    with ThreadPoolExecutor(20) as pool:
        assert sorted(pool.map(hit, range(20))) == [False] * 10 + [True] * 10


# ---- whose request it is: the token as DRF reads it ------------------------------------------------------------


@pytest.mark.parametrize("header", ["BEARER\t{raw}", "bearer   {raw}  ", " Bearer {raw}"])
def test_every_header_drf_accepts_is_counted_against_its_token(db, agent, limit_100, settings, header):
    from omni.tokens import api_token_create

    settings.API_RATE_LIMIT = 2
    _token, raw = api_token_create(user=agent, name="t", scopes=["read"])
    odd = ApiClient(REMOTE_ADDR="198.51.100.9", HTTP_AUTHORIZATION=header.format(raw=raw))
    assert [odd.get(URL).status_code for _ in range(3)] == [200, 200, 429]  # DRF authenticated both
    assert ApiClient(raw, REMOTE_ADDR="192.0.2.200").get(URL).status_code == 429  # the token's budget, anywhere
    assert ApiClient(REMOTE_ADDR="198.51.100.9").get(URL).status_code == 401  # the address has its own


@pytest.mark.parametrize("header", ["Bearer", "Bearer {raw} extra", "Bearer \xe9{raw}"])
def test_a_malformed_header_is_counted_against_the_ip(db, agent, limit_100, settings, header):
    from omni.tokens import api_token_create

    settings.API_RATE_LIMIT = 2
    _token, raw = api_token_create(user=agent, name="t", scopes=["read"])
    odd = ApiClient(REMOTE_ADDR="198.51.100.10", HTTP_AUTHORIZATION=header.format(raw=raw))
    assert [odd.get(URL).status_code for _ in range(2)] == [401, 401]
    assert ApiClient(REMOTE_ADDR="198.51.100.10").get(URL).status_code == 429
    assert ApiClient(raw).get(URL).status_code == 200  # the token's budget is untouched


def test_a_refused_token_costs_no_query_the_second_time(db, django_assert_num_queries):
    client = ApiClient("omni_" + "x" * 43, REMOTE_ADDR="198.51.100.11")
    with django_assert_num_queries(1):  # the token lookup
        assert_error(client.get(URL), 401)
    with django_assert_num_queries(0):
        assert_error(client.get(URL), 401)


def test_a_refused_token_works_at_once_when_its_user_is_active_again(api_as, agent, django_capture_on_commit_callbacks):
    from omni.services import users_active_set

    client = api_as(agent)
    with django_capture_on_commit_callbacks(execute=True):
        users_active_set(user_ids=[agent.pk], active=False)
    assert_error(client.get(URL), 401)  # refused, and remembered as refused
    with django_capture_on_commit_callbacks(execute=True):
        users_active_set(user_ids=[agent.pk], active=True)
    assert client.get(URL).status_code == 200  # the change cleared the remembered refusal
