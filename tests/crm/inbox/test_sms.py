"""The SMS channel end to end: Twilio's inbound webhook (form fields as Twilio documents them, signed the way
Twilio signs), delivery-status callbacks, and replies through a local server speaking Twilio's Messages API."""

from urllib.parse import urlencode, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from crm import services
from crm.choices import ChannelKind, MessageDirection, MessageStatus
from crm.hooks.messaging import channel_cache_clear
from crm.models import Contact, Conversation, InboundWebhook, Message, MessageAttachment
from crm.providers import sms
from notifications.callbacks import twilio_signature
from notifications.channels.base import TransientError
from tests.notifications.sms_support import Answer, LocalServer, TwilioServer

from .factories import ChannelFactory

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "channel-auth-token-0123456789"
OUR_NUMBER = "+15005550006"
CUSTOMER = "+2348031234567"


def _channel(api_base_url="https://api.twilio.com", **fields):
    channel = ChannelFactory(kind=ChannelKind.SMS, address=OUR_NUMBER, **fields)
    channel.set_credentials(
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": OUR_NUMBER, "api_base_url": api_base_url}
    )
    channel.save()
    return channel


@pytest.fixture
def channel():
    return _channel()


def inbound_form(sid="SM1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", body="My internet is down since morning", sender=CUSTOMER):
    """The fields Twilio POSTs for an incoming SMS (www.twilio.com/docs/messaging/guides/webhook-request)."""
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "Lagos",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "NG",
        "To": OUR_NUMBER,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


@pytest.fixture(autouse=True)
def _fresh_channels():
    """The hooks remember channels per process for a few seconds: each test starts with none remembered."""
    channel_cache_clear()
    yield
    channel_cache_clear()


def post_signed(url: str, fields: dict, *, token=AUTH_TOKEN, signature=None, signed_url=None, process=True):
    """POST form fields as Twilio does, X-Twilio-Signature over the full URL and the sorted fields; then (unless
    process=False) run the worker's processing of the stored webhooks, as the Celery task does."""
    if signature is None:
        signature = twilio_signature(signed_url or url, {k: [v] for k, v in fields.items()}, token)
    parts = urlsplit(url)
    client = Client(HTTP_HOST=parts.netloc)
    body = urlencode(fields)  # as the gateway posts it (the test client would send multipart)
    response = client.post(
        parts.path, body, content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )
    if process:
        services.inbound_webhooks_process()
    return response


def hook_url(channel, status=False) -> str:
    return f"http://localhost/hooks/sms/{channel.pk}/" + ("status/" if status else "")


def test_a_signed_inbound_sms_is_stored_on_the_senders_conversation_and_a_retry_stores_nothing(channel):
    response = post_signed(hook_url(channel), inbound_form())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.endswith(b"<Response/>")
    message = Message.objects.get()
    assert (message.direction, message.status) == (MessageDirection.INBOUND, MessageStatus.RECEIVED)
    assert message.body == "My internet is down since morning"
    assert message.external_id == "SM1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
    assert message.conversation.thread_key == CUSTOMER
    assert str(message.sender.phone) == CUSTOMER and message.conversation.contact == message.sender
    assert message.conversation.last_inbound_at is not None

    again = post_signed(hook_url(channel), inbound_form())  # Twilio retrying the same webhook
    assert again.status_code == 200 and again.content.endswith(b"<Response/>")
    assert Message.objects.count() == 1 and Contact.objects.count() == 1

    # A second text from the same number joins the same conversation; a known contact is found by phone.
    post_signed(hook_url(channel), inbound_form(sid="SM" + "2" * 32, body="Still down"))
    assert Conversation.objects.count() == 1
    assert list(Message.objects.values_list("body", flat=True)) == ["My internet is down since morning", "Still down"]


