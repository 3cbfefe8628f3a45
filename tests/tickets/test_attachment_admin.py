"""The admin of ticket attachments: a list to look at (search by ticket number or name), no adding or editing, and
deleting one removes the stored file."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.models import TicketAttachment

pytestmark = pytest.mark.django_db
URL = "/admin/tickets/ticketattachment/"


@pytest.fixture
def files(account, agent):
    first, second = TicketFactory(account=account), TicketFactory(account=account)
    services.reply_post(ticket_id=first.pk, author=agent, body="a", files=[SimpleUploadedFile("a.txt", b"a")])
    services.reply_post(ticket_id=second.pk, author=agent, body="b", files=[SimpleUploadedFile("b.csv", b"x,y")])
    return TicketAttachment.objects.get(name="a.txt"), TicketAttachment.objects.get(name="b.csv")


def test_the_list_searches_by_ticket_number_and_name(admin_user, client_as, files):
    admin = client_as(admin_user)
    a, b = files
    assert admin.get(URL).status_code == 200
    assert admin.get(URL, {"q": a.ticket.number}).context["cl"].result_count == 1
    assert admin.get(URL, {"q": "b.csv"}).context["cl"].result_count == 1
    page = admin.get(f"{URL}{a.pk}/change/")
    assert page.status_code == 200 and f"/attachments/{a.pk}/" in page.content.decode()
    assert admin.get(f"{URL}add/").status_code == 403


def test_deleting_removes_the_file(admin_user, client_as, files):
    a, _b = files
    path = a.file.name
    assert default_storage.exists(path)
    response = client_as(admin_user).post(f"{URL}{a.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TicketAttachment.objects.filter(pk=a.pk).exists()
    assert not default_storage.exists(path)


def test_staff_see_only_the_files_of_tickets_they_may_see(agent, client_as, files, admin_user):
    """Team access holds in the admin too (tickets/admin/scope.py): here for files, tickets and comments."""
    from tests.tickets.factories import TeamFactory

    a, b = files
    billing = TeamFactory(name="Billing")  # the agent is no member and has no access
    Ticket = type(a.ticket)
    Ticket.objects.filter(pk=b.ticket_id).update(team=billing)
    admin = client_as(agent)
    assert admin.get(URL).context["cl"].result_count == 1  # a's ticket is in no team: the intake, seen by all
    assert admin.get(f"{URL}{b.pk}/change/").status_code == 302  # out of scope: "does not exist" back to the list
    assert admin.get("/admin/tickets/ticket/").context["cl"].result_count == 1
    assert admin.get("/admin/tickets/ticketcomment/").context["cl"].result_count == 1
    assert client_as(admin_user).get("/admin/tickets/ticket/").context["cl"].result_count == 2
