"""The instance's locale: its language (an English or French variant Django has date formats for), time zone and
the default region and format of phone numbers."""

from importlib.util import find_spec

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django.utils.translation import to_locale

from .base import BASE_DIR, env

# The instance's locale: the language of its pages and how they write dates (en-gb: 02/12/2026 and 2 Dec 2026 for
# 2 December; en-us: 12/02/2026). LocaleMiddleware picks a browser's language from LANGUAGES, and a bare "en" is
# Django's US formats, so the English offered is this variant (en-gb on a French instance), French likewise.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-gb").lower().replace("_", "-")
LANGUAGES = [
    (LANGUAGE_CODE if LANGUAGE_CODE.split("-")[0] == base else default, name)
    for base, default, name in [("en", "en-gb", _("English")), ("fr", "fr", _("French"))]
]
# A variant Django writes no dates for (en-ng) would silently get the US formats.
if LANGUAGE_CODE not in dict(LANGUAGES) or (
    LANGUAGE_CODE not in ("en", "en-us") and find_spec(f"django.conf.locale.{to_locale(LANGUAGE_CODE)}") is None
):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE {LANGUAGE_CODE!r}: an English or French locale Django has date formats for (en-gb, en-us, "
        "en-au, en-ie, en-ca, fr, fr-ca, ...)."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="NG")
PHONENUMBER_DEFAULT_FORMAT = "E164"
