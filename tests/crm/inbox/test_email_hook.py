"""The email channel end to end, through `POST /hooks/email/<channel>/` (an MTA pipe) and a real SMTP server for
replies: the secret, idempotency, threading by Message-ID / In-Reply-To / References both ways, attachments,
bounces of our outbound, and automatic mail that is stored but never answered automatically."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from crm import services
from crm.choices import ChannelKind, MessageDirection, MessageStatus
from crm.models import Contact, Conversation, Message, MessageAttachment
from crm.providers import for_channel
from crm.services.inbox import InboundAttachment
from crm.tasks import inbox_message_send
from notifications.channels.base import TransientError
from tests.celery_support import run_published
from tests.notifications.email_support import smtp_running

from . import email_payloads as payloads
from .factories import ChannelFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-inbound-token-of-the-channel"
ADDRESS = "support@isp.example"


@pytest.fixture
def channel():
    channel = ChannelFactory(kind=ChannelKind.EMAIL, name="DotMac Support", address=ADDRESS)
    channel.set_credentials({"inbound_secret": SECRET})
    channel.save()
    return channel


@pytest.fixture
def smtp(settings):
    with smtp_running(settings) as server:
        yield server


def post(channel, raw: bytes, token: str | None = SECRET, channel_id=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return Client(HTTP_HOST="localhost").post(
        f"/hooks/email/{channel_id or channel.pk}/", raw, content_type="message/rfc822", **headers
    )


def deliver(reply: Message, captured) -> Message:
    """Run the delivery task the reply queued (taken off the test broker, as a worker would)."""
    assert [result.state for result in run_published(inbox_message_send, str(reply.pk))] == ["SUCCESS"]
    reply.refresh_from_db()
    return reply


def reply(conversation_id, agent, body, django_capture_on_commit_callbacks, **kwargs) -> Message:
    with django_capture_on_commit_callbacks(execute=True) as captured:
        message = services.reply_send(conversation_id=conversation_id, author=agent, body=body, **kwargs)
    return deliver(message, captured)


def test_without_or_with_a_wrong_secret_the_hook_is_401_and_stores_nothing(channel, client_as, agent):
    for token in (None, "wrong", ""):
        response = post(channel, payloads.gmail_reply(), token=token)
        assert response.status_code == 401, token
        assert response.json()["code"] == "not_authenticated"
    response = Client(HTTP_HOST="localhost").post(
        f"/hooks/email/{channel.pk}/", payloads.gmail_reply(), content_type="message/rfc822", HTTP_AUTHORIZATION=SECRET
    )
    assert response.status_code == 401  # the secret without the Bearer scheme
    # A signed-in staff session is no secret either.
    response = client_as(agent).post(
        f"/hooks/email/{channel.pk}/", payloads.gmail_reply(), content_type="message/rfc822"
    )
    assert response.status_code == 401
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_an_unknown_inactive_or_other_kind_of_channel_is_404(channel):
    assert post(channel, payloads.gmail_reply(), channel_id=uuid.uuid4()).status_code == 404
    sms = ChannelFactory(kind=ChannelKind.SMS)
    assert post(channel, payloads.gmail_reply(), channel_id=sms.pk).status_code == 404
    portal = Client(HTTP_HOST="portal.localhost").post(
        f"/hooks/email/{channel.pk}/", payloads.gmail_reply(), content_type="message/rfc822",
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
    )  # fmt: skip
    assert portal.status_code == 404  # the hooks live on the staff host only
    channel.active = False
    channel.save()
    assert post(channel, payloads.gmail_reply()).status_code == 404
    assert Client(HTTP_HOST="localhost").get(f"/hooks/email/{channel.pk}/").status_code == 405
    assert not Message.objects.exists()


def test_a_gmail_reply_is_stored_once_trimmed_with_its_original_and_sender(channel):
    response = post(channel, payloads.gmail_reply())
    assert response.status_code == 200, response.content
    assert response.json()["created"] is True
    again = post(channel, payloads.gmail_reply())
    assert again.status_code == 200 and again.json() == {**response.json(), "created": False}
    message = Message.objects.get()
    assert str(message.pk) == response.json()["message"]
    assert message.body == "Thanks, the router is back online now. The light is green again \u2013 great work."
    assert "wrote:" in message.original and "Marina Road" in message.original
    assert message.external_id == "<CAF+gm1@mail.gmail.com>" and message.status == MessageStatus.RECEIVED
    assert message.metadata["from"] == "ada.obi@gmail.example" and "auto_submitted" not in message.metadata
    assert message.sent_at.isoformat() == "2026-12-01T09:15:03+00:00"
    conversation = message.conversation
    assert conversation.thread_key == "<CAF+gm1@mail.gmail.com>"
    assert conversation.subject == "Re: Internet down since this morning"
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.last_name) == ("ada.obi@gmail.example", "Ada", "Obi")
    assert message.sender == contact == conversation.contact


def test_a_message_over_the_size_cap_is_413_and_an_unreadable_one_400(channel, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 2000
    response = post(channel, payloads.with_attachments() + b"x" * 2000)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    response = post(channel, b"Subject: no sender\n\nhello\n")
    assert response.status_code == 400
    assert "message" in response.json()["fields"] and "sender" in response.json()["detail"]
    assert post(channel, b"").status_code == 400
    assert not Message.objects.exists()


def test_a_large_message_under_the_cap_is_taken_past_django_s_upload_limit(channel, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # .body would refuse it; the hook reads the stream itself
    response = post(channel, payloads.plain(body="A long story. " * 500))
    assert response.status_code == 200, response.content
    assert Message.objects.get().body.startswith("A long story.")


def test_attachments_are_stored_with_the_message(channel):
    assert post(channel, payloads.with_attachments()).status_code == 200
    files = {row.filename: row for row in MessageAttachment.objects.all()}
    assert set(files) == {"cable.png", "form.pdf"}
    png = files["cable.png"]
    assert (png.content_type, png.size) == ("image/png", len(payloads.PNG))
    with png.file.open("rb") as handle:
        assert handle.read() == payloads.PNG


def test_an_html_only_message_is_stored_as_text(channel):
    assert post(channel, payloads.html_only()).status_code == 200
    message = Message.objects.get()
    assert message.body.startswith("Hello team,\n\nMy bill shows two charges") and "<" not in message.body
    assert message.metadata["html"] is True and "> Your bill for November is ready." in message.original


def test_a_reply_goes_out_with_threading_headers_and_the_customer_s_answer_lands_in_the_same_conversation(
    channel, agent, smtp, django_capture_on_commit_callbacks
):
    first = post(channel, payloads.gmail_reply(references="<older@isp.example>", in_reply_to="<older@isp.example>"))
    inbound = Message.objects.get(pk=first.json()["message"])
    conversation = inbound.conversation
    sent = reply(conversation.pk, agent, "Glad to hear it! Anything else?", django_capture_on_commit_callbacks)
    assert sent.status == MessageStatus.SENT
    assert sent.external_id == f"<omni.{sent.pk.hex}@isp.example>"
    [mail] = smtp.messages
    assert mail["Message-ID"] == sent.external_id
    assert mail["In-Reply-To"] == "<CAF+gm1@mail.gmail.com>"
    # The parent's References, then the parent (RFC 5322 3.6.4); the thread's root (its key) is in it.
    assert mail["References"].split() == ["<older@isp.example>", "<CAF+gm1@mail.gmail.com>"]
    assert conversation.thread_key == "<CAF+gm1@mail.gmail.com>"
    assert mail["Subject"] == "Re: Internet down since this morning"  # no "Re: Re:"
    assert mail["From"] == f"DotMac Support <{ADDRESS}>"
    assert mail["To"].addresses[0].addr_spec == "ada.obi@gmail.example"
    assert mail.get_body(("plain",)).get_content().strip() == "Glad to hear it! Anything else?"
    assert "Auto-Submitted" not in mail

    answer = payloads.gmail_reply(
        message_id="<CAF+gm2@mail.gmail.com>",
        in_reply_to=sent.external_id,
        references=f"<older@isp.example> <CAF+gm1@mail.gmail.com> {sent.external_id}",
    )
    assert post(channel, answer).json()["conversation"] == str(conversation.pk)
    assert Conversation.objects.count() == 1
    assert list(conversation.messages.values_list("direction", flat=True)) == ["inbound", "outbound", "inbound"]


def test_references_alone_thread_an_answer_and_an_unrelated_mail_starts_a_new_thread(channel):
    root = post(channel, payloads.plain(message_id="<root-1@example.com>")).json()
    # Some clients send References only (no In-Reply-To); the nearest id we know decides.
    answer = payloads.plain(
        message_id="<answer-1@example.com>", headers="References: <x@elsewhere> <root-1@example.com>\n"
    )
    assert post(channel, answer).json()["conversation"] == root["conversation"]
    other = post(channel, payloads.plain(message_id="<other-1@example.com>", headers="In-Reply-To: <x@elsewhere>\n"))
    assert other.json()["conversation"] != root["conversation"]
    assert Conversation.objects.get(pk=other.json()["conversation"]).thread_key == "<other-1@example.com>"


def test_a_thread_staff_start_is_rooted_at_its_first_message_and_the_answer_joins_it(
    channel, agent, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation, first = services.conversation_start(
            channel_id=channel.pk, body="Your installation is booked.", by=agent, email="Kemi@Example.com",
            name="Kemi Ade", subject="Installation on Friday",
        )  # fmt: skip
    first = deliver(first, None)
    [mail] = smtp.messages
    assert conversation.thread_key.endswith("@isp.example>")
    assert mail["Message-ID"] == first.external_id == conversation.thread_key
    assert "In-Reply-To" not in mail and "References" not in mail
    assert mail["Subject"] == "Installation on Friday"
    assert mail["To"].addresses[0].addr_spec == "kemi@example.com"
    assert mail["To"].addresses[0].display_name == "Kemi Ade"
    answer = payloads.plain(
        sender="Kemi Ade <kemi@example.com>", subject="Re: Installation on Friday", message_id="<kemi-1@example.com>",
        headers=f"In-Reply-To: {conversation.thread_key}\nReferences: {conversation.thread_key}\n",
    )  # fmt: skip
    assert post(channel, answer).json()["conversation"] == str(conversation.pk)


def test_a_contact_without_email_cannot_be_written_to_on_the_email_channel(channel, agent):
    contact = Contact.objects.create(first_name="Phone", phone="+2348030000123")
    with pytest.raises(ValidationError) as error:
        for_channel(channel).thread_for(contact)
    assert "contact" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.conversation_start(channel_id=channel.pk, body="Hi", by=agent, contact_id=contact.pk)
    assert "contact" in error.value.message_dict
    assert not Conversation.objects.exists()


def test_a_bounce_of_our_reply_marks_it_failed_and_is_filed_in_its_conversation(
    channel, agent, smtp, django_capture_on_commit_callbacks
):
    inbound = Message.objects.get(pk=post(channel, payloads.gmail_reply()).json()["message"])
    sent = reply(inbound.conversation_id, agent, "We will call you.", django_capture_on_commit_callbacks)
    contacts = Contact.objects.count()
    response = post(channel, payloads.dsn_bounce(bounced_id=sent.external_id))
    assert response.status_code == 200 and response.json()["conversation"] == str(inbound.conversation_id)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.FAILED and "550 5.1.1" in sent.error
    bounce = Message.objects.get(pk=response.json()["message"])
    assert bounce.metadata["bounce"] is True and bounce.metadata["auto_submitted"] is True
    assert bounce.metadata["bounced"] == [sent.external_id]
    assert bounce.sender == inbound.sender and Contact.objects.count() == contacts  # no MAILER-DAEMON contact
    assert not services.message_auto_answer_allowed(bounce)
    # The same report again changes nothing.
    assert post(channel, payloads.dsn_bounce(bounced_id=sent.external_id)).json()["created"] is False
    # The next reply still answers the customer's mail, not the daemon's.
    reply(inbound.conversation_id, agent, "Trying again.", django_capture_on_commit_callbacks)
    assert smtp.messages[-1]["In-Reply-To"] == inbound.external_id
    assert smtp.messages[-1]["To"].addresses[0].addr_spec == "ada.obi@gmail.example"


def test_an_out_of_office_auto_reply_is_flagged_and_does_not_trigger_an_answer(
    channel, agent, smtp, django_capture_on_commit_callbacks
):
    inbound = Message.objects.get(pk=post(channel, payloads.gmail_reply()).json()["message"])
    assert services.message_auto_answer_allowed(inbound)
    sent = reply(inbound.conversation_id, agent, "A technician comes on Friday.", django_capture_on_commit_callbacks)
    outbound = Message.objects.filter(direction=MessageDirection.OUTBOUND).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(channel, payloads.out_of_office(in_reply_to=sent.external_id))
    oof = Message.objects.get(pk=response.json()["message"])
    assert oof.conversation_id == inbound.conversation_id
    assert oof.metadata["auto_reply"] is True and oof.metadata["auto_submitted"] is True
    assert not services.message_auto_answer_allowed(oof)
    assert Message.objects.filter(direction=MessageDirection.OUTBOUND).count() == outbound  # nothing answered it
    assert len(smtp.messages) == 1
    # Whatever answers automatically is refused on this conversation; a person may still reply.
    with pytest.raises(ValidationError) as error:
        services.reply_send(
            conversation_id=oof.conversation_id, author=agent, body="Auto: we got it", metadata={"automatic": True}
        )
    assert "body" in error.value.message_dict
    assert Message.objects.filter(direction=MessageDirection.OUTBOUND).count() == outbound
    reply(oof.conversation_id, agent, "Talk when you are back.", django_capture_on_commit_callbacks)
    assert len(smtp.messages) == 2


def test_an_automatic_reply_says_so_in_its_headers(channel, agent, smtp, django_capture_on_commit_callbacks):
    inbound = Message.objects.get(pk=post(channel, payloads.plain()).json()["message"])
    reply(
        inbound.conversation_id,
        agent,
        "Thanks, we got it.",
        django_capture_on_commit_callbacks,
        metadata={"automatic": True},
    )
    assert smtp.messages[0]["Auto-Submitted"] == "auto-replied"


def test_smtp_answers_decide_between_retry_and_failure(channel, agent, smtp, django_capture_on_commit_callbacks):
    inbound = Message.objects.get(pk=post(channel, payloads.plain()).json()["message"])
    smtp.data_replies.append("451 4.3.0 Try again later")
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.reply_send(conversation_id=inbound.conversation_id, author=agent, body="Hello")
    with pytest.raises(TransientError):  # the task retries it later (autoretry_for)
        services.message_deliver(message_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == MessageStatus.QUEUED and queued.external_id == ""
    smtp.refuse.add("tunde@example.com")
    assert [result.state for result in run_published(inbox_message_send, str(queued.pk))] == ["SUCCESS"]
    queued.refresh_from_db()
    assert queued.status == MessageStatus.FAILED and "550" in queued.error
    assert not smtp.messages


def test_mail_from_our_own_address_is_never_answered(channel):
    raw = payloads.plain(sender=f"DotMac Support <{ADDRESS}>", message_id="<loop-1@isp.example>")
    message = Message.objects.get(pk=post(channel, raw).json()["message"])
    assert message.metadata["auto_submitted"] is True and not services.message_auto_answer_allowed(message)


def test_a_reply_s_attachments_go_out_with_it(channel, agent, smtp, django_capture_on_commit_callbacks):
    inbound = Message.objects.get(pk=post(channel, payloads.plain()).json()["message"])
    files = [InboundAttachment(filename="invoice.pdf", content=payloads.PDF, content_type="application/pdf")]
    sent = reply(inbound.conversation_id, agent, "Your invoice.", django_capture_on_commit_callbacks, attachments=files)
    assert sent.status == MessageStatus.SENT
    [attachment] = list(smtp.messages[0].iter_attachments())
    assert attachment.get_filename() == "invoice.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == payloads.PDF
