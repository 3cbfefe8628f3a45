"""DotMac Omni settings. Every value comes from the environment (django-environ); README lists them all.

Production is the default: DEBUG is off unless the environment turns it on (`make run`, `make test` and the test
settings do). With DEBUG off the process refuses to start without a real SECRET_KEY, or without an email backend
and an SMS provider chosen on purpose, and `manage.py check --deploy` is clean.

The settings are split by concern, each module read in this order (a later one reads what an earlier one set):
base.py (environment, secrets, hosts, apps, middleware, templates, logging), data.py (databases, cache, sessions),
auth.py (sign-in, allauth, MFA), i18n.py (language, time zone, phone numbers), web.py (static files, uploads,
map tiles), domain.py (tickets, technicians, sales), mail.py (email out and in), api.py (REST API and its
schema), workers.py (Celery, beat, health), security.py (HTTPS, cookies, origins), notifications.py (SMS, Web
Push, webhooks, retention), live.py (live updates, web chat). DJANGO_SETTINGS_MODULE stays "omni.settings".
"""

# Read in this order, as one module they were: each raises ImproperlyConfigured in turn (SECRET_KEY first).
# isort: off
from .base import *  # noqa: F403
from .data import *  # noqa: F403
from .auth import *  # noqa: F403
from .i18n import *  # noqa: F403
from .web import *  # noqa: F403
from .domain import *  # noqa: F403
from .mail import *  # noqa: F403
from .api import *  # noqa: F403
from .workers import *  # noqa: F403
from .security import *  # noqa: F403
from .notifications import *  # noqa: F403
from .live import *  # noqa: F403
# isort: on

__all__ = [name for name in dir() if name.isupper()]  # every setting (Django reads only upper-case names)
