"""Settings of the test suite (pyproject's DJANGO_SETTINGS_MODULE): development mode, as `make run` sets it, so the
suite runs on a fresh clone with no .env. DEBUG is read when omni.settings is imported, which pytest-django does
before any conftest runs, hence a settings module. The Celery workers and beats the tests start inherit the
variable. pytest-django still runs each test with settings.DEBUG False, as in production."""

import os

os.environ.setdefault("DEBUG", "true")

from omni.settings import *  # noqa: F403
from omni.settings import DATABASES

# A replica alias on the test database (as DATABASE_REPLICA_URL configures it): the router stays off, so the suite
# runs on the primary alone; tests/omni/test_replica.py turns omni.db.ReplicaRouter on and watches both aliases.
if "replica" not in DATABASES:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

# A subprocess of an xdist run (tests/test_app_template.py) clones the run's migrated template (tests/db_template.py).
if os.environ.get("OMNI_TEST_DB_TEMPLATE"):
    DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = os.environ["OMNI_TEST_DB_TEMPLATE"]

# Uploads (ticket attachments) go to a directory of this run, not the checkout's media/.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or __import__("tempfile").mkdtemp(prefix="omni-media-")

# A webhook's processing kick runs in the request's thread, not in a kicker thread that would kick during a later
# test (tests/crm/inbox/test_inbox_ingest.py runs the kicker itself).
INBOX_WEBHOOK_KICK_INLINE = True
