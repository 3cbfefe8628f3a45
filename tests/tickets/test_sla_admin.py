"""The admin of SLA clocks and events: read-only lists with filters and search by ticket number; the clocks show on
the ticket's page."""

import pytest
from django.utils import timezone

from tests.tickets.sla_support import opened, policy_with, rule
from tickets import services
from tickets.choices import EscalationKind
from tickets.models import SLAClock, SLAEvent


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.fixture
def breached(db):
    policy = policy_with(business_hours=False, resolution=60)
    rule(policy, kind=EscalationKind.BREACH, action="raise_priority", priority="urgent")
    ticket = opened(timezone.now() - timezone.timedelta(hours=2))
    services.sla_start(ticket=ticket, now=ticket.created_at)
    services.sla_scan()
    other = opened(timezone.now())
    services.sla_start(ticket=other, now=other.created_at)
    return ticket, other


@pytest.mark.parametrize("model", [SLAClock, SLAEvent])
def test_the_lists_render_filter_and_search_by_ticket_number(admin, breached, model):
    ticket, other = breached
    url = f"/admin/tickets/{model._meta.model_name}/"
    page = admin.get(url)
    assert page.status_code == 200
    found = admin.get(url, {"q": ticket.number})
    assert found.status_code == 200
    assert ticket.number in found.content.decode()
    assert other.number not in found.content.decode()
    assert admin.get(url, {"q": "TCK-999999"}).context["cl"].result_count == 0
    filters = {"state__exact": "breached"} if model is SLAClock else {"kind__exact": "breach"}
    filtered = admin.get(url, filters)
    assert filtered.context["cl"].result_count == 1
    assert (
        admin.get(url, {"clock__metric__exact" if model is SLAEvent else "metric__exact": "resolution"}).status_code
        == 200
    )


@pytest.mark.parametrize("model", [SLAClock, SLAEvent])
def test_they_are_read_only(admin, breached, model):
    row = model.objects.first()
    base = f"/admin/tickets/{model._meta.model_name}/"
    assert admin.get(f"{base}add/").status_code == 403
    page = admin.get(f"{base}{row.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert admin.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_the_tickets_page_shows_its_clocks(admin, breached):
    ticket, _other = breached
    page = admin.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "SLA clocks" in body
    assert "Breached" in body


def test_agents_see_the_clocks_and_events_of_tickets_they_may_see_only(agent, client_as, breached):
    from tests.tickets.factories import TeamFactory
    from tickets.models import Ticket

    ticket, other = breached
    client = client_as(agent)
    assert client.get("/admin/tickets/slaclock/").context["cl"].result_count == 2  # both tickets (the intake)
    assert client.get("/admin/tickets/slaevent/").context["cl"].result_count == 1
    Ticket.objects.filter(pk=ticket.pk).update(team=TeamFactory(name="Billing"))  # a team the agent is not in
    assert client.get("/admin/tickets/slaclock/").context["cl"].result_count == 1
    assert client.get("/admin/tickets/slaevent/").context["cl"].result_count == 0
