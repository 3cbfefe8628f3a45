"""/attachments/<id>/: a ticket's file for whoever may see it, on their own host; everyone else gets 404 (or 403 on
a host that is not theirs), never the file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.omni.factories import StaffFactory
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(account, agent):
    ticket = TicketFactory(account=account, team=TeamFactory(members=[agent]))
    public = services.reply_post(
        ticket_id=ticket.pk, author=agent, body="log", files=[SimpleUploadedFile("router.log", b"uptime 3d")]
    )
    note = services.reply_post(
        ticket_id=ticket.pk, author=agent, body="n", public=False, files=[SimpleUploadedFile("n.txt", b"secret")]
    )
    return public.attachments.get(), note.attachments.get()


def _get(client, attachment):
    return client.get(f"/attachments/{attachment.pk}/")


def test_staff_of_the_team_download_both_as_files(client_as, agent, files):
    public, note = files
    response = _get(client_as(agent), public)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"uptime 3d"
    assert response["Content-Disposition"] == 'attachment; filename="router.log"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _get(client_as(agent), note).status_code == 200


def test_staff_outside_the_team_get_404(client_as, files):
    outsider = StaffFactory(roles=["Agent"])
    assert [_get(client_as(outsider), f).status_code for f in files] == [404, 404]


def test_the_customer_gets_public_files_only(client_as, customer, files):
    public, note = files
    client = client_as(customer, host="portal.localhost")
    assert _get(client, public).status_code == 200
    assert _get(client, note).status_code == 404


def test_another_customer_gets_404_and_no_one_gets_a_file_off_their_host(client_as, customer, other_customer, files):
    public, _note = files
    assert _get(client_as(other_customer, host="portal.localhost"), public).status_code == 404
    assert _get(client_as(customer), public).status_code == 403  # a customer on the staff host


def test_resellers_and_vendors_get_404(client_as, reseller, vendor, files):
    public, _note = files
    assert _get(client_as(reseller, host="reseller.localhost"), public).status_code == 404
    assert _get(client_as(vendor, host="vendor.localhost"), public).status_code == 404


def test_anonymous_users_go_to_sign_in(client, files):
    response = client.get(f"/attachments/{files[0].pk}/", HTTP_HOST="portal.localhost")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