def test_the_signature_may_be_over_the_public_url_behind_a_tls_proxy(channel, settings):
    settings.OMNI_BASE_URL = "https://omni.example.com"
    public = f"https://omni.example.com/hooks/sms/{channel.pk}/"
    response = post_signed(hook_url(channel), inbound_form(), signed_url=public)
    assert response.status_code == 200
    assert Message.objects.count() == 1


def test_a_wrong_or_missing_signature_is_403_and_stores_nothing(channel):
    form = inbound_form()
    assert post_signed(hook_url(channel), form, token="not-the-token").status_code == 403
    assert post_signed(hook_url(channel), form, signature="").status_code == 403
    assert post_signed(hook_url(channel), form, signature="sïgnature").status_code == 403  # not ASCII: no 500
    # Signed for other fields (a body edited after signing).
    other = twilio_signature(hook_url(channel), {k: [v] for k, v in {**form, "Body": "hi"}.items()}, AUTH_TOKEN)
    assert post_signed(hook_url(channel), form, signature=other).status_code == 403
    # Signed for another channel's URL with this channel's token.
    elsewhere = f"http://localhost/hooks/sms/{_channel(name='Other').pk}/"
    assert post_signed(hook_url(channel), form, signed_url=elsewhere).status_code == 403
    assert Message.objects.count() == 0 and Contact.objects.count() == 0 and Conversation.objects.count() == 0


def test_a_channel_without_an_auth_token_refuses_every_webhook():
    channel = ChannelFactory(kind=ChannelKind.SMS, address=OUR_NUMBER)
    assert post_signed(hook_url(channel), inbound_form()).status_code == 403
    assert Message.objects.count() == 0


def test_unknown_inactive_or_other_kind_channels_are_404(channel):
    import uuid

    inactive = _channel(name="Off", active=False)
    webchat = ChannelFactory(kind=ChannelKind.WEBCHAT)
    for channel_id in (uuid.uuid4(), inactive.pk, webchat.pk):
        url = f"http://localhost/hooks/sms/{channel_id}/"
        assert post_signed(url, inbound_form()).status_code == 404
        assert post_signed(url + "status/", {"MessageSid": "SMx", "MessageStatus": "delivered"}).status_code == 404
    assert Client(HTTP_HOST="localhost").post("/hooks/sms/not-a-uuid/", {}).status_code == 404
    assert Client(HTTP_HOST="localhost").get(f"/hooks/sms/{channel.pk}/").status_code == 405
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"MessageSid": "", "SmsSid": ""}, "MessageSid"),
        ({"From": ""}, "From"),
        ({"From": "not a number"}, "From"),
        ({"From": "+1555"}, "From"),
        ({"NumMedia": "lots", "MediaUrl0": "javascript:alert(1)"}, None),
    ],
)
def test_a_signed_but_malformed_form_is_400_naming_the_field(channel, change, field):
    response = post_signed(hook_url(channel), {**inbound_form(), **change})
    if field is None:  # an unusable media count is no error: the text is stored, without media
        assert response.status_code == 200
        assert "media" not in Message.objects.get().metadata
        return
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Message.objects.count() == 0 and Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\xff garbage", "application/x-www-form-urlencoded"),
        (b"--broken\r\nContent-Disposition: form-data; name=", "multipart/form-data; boundary=broken"),
        (b'{"From": "+2348031234567"}', "application/json"),
        (b"", "text/plain"),
    ],
)
def test_garbage_bodies_are_refused_without_a_500(channel, body, content_type):
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        f"/hooks/sms/{channel.pk}/", body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE="c2lnbmF0dXJl"
    )
    assert response.status_code in (400, 403)
    response = client.post(f"/hooks/sms/{channel.pk}/status/", body, content_type=content_type)
    assert response.status_code in (400, 403)
    assert Message.objects.count() == 0


