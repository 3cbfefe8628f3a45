"""Staff console (localhost): saved views of the ticket list and bulk actions (assign, status, tag), through the
pages and the console services."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from omni.exceptions import NotAllowed
from tests.omni.factories import StaffFactory
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets import services
from tickets.choices import TeamAccess, TicketStatus
from tickets.models import SavedView, Ticket, TicketStatusChange

from .tickets_support import *  # noqa: F403 - fixtures
from .tickets_support import HX

# ---- saved views ---------------------------------------------------------------------------------------------


def test_save_a_view_then_list_and_open_it(client_as, agent, ours):
    client = client_as(agent)
    response = client.post(
        "/tickets/views/", {"name": "Urgent open", "query": "queue=teams&priority=urgent&status=open&page=3"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/tickets/?queue=teams&priority=urgent&status=open"  # the page is not kept
    view = SavedView.objects.get(owner=agent)
    assert (view.name, view.query, view.shared) == ("Urgent open", "queue=teams&priority=urgent&status=open", False)
    html = client.get("/tickets/").content.decode()
    assert 'href="/tickets/?queue=teams&amp;priority=urgent&amp;status=open">Urgent open</a>' in html


def test_shared_views_show_to_other_staff_who_cannot_delete_them(client_as, agent, dispatcher):
    client_as(agent).post("/tickets/views/", {"name": "Breached", "query": "queue=breached", "shared": "on"})
    client_as(agent).post("/tickets/views/", {"name": "Private", "query": "queue=mine"})
    shared = SavedView.objects.get(name="Breached")
    html = client_as(dispatcher).get("/tickets/").content.decode()
    assert ">Breached</a>" in html and ">Private</a>" not in html
    assert client_as(dispatcher).post(f"/tickets/views/{shared.pk}/delete/").status_code == 403
    colleague = StaffFactory(email="colleague@example.com", roles=["Agent"])  # may delete their own, not this one
    assert client_as(colleague).post(f"/tickets/views/{shared.pk}/delete/").status_code == 403
    assert SavedView.objects.filter(pk=shared.pk).exists()
    assert client_as(agent).post(f"/tickets/views/{shared.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_a_taken_or_blank_name_is_400_naming_it(client_as, agent):
    client = client_as(agent)
    client.post("/tickets/views/", {"name": "Mine", "query": "queue=mine"})
    response = client.post("/tickets/views/", {"name": "Mine", "query": "queue=all"})
    assert response.status_code == 400
    assert "You already have a view with this name." in response.content.decode()
    assert client.post("/tickets/views/", {"name": "", "query": ""}).status_code == 400
    assert SavedView.objects.count() == 1


def test_saving_views_needs_the_roles_permission(client_as, dispatcher, nobody, customer):
    # Dispatchers read tickets but their role has no add_savedview: a write, refused like the others.
    assert client_as(dispatcher).get("/tickets/").status_code == 200
    assert 'action="/tickets/views/"' not in client_as(dispatcher).get("/tickets/").content.decode()
    for user in (dispatcher, nobody, customer):
        assert client_as(user).post("/tickets/views/", {"name": "x", "query": ""}).status_code == 403
    assert not SavedView.objects.exists()


def test_service_refuses_deleting_anothers_view(agent, dispatcher):
    view = services.saved_view_create(owner=agent, name="Mine", query="queue=mine", shared=True)
    with pytest.raises(NotAllowed):
        services.saved_view_delete(view_id=view.pk, by=dispatcher)
    services.saved_view_delete(view_id=view.pk, by=agent)
    services.saved_view_delete(view_id=view.pk, by=agent)  # already gone: a no-op
    assert not SavedView.objects.exists()


# ---- bulk actions --------------------------------------------------------------------------------------------


@pytest.fixture
def three(account, network):
    return [TicketFactory(account=account, team=network) for _ in range(3)]


def test_bulk_assign_to_a_user_and_a_team(client_as, agent, three, billing):
    other = StaffFactory(email="colleague@example.com", roles=["Agent"])
    data = {"tickets": [str(t.pk) for t in three[:2]], "action": "assign", "assignee": str(other.pk), "query": ""}
    response = client_as(agent).post("/tickets/bulk/", data, **HX)
    assert response.status_code == 200
    assert "2 tickets changed." in response.content.decode()
    assert Ticket.objects.filter(assignee=other).count() == 2
    data = {"tickets": [str(three[2].pk)], "action": "assign", "team": str(billing.pk), "query": ""}
    assert client_as(agent).post("/tickets/bulk/", data).status_code == 302
    three[2].refresh_from_db()
    assert three[2].team_id == billing.pk


def test_bulk_status_reports_invalid_transitions_and_keeps_the_rest(client_as, agent, three):
    closed = three[0]
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    data = {"tickets": [str(t.pk) for t in three], "action": "status", "status": "open", "query": "queue=all"}
    response = client_as(agent).post("/tickets/bulk/", data, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-console"')
    assert "2 tickets changed." in html
    assert f"{closed.number}</span>: A Closed ticket cannot become Open." in html
    statuses = dict(Ticket.objects.filter(pk__in=[t.pk for t in three]).values_list("number", "status"))
    assert statuses == {closed.number: "closed", three[1].number: "open", three[2].number: "open"}
    assert TicketStatusChange.objects.filter(new="open").count() == 2


def test_bulk_resolve_without_a_note_fails_per_ticket(client_as, agent, three):
    data = {"tickets": [str(three[0].pk)], "action": "status", "status": "resolved", "query": ""}
    response = client_as(agent).post("/tickets/bulk/", data, **HX)
    assert "resolution: Resolving needs a resolution note." in response.content.decode()
    three[0].refresh_from_db()
    assert three[0].status == TicketStatus.NEW


def test_bulk_tag(client_as, agent, three):
    Ticket.objects.filter(pk=three[0].pk).update(tags=["vip"])
    data = {"tickets": [str(t.pk) for t in three[:2]], "action": "tag", "tag": "Outage-Lekki", "query": ""}
    assert client_as(agent).post("/tickets/bulk/", data, **HX).status_code == 200
    assert sorted(Ticket.objects.get(pk=three[0].pk).tags) == ["outage-lekki", "vip"]
    assert Ticket.objects.get(pk=three[1].pk).tags == ["outage-lekki"]
    assert Ticket.objects.get(pk=three[2].pk).tags == []


def test_bulk_skips_tickets_out_of_scope_and_reports_read_only_ones(client_as, agent, three, billing, account):
    hidden = TicketFactory(account=account, team=billing)
    data = {"tickets": [str(three[0].pk), str(hidden.pk)], "action": "tag", "tag": "x", "query": ""}
    html = client_as(agent).post("/tickets/bulk/", data, **HX).content.decode()
    assert "1 selected ticket(s) not found." in html
    assert Ticket.objects.get(pk=hidden.pk).tags == []
    services.team_access_set(team_id=billing.pk, user_id=agent.pk, access=TeamAccess.READ)
    html = client_as(agent).post("/tickets/bulk/", data, **HX).content.decode()
    assert f"{hidden.number}</span>: You have read-only access" in html
    assert Ticket.objects.get(pk=hidden.pk).tags == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "assign"}, "assignee"),
        ({"action": "status"}, "status"),
        ({"action": "tag", "tag": " "}, "tag"),
        ({"action": "explode"}, "action"),
    ],
)
def test_bulk_bad_input_is_422_naming_the_field(client_as, agent, three, data, field):
    response = client_as(agent).post("/tickets/bulk/", {"tickets": [str(three[0].pk)], "query": "", **data}, **HX)
    assert response.status_code == 422
    assert f"<li>{field}: " in response.content.decode()


def test_bulk_without_tickets_or_with_a_bad_id_is_rejected(client_as, agent, three):
    client = client_as(agent)
    assert client.post("/tickets/bulk/", {"action": "tag", "tag": "x"}, **HX).status_code == 422
    response = client.post("/tickets/bulk/", {"tickets": ["nope"], "action": "tag", "tag": "x"})
    assert response.status_code == 400 and "tickets: Not a ticket id." in response.content.decode()


def test_bulk_needs_change_ticket(client_as, dispatcher, nobody, customer, account):
    intake = TicketFactory(account=account, team=None)
    data = {"tickets": [str(intake.pk)], "action": "tag", "tag": "x", "query": ""}
    for user in (dispatcher, nobody, customer):
        assert client_as(user).post("/tickets/bulk/", data).status_code == 403, user.email
    assert Ticket.objects.get(pk=intake.pk).tags == []


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_bulk_actions_run_one_after_the_other(agent, account):
    # Each locks its rows in primary key order, so two selections given in opposite orders cannot deadlock.
    team = TeamFactory(name="Night shift", members=[agent])
    tickets = [TicketFactory(account=account, team=team) for _ in range(6)]
    ids = [ticket.pk for ticket in tickets]
    barrier = threading.Barrier(2)

    def run(selection, tag):
        barrier.wait()
        try:
            return services.ticket_bulk_tag(ticket_ids=selection, by=agent, tag=tag).done
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(run, ids, "a")
        second = pool.submit(run, list(reversed(ids)), "b")
        assert len(first.result(timeout=60)) == len(second.result(timeout=60)) == 6
    assert all(sorted(tags) == ["a", "b"] for tags in Ticket.objects.filter(pk__in=ids).values_list("tags", flat=True))
