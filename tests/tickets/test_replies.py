"""Replies with files and mentions (services.reply_post): limits, signatures, one transaction, who may download
which file, and the mentioned staff told once."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.models import Delivery
from omni.exceptions import Conflict
from tests.omni.factories import StaffFactory
from tests.tickets.factories import TicketFactory
from tickets import selectors, services
from tickets.choices import TicketStatus
from tickets.models import TicketAttachment, TicketComment

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _file(name="photo.png", content=PNG):
    return SimpleUploadedFile(name, content)


def test_a_reply_stores_its_files_as_visible_as_the_reply(account, agent):
    ticket = TicketFactory(account=account)
    reply = services.reply_post(
        ticket_id=ticket.pk, author=agent, body="See the photo", files=[_file(), _file("notes.txt", b"hello")]
    )
    note = services.reply_post(ticket_id=ticket.pk, author=agent, body="internal", public=False, files=[_file()])
    files = {a.name: a for a in TicketAttachment.objects.filter(comment=reply)}
    assert set(files) == {"photo.png", "notes.txt"}
    assert files["notes.txt"].size == 5 and files["notes.txt"].content_type == "text/plain"
    assert (
        files["photo.png"].file.name.startswith(f"tickets/{ticket.pk}/") and "photo" not in files["photo.png"].file.name
    )
    assert default_storage.open(files["notes.txt"].file.name).read() == b"hello"
    assert TicketAttachment.objects.get(comment=note).public is False


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (lambda: _file("tool.exe", b"MZ\x90\x00"), ".exe files are not accepted"),
        (lambda: _file("fake.png", b"MZ\x90\x00 not a png"), "is not a real .png file"),
        (lambda: _file("big.txt", b"x" * 2049), "the limit is 2.0\xa0KB"),
    ],
)
def test_a_refused_file_names_itself_and_leaves_nothing_behind(account, agent, settings, upload, reason):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 2048
    ticket = TicketFactory(account=account)
    with pytest.raises(ValidationError) as err:
        services.reply_post(ticket_id=ticket.pk, author=agent, body="x", files=[_file(), upload()])
    assert list(err.value.message_dict) == ["files"]
    assert reason in err.value.message_dict["files"][0]
    assert not TicketComment.objects.filter(ticket=ticket).exists()
    assert not TicketAttachment.objects.exists()


def test_too_many_files(account, agent, settings):
    settings.TICKET_ATTACHMENT_MAX_FILES = 1
    ticket = TicketFactory(account=account)
    with pytest.raises(ValidationError) as err:
        services.reply_post(ticket_id=ticket.pk, author=agent, body="x", files=[_file(), _file()])
    assert err.value.message_dict == {"files": ["At most 1 files per reply."]}


def test_a_reply_that_fails_after_storing_removes_the_files(account, agent):
    ticket = TicketFactory(account=account, status=TicketStatus.CLOSED)
    before = (
        set(default_storage.listdir(f"tickets/{ticket.pk}")[1])
        if default_storage.exists(f"tickets/{ticket.pk}")
        else set()
    )
    with pytest.raises(Conflict):
        services.reply_post(ticket_id=ticket.pk, author=agent, body="late", files=[_file()])
    after = (
        set(default_storage.listdir(f"tickets/{ticket.pk}")[1])
        if default_storage.exists(f"tickets/{ticket.pk}")
        else set()
    )
    assert after == before
    assert not TicketAttachment.objects.exists()


def test_portal_users_download_only_their_accounts_public_files(account, agent, customer, other_customer):
    ticket = TicketFactory(account=account)
    services.reply_post(ticket_id=ticket.pk, author=agent, body="public", files=[_file("a.txt", b"a")])
    services.reply_post(ticket_id=ticket.pk, author=agent, body="note", public=False, files=[_file("b.txt", b"b")])
    names = lambda user: set(selectors.attachment_list_visible_to(user=user).values_list("name", flat=True))  # noqa: E731
    assert names(agent) == {"a.txt", "b.txt"}
    assert names(customer) == {"a.txt"}
    assert names(other_customer) == set()


def test_customers_attach_to_their_replies(account, customer):
    ticket = TicketFactory(account=account)
    reply = services.reply_post(ticket_id=ticket.pk, author=customer, body="photo", files=[_file()])
    assert reply.attachments.get().uploaded_by == customer


def test_mentions_by_handle_and_by_pick_are_told_once(account, agent):
    alice = StaffFactory(email="alice.o@example.com")
    bob = StaffFactory(email="bob@example.com")
    StaffFactory(email="carol@one.example"), StaffFactory(email="carol@two.example")  # an ambiguous handle
    ticket = TicketFactory(account=account)
    comment = services.reply_post(
        ticket_id=ticket.pk,
        author=agent,
        body="@alice.o and @carol please look; mail me at agent@example.com, @nobody",
        public=False,
        mention_ids=[bob.pk],
    )
    assert set(comment.mentions.all()) == {alice, bob}
    told = Delivery.objects.filter(event="tickets.comment.mentioned")
    assert {d.recipient_key for d in told} == {f"omni.user:{alice.pk}", f"omni.user:{bob.pk}"}
    assert told.filter(channel="inapp").count() == 2


def test_only_staff_can_be_picked_and_portal_users_mention_nobody(account, agent, customer):
    ticket = TicketFactory(account=account)
    with pytest.raises(ValidationError) as err:
        services.reply_post(ticket_id=ticket.pk, author=agent, body="x", mention_ids=[customer.pk])
    assert list(err.value.message_dict) == ["mention_ids"]
    reply = services.reply_post(ticket_id=ticket.pk, author=customer, body="hi @agent")
    assert not reply.mentions.exists()
