"""Fuzz every operation of the API's own OpenAPI schema (/api/schema/, fetched through WSGI) with a staff write
token: no input may produce a 5xx. Also: the schema validates without warnings (manage.py spectacular)."""

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from omni.tokens import api_token_create

APP = WSGIHandler()
# Loaded at collection (schemathesis' lazy `from_fixture` loader does not work under pytest 9). Fetching the
# schema needs no database: /api/schema/ is public and generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/schema/", APP)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Like Django's test client: the handler must not close the connection (the test's transaction) after each
    request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(db, admin_user):
    """A staff write token, and a few rows so lists answer with bodies the response schemas are checked on."""
    from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
    from workforce.models import Vendor

    reseller = ResellerFactory(phone="+2348031234567")
    located = AccountFactory(reseller=reseller, notes="n")
    bare = AccountFactory(email="", phone="", location=None, tags=[], status="prospect")
    contact = ContactFactory(other_emails=["x@example.com"], other_phones=["+2348051234567"])
    link(contact, located)
    link(contact, bare, "billing")
    ContactFactory(email="", preferred_channel="sms")
    Vendor.objects.create(name="FiberWorks Ltd")
    return api_token_create(user=admin_user, name="fuzz", scopes=["read", "write"])[1]


def test_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    text = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/crm/accounts/" in text and "bearerAuth" in text


@schema.parametrize()
@hypothesis.settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx(case, staff_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {staff_token}", "Host": "localhost"},
        # Leniency is not a failure here: an empty or unparsable `?offset=` falls back to 0, an empty filter is
        # ignored. What must hold: no 5xx, and every answer is documented (status, content type, body).
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
