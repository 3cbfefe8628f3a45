"""Cookies a sibling host cannot plant or read, exactly four trusted origins, and allauth's sign-in throttle
counting each client behind the proxies (NUM_PROXIES), not the proxy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.omni.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
COOKIE_SETTINGS = [
    "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN", "SESSION_COOKIE_PATH", "CSRF_COOKIE_PATH",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
]  # fmt: skip
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz" + "z" * 10,
    "EMAIL_URL": "smtp://mail.example.com:587",
    "SMS_PROVIDER": "twilio",
    "SMS_ACCOUNT_SID": "AC123",
    "SMS_AUTH_TOKEN": "secret",
    "METRICS_TOKEN": "metrics-secret",
}


def settings_under(**env) -> dict:
    """The cookie settings a fresh process computes from this environment."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CSRF_TRUSTED_ORIGINS", "OMNI_BASE_URL")}
    environment.update(env, DJANGO_SETTINGS_MODULE="omni.settings")
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {COOKIE_SETTINGS!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "origins"),
    [
        (
            {"DEBUG": "true", "OMNI_DOMAIN": "omni.example.com", "OMNI_BASE_URL": "https://omni.example.com:8443"},
            [
                "https://omni.example.com:8443",
                "https://portal.omni.example.com:8443",
                "https://reseller.omni.example.com:8443",
                "https://vendor.omni.example.com:8443",
            ],
        ),
        (
            {**PRODUCTION, "OMNI_DOMAIN": "omni.example.com", "OMNI_BASE_URL": "https://omni.example.com"},
            [
                "https://omni.example.com",
                "https://portal.omni.example.com",
                "https://reseller.omni.example.com",
                "https://vendor.omni.example.com",
            ],
        ),
    ],
)
def test_over_https_the_cookies_are_host_prefixed_and_four_exact_origins_are_trusted(env, origins):
    assert settings_under(**env) == {
        "CSRF_TRUSTED_ORIGINS": origins,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": "/",
        "CSRF_COOKIE_PATH": "/",
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
    }


def test_development_over_http_keeps_plain_host_only_cookies():
    computed = settings_under(DEBUG="true", OMNI_DOMAIN="localhost", PORT="8000")
    assert computed["CSRF_TRUSTED_ORIGINS"] == [
        "http://localhost:8000",
        "http://portal.localhost:8000",
        "http://reseller.localhost:8000",
        "http://vendor.localhost:8000",
    ]
    assert (computed["SESSION_COOKIE_NAME"], computed["CSRF_COOKIE_NAME"]) == ("sessionid", "csrftoken")
    assert computed["SESSION_COOKIE_SECURE"] is False and computed["SESSION_COOKIE_DOMAIN"] is None
    assert computed["SESSION_COOKIE_SAMESITE"] == "Lax" and computed["CSRF_COOKIE_HTTPONLY"] is True


def test_signing_in_over_https_sets_host_prefixed_cookies(settings, customer):
    production = settings_under(
        **PRODUCTION, OMNI_DOMAIN="localhost", OMNI_BASE_URL="https://localhost", ALLOWED_HOSTS="portal.localhost"
    )
    for name, value in production.items():
        setattr(settings, name, value)
    client = Client(HTTP_HOST="portal.localhost", enforce_csrf_checks=True)
    page = client.get("/accounts/login/", secure=True)
    token = page.context["csrf_token"]
    response = client.post(
        "/accounts/login/",
        {"login": customer.email, "password": PASSWORD, "csrfmiddlewaretoken": str(token)},
        secure=True,
        HTTP_REFERER="https://portal.localhost/accounts/login/",
    )
    assert response.status_code == 302 and response["Location"] == "/"
    cookies = {**page.cookies, **response.cookies}
    assert set(cookies) == {"__Host-csrftoken", "__Host-sessionid"}
    for morsel in cookies.values():
        assert (morsel["secure"], morsel["path"], morsel["domain"], morsel["samesite"]) == (True, "/", "", "Lax")
        assert morsel["httponly"] is True
    assert client.get("/", secure=True).status_code == 200  # the session is read back from the prefixed cookie


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://localhost:8000", 200),
        ("http://portal.localhost:8000", 200),
        ("http://vendor.localhost:8000", 200),
        ("http://evil.localhost", 403),  # trusted before through *.localhost
        ("http://evil.localhost:8000", 403),
        ("https://portal.localhost:8000", 403),  # another scheme is another origin
    ],
)
def test_only_the_four_portal_origins_may_post_across_hosts(db, origin, status):
    assert django_settings.CSRF_TRUSTED_ORIGINS == [
        "http://localhost:8000",
        "http://portal.localhost:8000",
        "http://reseller.localhost:8000",
        "http://vendor.localhost:8000",
    ]
    client = Client(HTTP_HOST="reseller.localhost", enforce_csrf_checks=True)
    token = client.get("/accounts/login/").context["csrf_token"]
    response = client.post(
        "/accounts/login/",
        {"login": "nobody@example.com", "password": "x", "csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN=origin,
    )
    assert response.status_code == status


# ---- allauth's throttle behind proxies ------------------------------------------------------------------------


TOO_MANY = "Too many failed login attempts. Try again later."


def fail_sign_in(forwarded_for: str, n: int) -> str:
    """A wrong password for a new address each time (so only the per-client limit applies); the last page."""
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    response = client.post("/accounts/login/", {"login": f"nobody{n}@example.com", "password": "wrong"})
    return response.content.decode()


@pytest.fixture
def behind_one_proxy(settings):
    settings.NUM_PROXIES = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}


def test_two_clients_behind_the_proxy_are_throttled_separately(db, behind_one_proxy):
    for n in range(3):
        assert TOO_MANY not in fail_sign_in("203.0.113.1", n)
    assert TOO_MANY in fail_sign_in("203.0.113.1", 3)
    # Another client, through the same proxy: its own count.
    assert TOO_MANY not in fail_sign_in("203.0.113.2", 4)


def test_a_client_cannot_dodge_the_limit_by_forging_x_forwarded_for(db, behind_one_proxy):
    for n in range(3):
        assert TOO_MANY not in fail_sign_in("203.0.113.1", n)
    # The client sends its own X-Forwarded-For; the proxy appends the address it saw, which is what counts.
    for n, forged in enumerate(["198.51.100.7, 203.0.113.1", "198.51.100.8,203.0.113.1"]):
        assert TOO_MANY in fail_sign_in(forged, 10 + n)
