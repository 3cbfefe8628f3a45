"""Shared fixtures. Tests use the real PostGIS database and Redis; outside providers are local servers."""

import os

import pytest
from django.test import Client, override_settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# One prefix per test run and worker: two runs at once on one machine never wipe each other's keys.
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_CACHE_PREFIX = f"omni-test-{RUN}-{WORKER}"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_configure(config):
    # Settings are imported before conftest runs, so test isolation is applied as an override: a Redis DB of
    # its own, a key prefix per xdist worker (rate-limit counters never collide), and a limit high enough that
    # only the rate-limit tests, which lower it, ever meet it.
    override_settings(
        REDIS_URL=TEST_REDIS_URL,
        CELERY_BROKER_URL=TEST_REDIS_URL,
        CACHES={
            "default": {
                "BACKEND": "omni.cache.RedisCache",
                "LOCATION": TEST_REDIS_URL,
                "KEY_PREFIX": TEST_CACHE_PREFIX,
            }
        },
        API_RATE_LIMIT=1_000_000,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ).enable()
    from omni.celery import app

    app.conf.broker_url = TEST_REDIS_URL


# Tests that start Celery workers or expect none (tests.celery_support.broker_lock) share one xdist worker.
CELERY_GROUP_FIXTURES = {"broker_to_ourselves", "private_queue", "fanout_queue"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """`--dist loadgroup` as pytest-xdist documents it, under pytest 9: xdist 3.8 tags a grouped test by renaming
    `item._nodeid`, which pytest 9 no longer reads (the id is `item._id`), so every test was a group of its own and
    tests holding the broker lock sat waiting for it on two workers at once. The group is put where the scheduler
    reads it (`<node id>@<group>`); tests using a broker-lock fixture join the "celery" group."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        if CELERY_GROUP_FIXTURES & set(getattr(item, "fixturenames", ())):
            groups.add("celery")
        if groups and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(groups))}")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request, django_db_modify_db_settings_parallel_suffix, django_db_keepdb, django_db_createdb
):
    """xdist workers clone one migrated template instead of each migrating (tests/db_template.py)."""
    from tests.db_template import use_template

    if django_db_createdb or not django_db_keepdb:
        use_template(run=getattr(request.config, "workerinput", {}).get("testrunuid"))


@pytest.fixture(autouse=True)
def _clean_redis_keys():
    """Each test starts with no rate-limit counters, heartbeats or cached tokens of this worker."""
    from omni import redis as omni_redis

    client = omni_redis.client()
    keys = list(client.scan_iter(f"*{TEST_CACHE_PREFIX}*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture
def context(context):
    """pytest-playwright's browser context, with tests/browser.py's DEADLINE for every action, navigation and
    expect() (Playwright's own defaults: 30 s for actions, 5 s for expect(), too short on a busy machine)."""
    from playwright.sync_api import expect

    from tests.browser import DEADLINE_MS

    context.set_default_timeout(DEADLINE_MS)
    context.set_default_navigation_timeout(DEADLINE_MS)
    expect.set_options(timeout=DEADLINE_MS)
    return context


# ---- the cast --------------------------------------------------------------------------------------------


@pytest.fixture
def agent(db):
    from tests.omni.factories import StaffFactory

    return StaffFactory(email="agent@example.com", roles=["Agent"])


@pytest.fixture
def sales(db):
    from tests.omni.factories import StaffFactory

    return StaffFactory(email="sales@example.com", roles=["Sales"])


@pytest.fixture
def admin_user(db):
    from tests.omni.factories import StaffFactory

    return StaffFactory(email="admin@example.com", is_superuser=True, roles=["Admin"])


@pytest.fixture
def account(db):
    from tests.crm.factories import AccountFactory

    return AccountFactory()


@pytest.fixture
def other_account(db):
    from tests.crm.factories import AccountFactory

    return AccountFactory()


@pytest.fixture
def customer(account):
    from tests.omni.factories import customer_for

    return customer_for(account, email="customer@example.com")


@pytest.fixture
def other_customer(other_account):
    from tests.omni.factories import customer_for

    return customer_for(other_account, email="other.customer@example.com")


@pytest.fixture
def reseller_org(db):
    from tests.crm.factories import ResellerFactory

    return ResellerFactory()


@pytest.fixture
def reseller(reseller_org):
    from crm import services

    return services.reseller_user_create(
        reseller_id=reseller_org.pk, email="reseller@example.com", password="pw-Reseller-123"
    )


@pytest.fixture
def vendor_org(db):
    from workforce.models import Vendor

    return Vendor.objects.create(name="FiberWorks Ltd")


@pytest.fixture
def vendor(vendor_org):
    from workforce import services

    return services.vendor_user_create(vendor_id=vendor_org.pk, email="vendor@example.com", password="pw-Vendor-123")


# ---- clients ---------------------------------------------------------------------------------------------


class ApiClient(Client):
    """An outside client: literal URLs, JSON bodies, a real Bearer token."""

    def __init__(self, token: str | None = None, **defaults):
        super().__init__(HTTP_HOST="localhost", **defaults)
        if token:
            self.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def post(self, path, data=None, **kw):
        return super().post(path, data, content_type="application/json", **kw)

    def patch(self, path, data=None, **kw):
        return super().patch(path, data, content_type="application/json", **kw)

    def put(self, path, data=None, **kw):
        return super().put(path, data, content_type="application/json", **kw)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """Rows a whole module shares, built once instead of before every test: an outer transaction that each test's
    own (`db`, a savepoint inside it) nests in, rolled back after the module's last test. Yields the blocker, so a
    module-scoped fixture builds its rows inside `module_db.unblock()`. Not for modules with transactional tests."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield django_db_blocker
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def api_client_for(user, scopes=("read", "write")) -> "ApiClient":
    """An ApiClient with a freshly issued token for that user."""
    from omni.tokens import api_token_create

    _token, raw = api_token_create(user=user, name="test", scopes=list(scopes))
    return ApiClient(raw)


@pytest.fixture
def api_as(db):
    """api_as(user, scopes=("read", "write")) -> ApiClient with a freshly issued token for that user."""
    return api_client_for


@pytest.fixture
def anon_api():
    return ApiClient()


@pytest.fixture
def client_as(db):
    """client_as(user, host="localhost") -> a Django test client signed in on that host."""

    def make(user, host="localhost"):
        client = Client(HTTP_HOST=host)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make
