"""Tickets: numbering, the transition table, resolution notes, comments and first response, events."""

import re

import pytest
from django.core.exceptions import ValidationError

from notifications.models import OutboxEvent
from omni.exceptions import Conflict, InvalidTransition
from tests.crm.factories import ContactFactory, link
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets import selectors, services
from tickets.choices import TICKET_TRANSITIONS, TicketStatus
from tickets.models import TicketStatusChange

pytestmark = pytest.mark.django_db
ALL = TicketStatus.values


def test_numbers_come_from_a_sequence(account, agent):
    first = services.ticket_create(account_id=account.pk, subject="No internet", by=agent)
    second = services.ticket_create(account_id=account.pk, subject="Slow", by=agent)
    first.refresh_from_db()
    second.refresh_from_db()
    assert re.fullmatch(r"TCK-\d{6}", first.number)
    assert int(second.number[4:]) == int(first.number[4:]) + 1
    assert first.status == TicketStatus.NEW


def test_create_refuses_a_contact_of_another_account(account, other_account, agent):
    stranger = ContactFactory()
    link(stranger, other_account)
    with pytest.raises(ValidationError) as err:
        services.ticket_create(account_id=account.pk, subject="x", contact_id=stranger.pk, by=agent)
    assert list(err.value.message_dict) == ["contact"]


def test_create_refuses_a_field_it_cannot_set(account, agent):
    with pytest.raises(ValidationError) as err:
        services.ticket_create(account_id=account.pk, subject="x", status=TicketStatus.CLOSED, by=agent)
    assert err.value.message_dict == {"status": ["This field cannot be set."]}


def test_create_cleans_tags_and_sets_watchers(account, agent, admin_user):
    ticket = services.ticket_create(
        account_id=account.pk, subject="x", tags=[" Fiber  Cut ", "fiber cut", "VIP"], watcher_ids=[admin_user.pk]
    )
    assert ticket.tags == ["fiber cut", "vip"]
    assert list(ticket.watchers.all()) == [admin_user]


def _ticket_in(status: str):
    return TicketFactory(status=status)


@pytest.mark.parametrize("old", ALL)
@pytest.mark.parametrize("new", ALL)
def test_the_transition_table_is_enforced(old, new, admin_user):
    ticket = _ticket_in(old)
    allowed = new == old or new in TICKET_TRANSITIONS[old]
    if not allowed:
        with pytest.raises(InvalidTransition) as err:
            services.ticket_transition(ticket_id=ticket.pk, to=new, by=admin_user, resolution="done")
        label = {s.value: str(s.label) for s in TicketStatus}
        assert err.value.message == f"A {label[old]} ticket cannot become {label[new]}."
        assert err.value.status_code == 409
        ticket.refresh_from_db()
        assert ticket.status == old
        return
    services.ticket_transition(ticket_id=ticket.pk, to=new, by=admin_user, resolution="done")
    ticket.refresh_from_db()
    assert ticket.status == new
    history = list(TicketStatusChange.objects.filter(ticket=ticket).values_list("old", "new", "by"))
    assert history == ([] if new == old else [(old, new, admin_user.pk)])


def test_the_table_itself():
    assert TICKET_TRANSITIONS[TicketStatus.CLOSED] == frozenset()
    assert TICKET_TRANSITIONS[TicketStatus.RESOLVED] == {TicketStatus.OPEN, TicketStatus.CLOSED}
    assert all(TicketStatus.NEW not in moves for moves in TICKET_TRANSITIONS.values())


def test_resolving_without_a_note_is_400_naming_resolution(admin_user):
    ticket = _ticket_in(TicketStatus.OPEN)
    with pytest.raises(ValidationError) as err:
        services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, by=admin_user, resolution="  ")
    assert err.value.message_dict == {"resolution": ["Resolving needs a resolution note."]}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.resolved_at is None


def test_resolving_and_closing_stamp_times(admin_user):
    ticket = _ticket_in(TicketStatus.OPEN)
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, by=admin_user, resolution=" Fixed ")
    ticket.refresh_from_db()
    assert (ticket.resolution, ticket.closed_at) == ("Fixed", None) and ticket.resolved_at is not None
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.CLOSED, by=admin_user)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None and ticket.status == TicketStatus.CLOSED


def test_unknown_status_is_400(admin_user):
    ticket = _ticket_in(TicketStatus.OPEN)
    with pytest.raises(ValidationError) as err:
        services.ticket_transition(ticket_id=ticket.pk, to="lost", by=admin_user)
    assert err.value.message_dict == {"status": ["Unknown status lost."]}


