"""Dates on pages read as the instance's locale writes them. LANGUAGE_CODE (default en-gb) decides, not the
browser's flavour of English: a Lagos phone asking for en-US still reads 02/12/2026 and 2 Dec 2026 for the 2nd of
December; an instance set to en-us writes 12/02/2026."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crm.models import Account
from tests.crm.factories import AccountFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DECEMBER_2 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
BROWSERS = {
    "no preference": {},
    "US English": {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"},
    "Nigerian English": {"HTTP_ACCEPT_LANGUAGE": "en-NG,en;q=0.9"},
}


@pytest.fixture
def account(db):
    account = AccountFactory(name="Lekki Gardens Estate")
    Account.objects.filter(pk=account.pk).update(created_at=DECEMBER_2)
    return account


def _pages(client_as, agent, reseller, account, browser: dict) -> tuple[str, str, str]:
    staff = client_as(agent)
    short = staff.get("/accounts/", **browser).content.decode()  # SHORT_DATE_FORMAT in the Created column
    long = staff.get(f"/accounts/{account.pk}/", **browser).content.decode()  # DATETIME_FORMAT
    partner = client_as(reseller, host="reseller.localhost").get(f"/accounts/{account.pk}/", **browser)
    return short, long, partner.content.decode()  # "Customer since", DATE_FORMAT


@pytest.mark.parametrize("browser", BROWSERS.values(), ids=BROWSERS.keys())
def test_pages_write_the_day_before_the_month(client_as, agent, reseller, reseller_org, account, browser):
    Account.objects.filter(pk=account.pk).update(reseller=reseller_org)
    short, long, partner = _pages(client_as, agent, reseller, account, browser)
    assert "02/12/2026" in short and "12/02/2026" not in short
    assert "2 Dec 2026, 10 a.m." in long and "Dec. 2" not in long
    assert "Customer since" in partner and "2 Dec 2026" in partner and "Dec. 2" not in partner


def test_an_en_us_instance_writes_the_month_first(client_as, agent, reseller, reseller_org, account, settings):
    code, languages = _language_settings(LANGUAGE_CODE="en-us")  # as the process would have them
    settings.LANGUAGE_CODE, settings.LANGUAGES = code, [(language, language) for language in languages]
    Account.objects.filter(pk=account.pk).update(reseller=reseller_org)
    short, long, partner = _pages(client_as, agent, reseller, account, BROWSERS["Nigerian English"])
    assert "12/02/2026" in short and "02/12/2026" not in short
    assert "Dec. 2, 2026, 10 a.m." in long
    assert "Dec. 2, 2026" in partner


def test_a_french_browser_reads_french_dates(client_as, agent, account):
    page = client_as(agent).get(f"/accounts/{account.pk}/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "2 décembre 2026" in page


# ---- the setting --------------------------------------------------------------------------------------------------


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE_CODE", "DJANGO_SETTINGS_MODULE")}
    environment |= {"DJANGO_SETTINGS_MODULE": "omni.settings", "DEBUG": "true", **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def _language_settings(**env: str) -> tuple[str, list[str]]:
    """LANGUAGE_CODE and the codes of LANGUAGES as a process started with this environment has them."""
    done = _python(
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.LANGUAGE_CODE, [code for code, _name in s.LANGUAGES]]))",
        **env,
    )
    assert done.returncode == 0, done.stderr
    code, languages = json.loads(done.stdout)
    return code, languages


def test_language_code_defaults_to_british_english_and_offers_its_variant():
    assert _language_settings() == ("en-gb", ["en-gb", "fr"])
    assert _language_settings(LANGUAGE_CODE="en_US") == ("en-us", ["en-us", "fr"])
    # A French instance still offers day-first English to English browsers.
    assert _language_settings(LANGUAGE_CODE="fr-ca") == ("fr-ca", ["en-gb", "fr-ca"])


@pytest.mark.parametrize("code", ["en-ng", "de", "english"])
def test_a_locale_django_cannot_write_dates_for_is_refused(code):
    # en-ng would fall back to Django's "en", which is the US formats: refused rather than silently month-first.
    done = _python("import django; django.setup()", LANGUAGE_CODE=code)
    assert done.returncode == 1
    assert f"ImproperlyConfigured: LANGUAGE_CODE {code!r}: an English or French locale" in done.stderr