def test_a_signed_multipart_form_is_read_as_well(channel):
    # Twilio posts urlencoded forms; another gateway speaking its API may post multipart: Django's parser reads it
    fields = inbound_form()
    signature = twilio_signature(hook_url(channel), {k: [v] for k, v in fields.items()}, AUTH_TOKEN)
    response = Client(HTTP_HOST="localhost").post(
        f"/hooks/sms/{channel.pk}/", fields, HTTP_X_TWILIO_SIGNATURE=signature
    )  # the test client's default: multipart/form-data
    assert response.status_code == 200
    services.inbound_webhooks_process()
    assert Message.objects.get().external_id == fields["MessageSid"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_form_with_more_fields_than_allowed_is_a_400(channel, settings, content_type):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    fields = inbound_form() | {f"Extra{i}": "x" for i in range(30)}
    client = Client(HTTP_HOST="localhost")
    if content_type.startswith("multipart"):
        response = client.post(f"/hooks/sms/{channel.pk}/", fields, HTTP_X_TWILIO_SIGNATURE="c2lnbmF0dXJl")
    else:
        response = client.post(
            f"/hooks/sms/{channel.pk}/", urlencode(fields), content_type=content_type, HTTP_X_TWILIO_SIGNATURE="x"
        )
    assert response.status_code == 400
    assert "fields" in response.json()["detail"]
    assert not InboundWebhook.objects.exists()


def test_media_from_the_gateway_is_fetched_and_other_links_are_only_kept():
    with LocalServer() as gateway:
        gateway.answer(Answer(200, b"\x89PNG fake image bytes", {"Content-Type": "image/png"}))
        channel = _channel(api_base_url=gateway.url)
        media_url = f"{gateway.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
        form = {
            **inbound_form(body=""),
            "NumMedia": "2",
            "MediaUrl0": media_url,
            "MediaContentType0": "image/png",
            "MediaUrl1": "https://media.example.net/cat.jpg",
            "MediaContentType1": "image/jpeg",
        }
        assert post_signed(hook_url(channel), form).status_code == 200
        assert post_signed(hook_url(channel), form).status_code == 200  # a retry fetches nothing again
        (request,) = gateway.requests
    assert (request.method, request.path) == ("GET", urlsplit(media_url).path)
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)
    message = Message.objects.get()
    assert message.metadata["media"] == [
        {"url": media_url, "content_type": "image/png"},
        {"url": "https://media.example.net/cat.jpg", "content_type": "image/jpeg"},
    ]
    (attachment,) = MessageAttachment.objects.all()
    assert attachment.message == message
    assert (attachment.filename, attachment.content_type, attachment.size) == ("media-0.png", "image/png", 21)
    assert attachment.file.read() == b"\x89PNG fake image bytes"


def _conversation(channel, sid="SM" + "a" * 32):
    post_signed(hook_url(channel), inbound_form(sid=sid))
    return Conversation.objects.get(channel=channel)


def test_a_reply_goes_to_the_messages_api_and_status_callbacks_move_it_forward(agent):
    with TwilioServer() as gateway:
        channel = _channel(api_base_url=gateway.url)
        conversation = _conversation(channel)
        reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="We are on it.")
        assert reply.status == MessageStatus.QUEUED
        services.message_deliver(message_id=reply.pk)
        (request,) = gateway.requests
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert request.basic_auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    callback = f"http://localhost:8000/hooks/sms/{channel.pk}/status/"
    assert request.form == {
        "To": [CUSTOMER],
        "From": [OUR_NUMBER],
        "Body": ["We are on it."],
        "StatusCallback": [callback],
    }
    reply.refresh_from_db()
    assert (reply.status, reply.external_id) == (MessageStatus.SENT, "SM" + "1".zfill(32))

    # Twilio reports to the StatusCallback it was given, signing that URL.
    def report(status, **extra):
        fields = {"MessageSid": reply.external_id, "MessageStatus": status, "AccountSid": ACCOUNT_SID, **extra}
        response = post_signed(hook_url(channel, status=True), fields, signed_url=callback)
        assert response.status_code == 200
        reply.refresh_from_db()

    report("queued")
    assert reply.status == MessageStatus.SENT
    report("delivered")
    assert reply.status == MessageStatus.DELIVERED and reply.delivered_at is not None
    report("sent")  # late: statuses only move forward
    assert reply.status == MessageStatus.DELIVERED
    report("no-such-status")
    assert reply.status == MessageStatus.DELIVERED

    forged = {"MessageSid": reply.external_id, "MessageStatus": "failed"}
    response = post_signed(hook_url(channel, status=True), forged, token="not-the-token", signed_url=callback)
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.status == MessageStatus.DELIVERED


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_failed_report_fails_the_message_with_the_error_code(agent, status):
    channel = _channel()
    conversation = _conversation(channel)
    reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="Hello")
    Message.objects.filter(pk=reply.pk).update(status=MessageStatus.SENT, external_id="SM" + "f" * 32)
    fields = {"MessageSid": "SM" + "f" * 32, "MessageStatus": status, "ErrorCode": "30003"}
    fields["ErrorMessage"] = "Unreachable destination handset"
    assert post_signed(hook_url(channel, status=True), fields).status_code == 200
    reply.refresh_from_db()
    assert reply.status == MessageStatus.FAILED
    assert reply.error == "ErrorCode 30003 Unreachable destination handset"


