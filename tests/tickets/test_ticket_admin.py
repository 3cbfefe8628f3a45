"""The admin of teams and tickets writes through tickets.services: the same checks, history and events as the
API; statuses change only by the actions (ticket_transition)."""

import pytest
from django.contrib.messages import get_messages

from notifications.models import OutboxEvent
from tests.admin_support import admin_form_data
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets.choices import TicketStatus
from tickets.models import Team, TeamUserObjectPermission, Ticket, TicketComment, TicketStatusChange


@pytest.fixture
def admin(admin_user, client_as):
    return client_as(admin_user)


@pytest.mark.parametrize("model", [Team, Ticket, TicketComment, TicketStatusChange, TeamUserObjectPermission])
def test_every_changelist_renders_with_search(admin, model, account, agent):
    TicketFactory(account=account, team=TeamFactory(members=[agent]))
    url = f"/admin/tickets/{model._meta.model_name}/"
    response = admin.get(url, {"q": "x"})
    assert response.status_code == 200
    assert admin.get(url).status_code == 200


def test_a_ticket_added_in_the_admin_goes_through_the_service(admin, admin_user, account, agent):
    page = admin.get("/admin/tickets/ticket/add/")
    data = admin_form_data(
        page, account=str(account.pk), subject="Router down", priority="high", source="phone", tags="Fiber,VIP"
    )
    data["watchers"] = [str(agent.pk)]
    response = admin.post("/admin/tickets/ticket/add/", data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.priority, ticket.status, ticket.tags) == (
        "Router down",
        "high",
        "new",
        ["fiber", "vip"],
    )
    assert list(ticket.watchers.all()) == [agent]
    assert list(OutboxEvent.objects.values_list("event", flat=True)) == ["tickets.ticket.created"]


def test_a_ticket_changed_in_the_admin_keeps_its_status(admin, account):
    ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    response = admin.post(url, admin_form_data(admin.get(url), subject="Router down again"))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status) == ("Router down again", TicketStatus.OPEN)
    assert list(OutboxEvent.objects.values_list("event", flat=True)) == ["tickets.ticket.updated"]


def test_the_close_action_uses_the_transition_table(admin, admin_user, account):
    open_ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    closed = TicketFactory(account=account, status=TicketStatus.CLOSED)
    response = admin.post(
        "/admin/tickets/ticket/",
        {"action": "make_open", "_selected_action": [str(open_ticket.pk), str(closed.pk)]},
    )
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [f"{closed}: A Closed ticket cannot become Open.", "1 ticket moved."]
    assert list(TicketStatusChange.objects.values_list("ticket", "old", "new")) == []  # open -> open: a no-op
    admin.post("/admin/tickets/ticket/", {"action": "make_closed", "_selected_action": [str(open_ticket.pk)]})
    assert list(TicketStatusChange.objects.values_list("ticket", "old", "new", "by")) == [
        (open_ticket.pk, TicketStatus.OPEN, TicketStatus.CLOSED, admin_user.pk)
    ]


def test_team_members_are_set_through_the_service(admin, agent, customer):
    page = admin.get("/admin/tickets/team/add/")
    response = admin.post("/admin/tickets/team/add/", admin_form_data(page, name="Network", members=[str(agent.pk)]))
    assert response.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [agent]
    url = f"/admin/tickets/team/{team.pk}/change/"
    response = admin.post(url, admin_form_data(admin.get(url), members=[str(customer.pk)]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["members: Only active staff users can be chosen."]
    assert list(team.members.all()) == [agent]