def test_a_follow_up_of_a_closed_ticket_is_a_new_linked_ticket(account, agent):
    closed = TicketFactory(account=account, status=TicketStatus.CLOSED)
    follow_up = services.ticket_create(account_id=account.pk, subject="Again", follow_up_of_id=closed.pk, by=agent)
    assert follow_up.follow_up_of_id == closed.pk and follow_up.status == TicketStatus.NEW
    assert list(closed.follow_ups.all()) == [follow_up]


def test_children_point_at_their_master_ticket(account, agent):
    master = services.ticket_create(account_id=account.pk, subject="Area outage", by=agent)
    child = services.ticket_create(account_id=account.pk, subject="Me too", parent_id=master.pk, by=agent)
    assert list(master.children.all()) == [child]


# ---- comments ----


def test_the_first_public_staff_reply_sets_first_response(agent):
    ticket = _ticket_in(TicketStatus.OPEN)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Looking into it", public=False)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # an internal note is no response
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="We are on it")
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Still on it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at


def test_a_customer_reply_reopens_a_resolved_ticket(account, customer, admin_user):
    ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, by=admin_user, resolution="Reset")
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.resolved_at is None
    assert ticket.first_response_at is None  # a customer's reply is not a response
    assert list(TicketStatusChange.objects.filter(ticket=ticket).values_list("old", "new", "by")) == [
        (TicketStatus.OPEN, TicketStatus.RESOLVED, admin_user.pk),
        (TicketStatus.RESOLVED, TicketStatus.OPEN, customer.pk),
    ]


def test_a_staff_reply_does_not_reopen(account, agent, admin_user):
    ticket = TicketFactory(account=account, status=TicketStatus.RESOLVED)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Glad it works")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED


def test_customers_cannot_write_internal_notes(account, customer):
    ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    with pytest.raises(ValidationError) as err:
        services.comment_add(ticket_id=ticket.pk, author=customer, body="psst", public=False)
    assert err.value.message_dict == {"public": ["Portal users can only post public replies."]}


def test_a_closed_ticket_takes_no_comments(account, customer):
    ticket = TicketFactory(account=account, status=TicketStatus.CLOSED)
    with pytest.raises(Conflict) as err:
        services.comment_add(ticket_id=ticket.pk, author=customer, body="Hello?")
    assert err.value.message == "A closed ticket takes no comments: open a follow-up ticket."


def test_internal_notes_are_not_shown_to_customers(account, customer, agent):
    ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    note = services.comment_add(ticket_id=ticket.pk, author=agent, body="Customer is grumpy", public=False)
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="Fixed soon")
    assert list(selectors.comment_list_visible_to(user=customer, ticket_id=ticket.pk)) == [reply]
    assert list(selectors.comment_list_visible_to(user=agent, ticket_id=ticket.pk)) == [note, reply]


# ---- events ----


def test_services_record_events_in_the_outbox(account, agent, django_capture_on_commit_callbacks):
    team = TeamFactory(members=[agent])
    ticket = services.ticket_create(account_id=account.pk, subject="Down", team_id=team.pk, by=agent)
    services.ticket_update(ticket_id=ticket.pk, priority="high", by=agent)
    services.ticket_update(ticket_id=ticket.pk, priority="high", by=agent)  # unchanged: no event
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.OPEN, by=agent)
    comment = services.comment_add(ticket_id=ticket.pk, author=agent, body="On it")
    rows = list(OutboxEvent.objects.order_by("created_at").values_list("event", "data", "actor_id"))
    ticket.refresh_from_db()
    assert [(event, actor) for event, _data, actor in rows] == [
        ("tickets.ticket.created", agent.pk),
        ("tickets.ticket.updated", agent.pk),
        ("tickets.ticket.status_changed", agent.pk),
        ("tickets.comment.created", agent.pk),
    ]
    assert rows[0][1] == {
        "id": str(ticket.pk),
        "number": ticket.number,
        "account": str(account.pk),
        "contact": None,
        "subject": "Down",
        "description": "",
        "category": "",
        "priority": "normal",
        "status": "new",
        "team": str(team.pk),
        "assignee": None,
        "tags": [],
        "first_response_due": None,  # no SLA policy
        "resolution_due": None,
        "sla_state": "",
        "created_at": rows[0][1]["created_at"],
        "updated_at": rows[0][1]["updated_at"],
    }
    assert (rows[1][1]["priority"], rows[2][1]["old"], rows[2][1]["new"]) == ("high", "new", "open")
    assert rows[3][1] == {
        "id": str(comment.pk),
        "ticket": str(ticket.pk),
        "author": str(agent.pk),
        "body": "On it",
        "public": True,
        "created_at": rows[3][1]["created_at"],
    }
