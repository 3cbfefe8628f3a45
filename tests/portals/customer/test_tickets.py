"""Customer portal support pages (portal.localhost/tickets/): the customer's own account's tickets only, the public
conversation only (never an internal note or its file), replies with files, and opening tickets and follow-ups."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from crm.models import CustomerUser
from tests.crm.factories import ContactFactory, link
from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.choices import TicketSource, TicketStatus
from tickets.models import Ticket, TicketAttachment, TicketComment

HOST = "portal.localhost"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PATHS = ["/tickets/", "/tickets/new/"]


def _file(name="photo.png", content=PNG):
    return SimpleUploadedFile(name, content)


@pytest.fixture
def portal(client_as, customer):
    return client_as(customer, host=HOST)


@pytest.fixture
def ticket(account):
    return TicketFactory(account=account, subject="Router light is red", status=TicketStatus.OPEN)


@pytest.fixture
def theirs(other_account):
    return TicketFactory(account=other_account, subject="Their secret outage", status=TicketStatus.OPEN)


@pytest.fixture
def conversation(ticket, agent, customer):
    """A public staff reply with a file, an internal note with a file, and the customer's reply."""
    services.reply_post(
        ticket_id=ticket.pk, author=agent, body="Please restart the router.", files=[_file("steps.txt", b"1. off")]
    )
    services.reply_post(
        ticket_id=ticket.pk, author=agent, body="INTERNAL: customer owes 3 months", public=False,
        files=[_file("debt-report.txt", b"secret")],
    )  # fmt: skip
    services.reply_post(ticket_id=ticket.pk, author=customer, body="Restarted, still red.")
    return ticket


# ---- the list ------------------------------------------------------------------------------------------------


def test_list_shows_own_accounts_tickets_only(portal, ticket, theirs, account):
    deleted = TicketFactory(account=account, subject="Deleted one", deleted_at=timezone.now())
    response = portal.get("/tickets/")
    html = response.content.decode()
    assert response.status_code == 200
    assert [t.pk for t in response.context["page"]] == [ticket.pk]
    assert ticket.number in html and "Router light is red" in html and 'data-status="open"' in html
    assert theirs.number not in html and "Their secret outage" not in html
    assert deleted.number not in html
    assert f'href="/tickets/{ticket.pk}/"' in html


def test_search_by_number_or_subject_never_finds_another_accounts_ticket(portal, ticket, theirs, account):
    TicketFactory(account=account, subject="Billing question")
    for term in (ticket.number, "router LIGHT", ticket.number[-4:]):
        assert [t.pk for t in portal.get("/tickets/", {"search": term}).context["page"]] == [ticket.pk], term
    for term in (theirs.number, "secret outage"):
        response = portal.get("/tickets/", {"search": term})
        assert list(response.context["page"]) == [], term
        assert "No tickets match these filters." in response.content.decode()