def test_gateway_errors_are_transient_or_fail_the_message(agent):
    with TwilioServer() as gateway:
        channel = _channel(api_base_url=gateway.url)
        conversation = _conversation(channel)
        gateway.answer(TwilioServer.error(429, 20429, "Too Many Requests"), TwilioServer.error(503, 0, "Unavailable"))
        first = services.reply_send(conversation_id=conversation.pk, author=agent, body="One")
        for _attempt in range(2):
            with pytest.raises(TransientError):
                services.message_deliver(message_id=first.pk)
        first.refresh_from_db()
        assert first.status == MessageStatus.QUEUED  # the task retries it
        services.message_deliver(message_id=first.pk)
        first.refresh_from_db()
        assert first.status == MessageStatus.SENT

        gateway.answer(TwilioServer.error(400, 21211, "The 'To' number is not a valid phone number."))
        second = services.reply_send(conversation_id=conversation.pk, author=agent, body="Two")
        services.message_deliver(message_id=second.pk)
        second.refresh_from_db()
        assert second.status == MessageStatus.FAILED
        assert "21211" in second.error and "not a valid phone number" in second.error


def test_a_refused_connection_is_transient(agent):
    with LocalServer() as gone:
        url = gone.url
    channel = _channel(api_base_url=url)
    conversation = _conversation(channel)
    reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="Hello")
    with pytest.raises(TransientError):
        services.message_deliver(message_id=reply.pk)


def test_starting_a_conversation_needs_the_contacts_phone_and_sms_cannot_carry_files(channel, agent):
    known = Contact.objects.create(first_name="Ada", email="ada@example.com")
    with pytest.raises(ValidationError) as error:
        services.conversation_start(channel_id=channel.pk, contact_id=known.pk, body="Hi", by=agent)
    assert "contact" in error.value.message_dict
    conversation, message = services.conversation_start(channel_id=channel.pk, phone=CUSTOMER, body="Hi", by=agent)
    assert conversation.thread_key == CUSTOMER and message.status == MessageStatus.QUEUED
    with pytest.raises(ValidationError) as error:
        services.reply_send(
            conversation_id=conversation.pk,
            author=agent,
            body="See attached",
            attachments=[services.InboundAttachment("a.txt", b"x")],
        )
    assert "attachments" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.reply_send(conversation_id=conversation.pk, author=agent, body="x" * (sms.MAX_BODY + 1))
    assert "body" in error.value.message_dict


def test_the_ping_view_of_the_bench_answers_ok_and_stores_nothing():
    client = Client(HTTP_HOST="localhost")
    for response in (client.get("/hooks/ping/"), client.post("/hooks/ping/", inbound_form())):
        assert (response.status_code, response.content) == (200, b"ok")
    assert client.put("/hooks/ping/").status_code == 405
    assert Message.objects.count() == 0
