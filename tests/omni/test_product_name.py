"""The product's name comes from one setting, OMNI_PRODUCT_NAME: pages, the admin, emails, the 500 page, the
startup banner, and the settings derived from it (sender, TOTP issuer, API title)."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.views import defaults

NAME = "Acme Fibre"


def title(response) -> str:
    return re.search(r"<title>\s*(.*?)\s*</title>", response.content.decode(), re.S).group(1)


def test_pages_and_the_admin_take_the_name_from_the_setting(settings, admin_user, client_as):
    settings.OMNI_PRODUCT_NAME = NAME
    staff = client_as(admin_user)

    dashboard = staff.get("/")
    assert title(dashboard) == f"Dashboard · {NAME}"
    assert re.search(rf"<footer[^>]*>\s*{NAME}\s*</footer>", dashboard.content.decode())

    login = Client(HTTP_HOST="localhost").get("/accounts/login/")  # the staff console goes by the product's name
    assert re.search(rf"<p[^>]*>\s*{NAME}\s*</p>", login.content.decode())
    portal_login = Client(HTTP_HOST="portal.localhost").get("/accounts/login/")
    assert "Customer portal" in portal_login.content.decode() and title(portal_login).endswith(f" · {NAME}")

    admin = staff.get("/admin/")
    assert title(admin) == f"Site administration | {NAME}"
    assert f">{NAME} administration</a>" in admin.content.decode()
    assert "DotMac" not in dashboard.content.decode() + login.content.decode() + admin.content.decode()


def test_emails_take_the_name_from_the_setting(settings, customer):
    settings.OMNI_PRODUCT_NAME = NAME
    Client(HTTP_HOST="portal.localhost").post("/accounts/password/reset/", {"email": customer.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"{NAME}: Reset your password"
    assert mail.outbox[0].body.rstrip().endswith(f"\n{NAME}")  # the signature of every allauth email


def test_the_500_page_and_the_startup_banner_take_the_name_from_the_setting(settings, rf):
    settings.OMNI_PRODUCT_NAME = NAME
    # Django renders 500.html with no context at all (no context processors): the name still shows.
    assert title(defaults.server_error(rf.get("/"))) == f"Server error · {NAME}"
    out = io.StringIO()
    call_command("portal_urls", stdout=out)
    assert out.getvalue().splitlines()[0] == f"{NAME} is starting:"


def test_the_settings_derived_from_the_name_follow_the_environment():
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.MFA_TOTP_ISSUER, s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL, s.SPECTACULAR_SETTINGS['TITLE'], sep='|')"
    )
    keep = {k: v for k, v in os.environ.items() if k not in ("DEFAULT_FROM_EMAIL", "OMNI_DOMAIN")}
    env = {**keep, "DJANGO_SETTINGS_MODULE": "omni.settings", "DEBUG": "true", "OMNI_PRODUCT_NAME": NAME}
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sender = f"{NAME} <noreply@localhost>"
    assert result.stdout.strip() == f"{NAME}|{sender}|{sender}|{NAME} API"
