"""Fuzz every operation of the API's own OpenAPI schema (/api/schema/, fetched through WSGI) with a staff write
token, with inputs that fit the schema and inputs that do not: no input may produce a 5xx, and every answer is
as the schema documents it (status code, content type, body). Also: the schema validates without warnings
(manage.py spectacular)."""

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
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
# One pytest item per operation, parametrized here rather than by `schema.parametrize()`: under pytest 9 that gives
# every operation's item the same node id, and pytest-xdist (the suite runs with -n 2) then runs only the first
# operation while reporting the rest as passed.
OPERATIONS = {result.ok().label: result.ok() for result in schema.get_all_operations()}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Like Django's test client: the handler must not close the connection (the test's transaction) after each
    request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def staff_token(module_db):
    """A staff write token, and a few rows so lists answer with bodies the response schemas are checked on: built
    once for the module (each operation's writes roll back to them)."""
    with module_db.unblock():
        return _staff_token()


def _staff_token():
    from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
    from tests.omni.factories import StaffFactory
    from workforce.models import Vendor

    reseller = ResellerFactory(phone="+2348031234567")
    located = AccountFactory(reseller=reseller, notes="n")
    bare = AccountFactory(email="", phone="", location=None, tags=[], status="prospect")
    contact = ContactFactory(other_emails=["x@example.com"], other_phones=["+2348051234567"])
    link(contact, located)
    link(contact, bare, "billing")
    ContactFactory(email="", preferred_channel="sms")
    admin_user = StaffFactory(email="admin@example.com", is_superuser=True, roles=["Admin"])  # as conftest's admin_user
    Vendor.objects.create(name="FiberWorks Ltd")
    _notification_rows(admin_user)
    _calendar_rows(admin_user)
    _ticket_rows(admin_user, located, contact)
    _quote_rows(located, contact)
    _network_rows(located)
    _workforce_rows(located)
    return api_token_create(user=admin_user, name="fuzz", scopes=["read", "write"])[1]


def _notification_rows(user) -> None:
    """Deliveries (sent and failed, with and without dates), an in-app notification, a push subscription and a
    webhook endpoint with a message and its attempts: the notifications lists answer with bodies too."""
    from django.utils import timezone

    from notifications.models import (
        Delivery,
        Notification,
        PushSubscription,
        WebhookAttempt,
        WebhookEndpoint,
        WebhookMessage,
    )
    from notifications.services import secret_generate

    now = timezone.now()
    sent = Delivery.objects.create(
        idempotency_key="fuzz:1", event="crm.account.created", channel="inapp", recipient_key=f"omni.user:{user.pk}",
        recipient_name="Admin", address=str(user.pk), subject="Account created", status="sent", attempts=1,
        sent_at=now, payload={"name": "Acme"},
    )  # fmt: skip
    sent.attempt_log.create(number=1, outcome="sent", created_at=now)
    Delivery.objects.create(
        idempotency_key="fuzz:2", event="crm.account.created", channel="sms", recipient_key="crm.contact:x",
        address="+2348031234567", status="failed", reason="the provider reported a failure", attempts=6,
    )  # fmt: skip
    Notification.objects.create(user=user, delivery=sent, event="crm.account.created", title="Account created")
    PushSubscription.objects.create(
        user=user, endpoint="https://push.example.com/send/abc", p256dh="BNc" * 20, auth="x" * 22
    )
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/omni", events=["*"], secret=secret_generate(), owner=user
    )
    message = WebhookMessage.objects.create(
        endpoint=endpoint, message_id="msg_fuzz", event="crm.account.created", status="succeeded", attempts=2,
        payload={"type": "crm.account.created", "timestamp": now.isoformat(), "data": {}}, succeeded_at=now,
    )  # fmt: skip
    WebhookAttempt.objects.create(message=message, number=1, status_code=500, latency_ms=12, error="HTTP 500")
    WebhookAttempt.objects.create(message=message, number=2, status_code=200, latency_ms=9, succeeded=True)


def _calendar_rows(user) -> None:
    """A business calendar with hours (one running to midnight) and a holiday, and an SLA policy with a condition,
    a target and escalation rules (one naming a user, one not), for their bodies."""
    import datetime

    from tests.tickets.factories import BusinessCalendarFactory, HolidayFactory, SLAPolicyFactory, office_hours
    from tickets.models import EscalationRule, SLACondition, SLATarget

    calendar = BusinessCalendarFactory(name="Lagos")
    office_hours(calendar)
    office_hours(calendar, start=datetime.time(20), end=datetime.time(0), weekdays=[5])
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 12, 25))
    policy = SLAPolicyFactory(calendar=BusinessCalendarFactory(name="In use"), description="d")
    SLACondition.objects.create(policy=policy, field="priority", values=["high", "urgent"])
    SLATarget.objects.create(policy=policy, metric="resolution", minutes=240)
    EscalationRule.objects.create(
        policy=policy, metric="resolution", kind="warn", percent=75, action="notify_user", user=user
    )
    EscalationRule.objects.create(
        policy=policy,
        metric="resolution",
        kind="after_breach",
        offset_minutes=60,
        action="raise_priority",
        priority="urgent",
    )


def _ticket_rows(user, account, contact) -> None:
    """A team, a ticket with every optional field, its child, and a reply and a note, for their bodies."""
    from tests.tickets.factories import TeamFactory, TicketFactory
    from tickets import services

    team = TeamFactory(name="Network", members=[user])
    ticket = TicketFactory(account=account, contact=contact, team=team, assignee=user, tags=["fiber"], status="open")
    TicketFactory(account=account, parent=ticket)
    services.comment_add(ticket_id=ticket.pk, author=user, body="On it")
    services.comment_add(ticket_id=ticket.pk, author=user, body="Note", public=False)