def test_state_filter_splits_open_from_resolved_and_closed(portal, account):
    new = TicketFactory(account=account, status=TicketStatus.NEW)
    pending = TicketFactory(account=account, status=TicketStatus.PENDING_CUSTOMER)
    resolved = TicketFactory(account=account, status=TicketStatus.RESOLVED)
    closed = TicketFactory(account=account, status=TicketStatus.CLOSED)
    assert {t.pk for t in portal.get("/tickets/", {"state": "open"}).context["page"]} == {new.pk, pending.pk}
    assert {t.pk for t in portal.get("/tickets/", {"state": "closed"}).context["page"]} == {resolved.pk, closed.pk}
    response = portal.get("/tickets/", {"state": "everything"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_htmx_gets_the_table_only(portal, ticket):
    response = portal.get("/tickets/", {"search": "router"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="ticket-table"') and "<html" not in html
    assert ticket.number in html


@pytest.mark.parametrize("rows", [10, 500])
def test_list_queries_do_not_grow(portal, account, other_account, rows, django_assert_max_num_queries):
    TicketFactory.create_batch(rows, account=account)
    TicketFactory.create_batch(5, account=other_account)
    with django_assert_max_num_queries(3):  # user (the session is cached), count, page
        response = portal.get("/tickets/")
    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)
    assert f"of {rows}" in response.content.decode()


def test_dashboard_counts_open_tickets(portal, account, other_account):
    TicketFactory.create_batch(2, account=account, status=TicketStatus.OPEN)
    TicketFactory(account=account, status=TicketStatus.CLOSED)
    TicketFactory.create_batch(3, account=other_account, status=TicketStatus.OPEN)
    html = portal.get("/").content.decode()
    assert 'data-open-tickets="2"' in html and "You have 2 open tickets." in html
    assert 'href="/tickets/"' in html  # the Support nav link


# ---- one ticket ----------------------------------------------------------------------------------------------


def test_ticket_page_shows_the_public_conversation_and_never_a_note(portal, conversation):
    response = portal.get(f"/tickets/{conversation.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please restart the router." in html and "Restarted, still red." in html
    assert "steps.txt" in html
    public_file = TicketAttachment.objects.get(name="steps.txt")
    assert f'href="/attachments/{public_file.pk}/"' in html
    note_file = TicketAttachment.objects.get(name="debt-report.txt")
    assert "INTERNAL" not in html and "owes 3 months" not in html
    assert "debt-report" not in html and str(note_file.pk) not in html
    # Nor by the link: the note's file is a 404 to the customer, the public one downloads.
    assert portal.get(f"/attachments/{note_file.pk}/").status_code == 404
    download = portal.get(f"/attachments/{public_file.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"1. off"


def test_another_accounts_ticket_is_a_404_and_takes_no_reply(portal, theirs, other_customer):
    services.reply_post(
        ticket_id=theirs.pk, author=other_customer, body="their words", files=[_file("their.txt", b"x")]
    )
    their_file = TicketAttachment.objects.get(name="their.txt")
    assert portal.get(f"/tickets/{theirs.pk}/").status_code == 404
    response = portal.post(f"/tickets/{theirs.pk}/reply/", {"body": "let me in"})
    assert response.status_code == 404
    assert portal.get(f"/attachments/{their_file.pk}/").status_code == 404
    assert list(TicketComment.objects.filter(ticket=theirs).values_list("body", flat=True)) == ["their words"]


def test_reply_without_js_redirects_back_with_the_reply_and_its_file(portal, ticket, customer):
    response = portal.post(f"/tickets/{ticket.pk}/reply/", {"body": "Here is a photo", "files": [_file()]})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    comment = TicketComment.objects.get(ticket=ticket)
    assert (comment.body, comment.author, comment.public) == ("Here is a photo", customer, True)
    assert comment.attachments.get().name == "photo.png"
    html = portal.get(response["Location"]).content.decode()
    assert "Your reply was sent." in html and "Here is a photo" in html and "photo.png" in html


def test_reply_with_htmx_returns_the_thread_with_the_new_reply(portal, ticket):
    response = portal.post(f"/tickets/{ticket.pk}/reply/", {"body": "Any news?"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="ticket-thread"') and "<html" not in html
    assert "Any news?" in html and "Your reply was sent." in html
    assert '<textarea name="body"' in html and "Any news?</textarea>" not in html  # a fresh form


@pytest.mark.parametrize("status", [TicketStatus.RESOLVED, TicketStatus.PENDING_CUSTOMER])
def test_a_reply_reopens_a_resolved_or_pending_ticket(portal, account, status):
    waiting = TicketFactory(account=account, status=status)
    response = portal.post(f"/tickets/{waiting.pk}/reply/", {"body": "Still broken"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-status="open"' in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.OPEN


@pytest.mark.parametrize("htmx", [True, False])
def test_empty_reply_shows_the_error_and_writes_nothing(portal, ticket, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = portal.post(f"/tickets/{ticket.pk}/reply/", {"body": "  "}, **headers)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not TicketComment.objects.exists()


def test_too_big_file_on_a_reply_names_the_file_and_writes_nothing(portal, ticket, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 2048
    response = portal.post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "logs", "files": [_file("big.txt", b"x" * 4096)]},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "big.txt is 4.0\xa0KB; the limit is 2.0\xa0KB." in html
    assert "logs</textarea>" in html  # what was typed is kept
    assert not TicketComment.objects.exists() and not TicketAttachment.objects.exists()


def test_closed_ticket_offers_a_follow_up_and_takes_no_reply(portal, account):
    closed = TicketFactory(account=account, status=TicketStatus.CLOSED, subject="Old fault")
    html = portal.get(f"/tickets/{closed.pk}/").content.decode()
    assert "This ticket is closed — open a follow-up" in html
    assert f'href="/tickets/new/?follow_up_of={closed.pk}"' in html
    assert 'name="body"' not in html
    response = portal.post(f"/tickets/{closed.pk}/reply/", {"body": "again"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "open a follow-up ticket" in response.content.decode()
    assert not TicketComment.objects.exists()


# ---- opening a ticket ----------------------------------------------------------------------------------------


def test_open_a_ticket_with_files_on_own_account_with_own_contact(portal, customer, account, other_account):
    contact = ContactFactory(first_name="Ada", last_name="Obi")
    link(contact, account)
    CustomerUser.objects.filter(user=customer).update(contact=contact)
    form = portal.get("/tickets/new/").content.decode()
    assert 'name="account"' not in form and 'value="urgent"' not in form and 'value="high"' in form
    response = portal.post(
        "/tickets/new/",
        {
            "subject": "No internet since noon",
            "description": "Red light.",
            "category": "connectivity",
            "priority": "high",
            "files": [_file(), _file("notes.txt", b"hello")],
            "account": other_account.pk,  # ignored: customers open on their own account
        },
    )
    created = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{created.pk}/"
    assert (created.account, created.contact, created.source) == (account, contact, TicketSource.PORTAL)
    assert (created.subject, created.priority, created.category) == ("No internet since noon", "high", "connectivity")
    assert {a.name for a in created.attachments.all()} == {"photo.png", "notes.txt"}
    assert all(a.public and a.comment_id is None for a in created.attachments.all())
    html = portal.get(response["Location"]).content.decode()
    assert f"Ticket {created.number} opened." in html and "notes.txt" in html and "Ada Obi" in html


def test_open_a_ticket_without_a_linked_contact_leaves_it_empty(portal, account):
    portal.post("/tickets/new/", {"subject": "Slow", "description": "Very slow", "priority": "normal"})
    created = Ticket.objects.get()
    assert created.contact is None and created.account == account and created.status == TicketStatus.NEW


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"subject": "", "description": "x", "priority": "normal"}, "This field is required."),
        ({"subject": "x", "description": "x", "priority": "urgent"}, "Select a valid choice. urgent is not one"),
    ],
)
def test_bad_new_ticket_shows_the_error_and_writes_nothing(portal, data, field_error):
    response = portal.post("/tickets/new/", data)
    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert not Ticket.objects.exists()


def test_too_big_file_on_a_new_ticket_writes_nothing(portal, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 2048
    data = {"subject": "Logs", "description": "see file", "priority": "low", "files": [_file("big.txt", b"x" * 4096)]}
    response = portal.post("/tickets/new/", data)
    assert response.status_code == 422
    assert "big.txt is 4.0\xa0KB; the limit is 2.0\xa0KB." in response.content.decode()
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_follow_up_of_a_closed_ticket_links_it(portal, account):
    closed = TicketFactory(account=account, status=TicketStatus.CLOSED, subject="Old fault")
    form = portal.get("/tickets/new/", {"follow_up_of": closed.pk}).content.decode()
    assert f"A follow-up to the closed ticket {closed.number}." in form
    assert f'value="{closed.pk}"' in form and 'value="Old fault"' in form
    response = portal.post(
        "/tickets/new/",
        {"subject": "Old fault again", "description": "Back", "priority": "normal", "follow_up_of": closed.pk},
    )
    follow_up = Ticket.objects.exclude(pk=closed.pk).get()
    assert response.status_code == 302
    assert follow_up.follow_up_of == closed
    html = portal.get(f"/tickets/{follow_up.pk}/").content.decode()
    assert f'href="/tickets/{closed.pk}/"' in html and closed.number in html
    assert follow_up.number in portal.get(f"/tickets/{closed.pk}/").content.decode()


def test_follow_up_of_another_accounts_ticket_is_refused(portal, other_account):
    closed = TicketFactory(account=other_account, status=TicketStatus.CLOSED, subject="Their fault")
    assert "Their fault" not in portal.get("/tickets/new/", {"follow_up_of": closed.pk}).content.decode()
    data = {"subject": "x", "description": "y", "priority": "normal", "follow_up_of": closed.pk}
    response = portal.post("/tickets/new/", data)
    assert response.status_code == 422
    assert "follow_up_of: A follow-up names a closed ticket of the same account." in response.content.decode()
    assert Ticket.objects.count() == 1


def test_customer_without_an_account_cannot_open_one(portal, account):
    account.deleted_at = timezone.now()
    account.save(update_fields=["deleted_at"])
    assert "No account is linked to your sign-in" in portal.get("/tickets/new/").content.decode()
    assert portal.post("/tickets/new/", {"subject": "x", "description": "y", "priority": "low"}).status_code == 404
    assert not Ticket.objects.exists()


# ---- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "reseller", "vendor"])
def test_pages_refuse_users_of_other_audiences(client_as, request, who, ticket):
    client = client_as(request.getfixturevalue(who), host=HOST)
    for path in [*PATHS, f"/tickets/{ticket.pk}/"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert escape(ticket.subject) not in response.content.decode()
    assert client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 403
    assert client.post("/tickets/new/", {"subject": "x", "description": "y", "priority": "low"}).status_code == 403
    assert not TicketComment.objects.exists() and Ticket.objects.count() == 1


def test_pages_send_anonymous_users_to_sign_in(client, ticket):
    for path in [*PATHS, f"/tickets/{ticket.pk}/"]:
        response = client.get(path, HTTP_HOST=HOST)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x"}, HTTP_HOST=HOST)
    assert response.status_code == 302 and not TicketComment.objects.exists()


def test_staff_show_by_first_name_never_by_email(portal, ticket, agent):
    from tests.omni.factories import StaffFactory

    nameless = StaffFactory(email="ops.desk@example.com", full_name="", roles=["Agent"])
    agent.full_name = "Bola Ade"
    agent.save(update_fields=["full_name"])
    services.reply_post(ticket_id=ticket.pk, author=agent, body="first")
    services.reply_post(ticket_id=ticket.pk, author=nameless, body="second")
    html = portal.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Bola (support)" in html and "Ade" not in html
    assert "ops.desk" not in html and "agent@example.com" not in html


@pytest.mark.parametrize("replies", [3, 30])
def test_ticket_page_queries_do_not_grow_with_replies(
    portal, ticket, agent, customer, replies, django_assert_max_num_queries
):
    for n in range(replies):
        author = agent if n % 2 else customer
        services.reply_post(ticket_id=ticket.pk, author=author, body=f"reply {n}", files=[_file(f"f{n}.txt", b"x")])
        services.reply_post(ticket_id=ticket.pk, author=agent, body=f"note {n}", public=False)
    with django_assert_max_num_queries(5):  # user, ticket, comments (with authors), their files, opening files
        response = portal.get(f"/tickets/{ticket.pk}/")
    html = response.content.decode()
    assert html.count('<article class="card') == replies + 1  # the opening and each public reply
    assert html.count("/attachments/") == replies and "note 0" not in html
