"""Reseller portal support pages (reseller.localhost/tickets/): the tickets of the reseller's accounts only, opening
one on one of those accounts, and the public conversation (never an internal note)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from tests.crm.factories import AccountFactory, ResellerFactory
from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.choices import TicketSource, TicketStatus
from tickets.models import Ticket, TicketAttachment, TicketComment

HOST = "reseller.localhost"


@pytest.fixture
def portal(client_as, reseller):
    return client_as(reseller, host=HOST)


@pytest.fixture
def mine(reseller_org):
    return AccountFactory(reseller=reseller_org, name="Lekki Gardens")


@pytest.fixture
def rival(db):
    return AccountFactory(reseller=ResellerFactory(name="Rival Networks"), name="Rival Customer")


@pytest.fixture
def ticket(mine):
    return TicketFactory(account=mine, subject="Estate link down", status=TicketStatus.OPEN)


@pytest.fixture
def theirs(rival):
    return TicketFactory(account=rival, subject="Rival outage", status=TicketStatus.OPEN)


def test_list_shows_tickets_of_own_accounts_only(portal, reseller_org, ticket, theirs, mine):
    second = AccountFactory(reseller=reseller_org, name="Ikeja Offices")
    other_mine = TicketFactory(account=second, subject="Office printer offline")
    direct = TicketFactory(account=AccountFactory(), subject="Direct customer issue")
    gone = TicketFactory(account=AccountFactory(reseller=reseller_org, deleted_at=timezone.now()), subject="Gone")
    response = portal.get("/tickets/")
    html = response.content.decode()
    assert response.status_code == 200
    assert {t.pk for t in response.context["page"]} == {ticket.pk, other_mine.pk}
    assert mine.number in html and "Lekki Gardens" in html  # the account column
    for hidden in (theirs, direct, gone):
        assert hidden.number not in html and escape(hidden.subject) not in html
    assert "Rival Networks" not in html and "Rival Customer" not in html  # not in the account filter either


def test_filter_by_account_status_and_search(portal, reseller_org, mine, ticket, theirs):
    second = AccountFactory(reseller=reseller_org)
    closed = TicketFactory(account=second, status=TicketStatus.CLOSED, subject="Estate billing")
    assert [t.pk for t in portal.get("/tickets/", {"account": second.pk}).context["page"]] == [closed.pk]
    assert [t.pk for t in portal.get("/tickets/", {"state": "open"}).context["page"]] == [ticket.pk]
    assert {t.pk for t in portal.get("/tickets/", {"search": "estate"}).context["page"]} == {ticket.pk, closed.pk}
    assert list(portal.get("/tickets/", {"search": theirs.number}).context["page"]) == []
    # Another reseller's account is not a choice: the filter refuses it and shows no rows.
    response = portal.get("/tickets/", {"account": theirs.account_id})
    assert response.status_code == 400 and list(response.context["page"]) == []
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("rows", [10, 500])
def test_list_queries_do_not_grow(portal, mine, rows, django_assert_max_num_queries):
    TicketFactory.create_batch(rows, account=mine)
    with django_assert_max_num_queries(4):  # user (the session is cached), accounts filter, count, page
        response = portal.get("/tickets/")
    assert len(response.context["page"]) == min(rows, 25)
    assert f"of {rows}" in response.content.decode()


def test_ticket_page_shows_public_replies_only(portal, ticket, agent, mine):
    services.reply_post(ticket_id=ticket.pk, author=agent, body="We sent a technician.")
    services.reply_post(
        ticket_id=ticket.pk, author=agent, body="NOTE: reseller is late paying", public=False,
        files=[SimpleUploadedFile("internal.txt", b"x")],
    )  # fmt: skip
    html = portal.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "We sent a technician." in html and f'href="/accounts/{mine.pk}/"' in html
    assert "late paying" not in html and "internal.txt" not in html
    note_file = TicketAttachment.objects.get(name="internal.txt")
    assert portal.get(f"/attachments/{note_file.pk}/").status_code == 404


def test_another_resellers_ticket_is_a_404_and_takes_no_reply(portal, theirs):
    assert portal.get(f"/tickets/{theirs.pk}/").status_code == 404
    assert portal.post(f"/tickets/{theirs.pk}/reply/", {"body": "hello"}).status_code == 404
    assert not TicketComment.objects.exists()


def test_reply_reopens_a_resolved_ticket(portal, mine, reseller):
    resolved = TicketFactory(account=mine, status=TicketStatus.RESOLVED)
    response = portal.post(f"/tickets/{resolved.pk}/reply/", {"body": "Customer says still down"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{resolved.pk}/"
    resolved.refresh_from_db()
    assert resolved.status == TicketStatus.OPEN
    assert TicketComment.objects.get().author == reseller


def test_open_a_ticket_on_one_of_own_accounts(portal, mine, rival):
    form = portal.get("/tickets/new/", {"account": mine.pk}).content.decode()
    assert "Lekki Gardens" in form and "Rival Customer" not in form
    assert f'<option value="{mine.pk}" selected>' in form
    response = portal.post(
        "/tickets/new/", {"account": mine.pk, "subject": "Estate down", "description": "All houses", "priority": "high"}
    )
    created = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{created.pk}/"
    assert (created.account, created.contact, created.source, created.priority) == (
        mine,
        None,
        TicketSource.PORTAL,
        "high",
    )


@pytest.mark.parametrize(
    ("account", "error"),
    [
        ("rival", "Select a valid choice. That choice is not one of the available choices."),
        ("none", "This field is required."),
    ],
)
def test_opening_on_another_resellers_account_or_none_is_refused(portal, rival, account, error):
    data = {"subject": "x", "description": "y", "priority": "normal"}
    if account == "rival":
        data["account"] = rival.pk
    response = portal.post("/tickets/new/", data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Ticket.objects.exists()


def test_follow_up_preselects_the_closed_tickets_account(portal, mine, reseller_org):
    AccountFactory(reseller=reseller_org, name="Another One")
    closed = TicketFactory(account=mine, status=TicketStatus.CLOSED, subject="Old fault")
    form = portal.get("/tickets/new/", {"follow_up_of": closed.pk}).content.decode()
    assert f'<option value="{mine.pk}" selected>' in form and f'value="{closed.pk}"' in form
    data = {
        "account": mine.pk,
        "subject": "Again",
        "description": "Back",
        "priority": "normal",
        "follow_up_of": closed.pk,
    }
    assert portal.post("/tickets/new/", data).status_code == 302
    assert Ticket.objects.get(subject="Again").follow_up_of == closed


@pytest.mark.parametrize("who", ["agent", "customer", "vendor"])
def test_pages_refuse_users_of_other_audiences(client_as, request, who, ticket):
    client = client_as(request.getfixturevalue(who), host=HOST)
    for path in ("/tickets/", "/tickets/new/", f"/tickets/{ticket.pk}/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert escape(ticket.subject) not in response.content.decode()
    assert client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 403
    assert not TicketComment.objects.exists()


def test_pages_send_anonymous_users_to_sign_in(client, ticket):
    for path in ("/tickets/", "/tickets/new/", f"/tickets/{ticket.pk}/"):
        response = client.get(path, HTTP_HOST=HOST)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"


def test_account_page_links_to_its_tickets(portal, mine):
    html = portal.get(f"/accounts/{mine.pk}/").content.decode()
    assert f'href="/tickets/?account={mine.pk}"' in html and f'href="/tickets/new/?account={mine.pk}"' in html
