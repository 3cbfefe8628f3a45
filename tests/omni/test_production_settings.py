"""Production fails closed: DEBUG is off unless set, and with DEBUG off a process refuses to start without a real
SECRET_KEY, an email backend and an SMS provider chosen on purpose. Each case starts Django in a subprocess with
exactly the environment given (none of the test run's DEBUG=true)."""

import io
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from omni.models import User

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.EMAIL_BACKEND, s.SMS_PROVIDER, sep='|')"
)
# What the suite sets for itself (development mode, Playwright's async escape hatch), and every variable the
# settings read that these tests choose.
CHOSEN = (
    "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "EMAIL_URL", "EMAIL_BACKEND",
    "SMS_PROVIDER", "METRICS_TOKEN", "DATABASE_POOL_MAX_SIZE", "DATABASE_POOL_MIN_SIZE", "DATABASE_POOL_TIMEOUT",
    "DATABASE_CONN_MAX_AGE",
)  # fmt: skip


def _env(**values: str) -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if key not in CHOSEN}
    return {**env, "DJANGO_SETTINGS_MODULE": "omni.settings", **values}


def _production(**values: str) -> dict[str, str]:
    """A complete production environment; a test takes one variable out or changes it."""
    base = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
        "SMS_PROVIDER": "twilio",
        "METRICS_TOKEN": "scraper-token",
    }
    return _env(**{key: value for key, value in {**base, **values}.items() if value is not None})


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _dot_env_sets(name: str) -> bool:
    dot_env = ROOT / ".env"
    return dot_env.exists() and any(line.startswith(f"{name}=") for line in dot_env.read_text().splitlines())


def test_debug_is_off_unless_set():
    if _dot_env_sets("DEBUG"):
        pytest.skip(".env sets DEBUG on this machine")
    result = _python(PRINT_SETTINGS, _production())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False|django.core.mail.backends.smtp.EmailBackend|twilio"


def test_development_mode_defaults_to_the_console_backends():
    result = _python(PRINT_SETTINGS, _env(DEBUG="true"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True|django.core.mail.backends.console.EmailBackend|console"


@pytest.mark.parametrize(
    ("missing", "named"),
    [("SECRET_KEY", "SECRET_KEY must be set"), ("EMAIL_URL", "EMAIL_URL (or EMAIL_BACKEND) must be set"),
     ("SMS_PROVIDER", "SMS_PROVIDER must be set")],
)  # fmt: skip
def test_production_without_a_setting_refuses_to_start_and_names_it(missing, named):
    result = _python(PRINT_SETTINGS, _production(DEBUG="false", **{missing: None}))
    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: " + named in result.stderr, result.stderr
    assert result.stdout == ""


def test_production_runs_the_console_backends_only_when_named():
    result = _python(PRINT_SETTINGS, _production(DEBUG="false", EMAIL_URL="consolemail://", SMS_PROVIDER="console"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False|django.core.mail.backends.console.EmailBackend|console"


def test_production_takes_an_email_backend_class_instead_of_a_url():
    backend = "django.core.mail.backends.locmem.EmailBackend"  # e.g. django-anymail's, named by class
    result = _python(PRINT_SETTINGS, _production(DEBUG="false", EMAIL_URL=None, EMAIL_BACKEND=backend))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"False|{backend}|twilio"


def test_check_deploy_is_clean_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production(DEBUG="false"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_docker_compose_refuses_to_start_without_a_secret_key():
    """`${VAR:?message}` makes `docker compose` stop with the message when VAR is unset or empty."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["x-app"]["environment"]
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    for name in ("EMAIL_URL", "SMS_PROVIDER"):  # chosen by the operator, no console fallback committed
        assert environment[name].startswith(f"${{{name}:?"), name
    assert environment["DEBUG"] == "${DEBUG:-false}"


def test_seed_demo_refuses_with_debug_off_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", accounts=1, stdout=io.StringIO(), stderr=io.StringIO())
    assert not User.objects.exists()

    call_command("seed_demo", accounts=1, force=True, stdout=io.StringIO(), stderr=io.StringIO())
    assert User.objects.filter(email="admin@demo.dotmac.example").exists()


PRINT_DATABASE = (
    "import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
    "print(d['CONN_MAX_AGE'], d.get('OPTIONS', {}).get('pool'), sep='|')"
)


def test_connections_come_from_a_bounded_pool_unless_it_is_turned_off():
    pooled = _python(PRINT_DATABASE, _env(DEBUG="true", DATABASE_POOL_MAX_SIZE="5"))
    assert pooled.returncode == 0, pooled.stderr
    assert pooled.stdout.strip() == "0|{'min_size': 1, 'max_size': 5, 'timeout': 10.0}"
    persistent = _python(PRINT_DATABASE, _env(DEBUG="true", DATABASE_POOL_MAX_SIZE="0", DATABASE_CONN_MAX_AGE="60"))
    assert persistent.stdout.strip() == "60|None", persistent.stderr
    both = _python(PRINT_DATABASE, _env(DEBUG="true", DATABASE_CONN_MAX_AGE="60"))
    assert "ImproperlyConfigured: DATABASE_CONN_MAX_AGE applies only without the pool" in both.stderr
