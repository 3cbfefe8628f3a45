"""The ticket's full-text vectors, kept by database triggers (migration 0004): subject, description and public
replies in search_vector; internal notes only in notes_vector."""

import pytest
from django.contrib.postgres.search import SearchQuery

from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _matches(field: str, words: str) -> set:
    return set(Ticket.objects.filter(**{field: SearchQuery(words, config="english")}).values_list("number", flat=True))


def test_subject_description_and_replies_are_searchable_and_notes_stay_apart(account, agent):
    ticket = services.ticket_create(
        account_id=account.pk, subject="Router rebooting", description="Since Monday", by=agent
    )
    other = services.ticket_create(account_id=account.pk, subject="Billing address", by=agent)
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert _matches("search_vector", "reboots") == {ticket.number}  # stemmed: reboots ~ rebooting
    assert _matches("search_vector", "monday") == {ticket.number}

    services.comment_add(ticket_id=other.pk, author=agent, body="Fibre splice replaced at the cabinet")
    services.comment_add(ticket_id=other.pk, author=agent, body="Supervisor password hunter2", public=False)
    assert _matches("search_vector", "splice cabinet") == {other.number}
    assert _matches("search_vector", "hunter2") == set()
    assert _matches("notes_vector", "hunter2") == {other.number}

    services.ticket_update(ticket_id=ticket.pk, subject="Modem overheating", by=agent)
    assert _matches("search_vector", "rebooting") == set()
    assert _matches("search_vector", "overheating") == {ticket.number}