def _quote_rows(account, contact) -> None:
    """A draft quote with one-off and monthly lines, and a sent one, for their bodies."""
    from crm import services

    lines = [
        {"description": "Installation", "unit_price": "25000.00", "tax_rate": "7.5", "discount_percent": "10"},
        {"description": "Fibre", "unit_price": "30000", "tax_rate": "5", "recurring": True},
    ]
    services.quote_create(account_id=account.pk, lines=lines, title="Draft")
    sent = services.quote_create(account_id=account.pk, contact_id=contact.pk, lines=lines, currency="JPY")
    services.quote_send(quote_id=sent.pk)


def _network_rows(account) -> None:
    """A little plant: a closure with a feeder and a drop spliced, a splitter, an OLT with a PON port, an ONT at a
    service point, a routed cable and a splice plan, for their bodies."""
    from decimal import Decimal

    from django.contrib.gis.geos import LineString, Point

    from network import services
    from network.models import CableType, Endpoint, Pathway, Structure

    a = services.record_create(Structure, kind="pole", geom=Point(3.41, 6.45, srid=4326))
    b = services.record_create(Structure, kind="handhole", geom=Point(3.42, 6.45, srid=4326))
    span = services.record_create(
        Pathway, kind="aerial_span", a_structure=a, b_structure=b, geom=LineString(a.geom.coords, b.geom.coords)
    )
    closure = services.enclosure_create(kind="splice_closure", structure=b, trays=2)
    fibre = services.record_create(CableType, name="Fuzz 12F", fiber_count=12, tube_count=1, fibers_per_tube=12)
    feeder = services.cable_create(
        cable_type=fibre,
        role="feeder",
        a_structure=a,
        b_enclosure=closure,
        geom=LineString(a.geom.coords, b.geom.coords),
    )
    services.cable_route_set(cable_id=feeder.pk, pathway_ids=[span.pk])
    drop = services.cable_create(cable_type=fibre, role="drop", a_enclosure=closure, measured_length_m=40)
    f1 = Endpoint.objects.get(strand__cable=feeder, strand__number=1, side="b")
    d1 = Endpoint.objects.get(strand__cable=drop, strand__number=1, side="a")
    services.connection_create(enclosure_id=closure.pk, a_id=f1.pk, b_id=d1.pk, loss_db=Decimal("0.05"))
    services.splitter_create(enclosure=closure, output_count=8)
    olt = services.olt_create(name="Fuzz OLT", pon_ports=2, management_ip="10.0.0.1")
    ont = services.ont_create(serial="FUZZ0001")
    services.service_point_create(geom=Point(3.43, 6.45, srid=4326), account=account, ont=ont, name="House")
    f2 = Endpoint.objects.get(strand__cable=feeder, strand__number=2, side="b")
    d2 = Endpoint.objects.get(strand__cable=drop, strand__number=2, side="a")
    services.splice_plan_create(enclosure=closure, name="Fuzz plan", entries=[{"a": f2, "b": d2}])
    assert olt.pk


def _workforce_rows(account) -> None:
    """A technician with a skill, home base, territory membership, pattern, shift and time off; a work type with a
    required skill; a work order booked with the technician: the workforce lists answer with bodies."""
    import datetime

    from django.db.backends.postgresql.psycopg_any import DateRange

    from tests.omni.factories import StaffFactory
    from tests.workforce.factories import LAGOS, square
    from workforce import services
    from workforce.models import Skill

    skill = Skill.objects.create(code="fuzz-splicing", name="Splicing", requires_certification=True)
    technician = services.technician_create(
        user=StaffFactory(roles=["Technician"]), home_base=LAGOS,
        skills=[{"skill": skill, "level": 4, "certified_until": datetime.date(2031, 1, 1)}],
    )  # fmt: skip
    territory = services.territory_create(code="fuzz", name="Fuzz", geom=square(LAGOS.x, LAGOS.y))
    services.membership_create(
        technician=technician, territory=territory, valid=DateRange(datetime.date(2020, 1, 1), None, "[)")
    )
    services.shift_pattern_create(technician=technician, start=datetime.time(8), end=datetime.time(17))
    day = datetime.datetime(2030, 3, 4, tzinfo=datetime.UTC)
    h = datetime.timedelta(hours=1)
    services.shift_create(technician=technician, start=day + 8 * h, end=day + 17 * h)
    services.time_off_request(technician=technician, start=day + 15 * h, end=day + 16 * h, reason="Fuzz")
    work_type = services.work_type_create(name="Fuzz install", required_skills=[{"skill": skill, "min_level": 3}])
    work_order = services.work_order_create(
        work_type=work_type, account=account, location=LAGOS, window_start=day + 9 * h, window_end=day + 12 * h
    )
    services.appointment_book(work_order_id=work_order.pk, technician=technician, start=day + 9 * h)


def test_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    text = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/crm/accounts/" in text and "bearerAuth" in text


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) == len(list(schema.get_all_operations())) > 40


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_answers_as_its_schema_says(db, label, staff_token):
    """Fixed examples per operation (derandomized: the same inputs on every run), half fitting the schema, half
    not (a malformed id, a bad filter, a wrong body): each answer must be documented, status and body."""
    operation = OPERATIONS[label]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @hypothesis.given(case=cases)
    @hypothesis.settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {staff_token}", "Host": "localhost"}, checks=CHECKS)

    run()
