"""The WhatsApp channel end to end: Meta's webhook verification, the Cloud API webhook (payloads as Meta documents
them, signed with the app secret), status updates, replies through a local server speaking the Cloud API, and the
24-hour customer service window."""

import hashlib
import hmac
import uuid
from datetime import timedelta

import orjson
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from crm import services
from crm.choices import ChannelKind, MessageDirection, MessageStatus
from crm.hooks.messaging import channel_cache_clear
from crm.models import Contact, Conversation, Message, MessageAttachment
from crm.providers import whatsapp
from crm.providers.whatsapp import whatsapp_window_closes_at, whatsapp_window_open
from notifications.channels.base import TransientError
from tests.notifications.sms_support import Answer, LocalServer, Received

from .factories import ChannelFactory

pytestmark = pytest.mark.django_db

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "EAAJB-test-access-token"
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "verify-me-please"
WA_ID = "16505551234"
VERSION = whatsapp.DEFAULT_VERSION


class GraphServer(LocalServer):
    """The Cloud API: /messages answers a new wamid, /media an upload id; GET /<media id> describes a received
    file and /files/<id> serves its bytes (both need the Bearer token, as Meta's)."""

    def default(self, received: Received) -> Answer:
        if received.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return Answer(401, orjson.dumps({"error": {"message": "Invalid OAuth access token", "code": 190}}))
        if received.path.endswith("/messages"):
            to = orjson.loads(received.body)["to"]
            sent = sum(1 for r in self.requests if r.path.endswith("/messages"))
            body = {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI{sent:04d}"}],
            }
            return Answer(200, orjson.dumps(body), {"Content-Type": "application/json"})
        if received.path.endswith("/media"):
            return Answer(200, orjson.dumps({"id": "1037543291543636"}), {"Content-Type": "application/json"})
        if received.path.startswith("/files/"):
            return Answer(200, b"\xff\xd8\xff fake jpeg", {"Content-Type": "image/jpeg"})
        media_id = received.path.rsplit("/", 1)[-1]
        info = {"url": f"{self.url}/files/{media_id}", "mime_type": "image/jpeg", "id": media_id, "file_size": 13}
        return Answer(200, orjson.dumps(info), {"Content-Type": "application/json"})


def _channel(api_base_url="https://graph.facebook.com", **fields):
    channel = ChannelFactory(kind=ChannelKind.WHATSAPP, address=PHONE_NUMBER_ID, **fields)
    channel.set_credentials(
        {
            "phone_number_id": PHONE_NUMBER_ID,
            "access_token": ACCESS_TOKEN,
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "api_base_url": api_base_url,
        }
    )
    channel.save()
    return channel


@pytest.fixture
def channel():
    return _channel()


@pytest.fixture
def graph():
    with GraphServer() as server:
        yield server


def webhook(value: dict) -> dict:
    """The envelope of every Cloud API webhook (developers.facebook.com/docs/whatsapp/cloud-api/webhooks)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def message_payload(kind="text", content=None, wamid="wamid.HBgLMTY1MDUwNzY1MjAVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="):
    content = content or {"body": "Hello, my router shows a red light"}
    return webhook(
        {
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": WA_ID}],
            "messages": [{"from": WA_ID, "id": wamid, "timestamp": "1749416383", "type": kind, kind: content}],
        }
    )


def status_payload(wamid, status, **extra):
    item = {"id": wamid, "status": status, "timestamp": "1750263773", "recipient_id": WA_ID, **extra}
    return webhook({"statuses": [item]})


@pytest.fixture(autouse=True)
def _fresh_channels():
    """The hooks remember channels per process for a few seconds: each test starts with none remembered."""
    channel_cache_clear()
    yield
    channel_cache_clear()


def post_signed(channel, payload, *, secret=APP_SECRET, signature=None, raw=None, process=True):
    """POST the webhook as Meta does (X-Hub-Signature-256 over the raw body); then (unless process=False) run
    the worker's processing of the stored webhooks, as the Celery task does."""
    raw = raw if raw is not None else orjson.dumps(payload)
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    client = Client(HTTP_HOST="localhost")
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}
    response = client.post(f"/hooks/whatsapp/{channel.pk}/", raw, content_type="application/json", **headers)
    if process:
        services.inbound_webhooks_process()
    return response


def test_the_subscription_check_answers_the_challenge_only_for_the_verify_token(channel):
    client = Client(HTTP_HOST="localhost")
    url = f"/hooks/whatsapp/{channel.pk}/"
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = client.get(url, good)
    assert response.status_code == 200
    assert response.content == b"1158201444" and response["Content-Type"] == "text/plain"
    assert client.get(url, {**good, "hub.verify_token": "guess"}).status_code == 403
    assert client.get(url, {**good, "hub.verify_token": "güess"}).status_code == 403  # not ASCII: no 500
    assert client.get(url, {**good, "hub.mode": "unsubscribe"}).status_code == 403
    assert client.get(url).status_code == 403
    assert client.put(url, good).status_code == 405
    unset = ChannelFactory(kind=ChannelKind.WHATSAPP)  # no verify token configured: nothing matches
    assert client.get(f"/hooks/whatsapp/{unset.pk}/", {**good, "hub.verify_token": ""}).status_code == 403


def test_a_signed_text_message_is_stored_and_the_same_payload_again_stores_nothing(channel):
    response = post_signed(channel, message_payload())
    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.direction, message.status) == (MessageDirection.INBOUND, MessageStatus.RECEIVED)
    assert message.body == "Hello, my router shows a red light"
    assert message.external_id == "wamid.HBgLMTY1MDUwNzY1MjAVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    assert message.sent_at.timestamp() == 1749416383
    conversation = message.conversation
    assert conversation.thread_key == WA_ID and conversation.last_inbound_at is not None
    contact = conversation.contact
    assert (contact.first_name, contact.last_name, str(contact.phone)) == ("Sheena", "Nelson", "+" + WA_ID)

    assert post_signed(channel, message_payload()).status_code == 200  # Meta retrying
    assert Message.objects.count() == 1 and Contact.objects.count() == 1 and Conversation.objects.count() == 1


def test_a_wrong_or_missing_signature_is_403_and_stores_nothing(channel):
    payload = message_payload()
    assert post_signed(channel, payload, secret="not-the-app-secret").status_code == 403
    assert post_signed(channel, payload, signature="").status_code == 403
    assert post_signed(channel, payload, signature="sha1=abc").status_code == 403
    assert post_signed(channel, payload, signature="sha256=ünïcode").status_code == 403  # not ASCII: no 500
    # Signed over another body (the JSON re-serialised with a space: the raw bytes are what is signed).
    signed_other = "sha256=" + hmac.new(APP_SECRET.encode(), orjson.dumps(payload) + b" ", hashlib.sha256).hexdigest()
    assert post_signed(channel, payload, signature=signed_other).status_code == 403
    assert Message.objects.count() == 0 and Contact.objects.count() == 0


def test_unknown_inactive_or_other_kind_channels_are_404(channel):
    for other in (uuid.uuid4(), _channel(name="Off", active=False).pk, ChannelFactory(kind=ChannelKind.SMS).pk):
        response = Client(HTTP_HOST="localhost").post(
            f"/hooks/whatsapp/{other}/", orjson.dumps(message_payload()), content_type="application/json"
        )
        assert response.status_code == 404
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"",
        b"[1, 2, 3]",
        b'{"object": "whatsapp_business_account"}',
        b'{"entry": "nope"}',
        b"\xff\xfe\x00",
    ],
)
def test_a_signed_body_that_is_not_a_webhook_is_400(channel, raw):
    response = post_signed(channel, None, raw=raw)
    assert response.status_code == 400
    assert "body" in response.json()["detail"]
    assert Message.objects.count() == 0


def test_malformed_entries_are_skipped_without_a_500(channel):
    payload = {
        "entry": [
            None,
            {"changes": "x"},
            {"changes": [None, {"value": []}, {"value": {"messages": [None, 7, {"id": "w1"}, {"from": WA_ID}]}}]},
            {"changes": [{"value": {"messages": [{"id": "w2", "from": "abc", "type": "text"}]}}]},
            {"changes": [{"value": {"statuses": [{"id": "w3", "status": "exploded"}, {"status": "read"}, 3]}}]},
            {"changes": [{"value": {"contacts": [{"profile": "x"}], "messages": "x", "statuses": None}}]},
        ]
    }
    assert post_signed(channel, payload).status_code == 200
    weird = message_payload(kind="location", content={"latitude": "north", "longitude": None, "name": 5})
    assert post_signed(channel, weird).status_code == 200
    message = Message.objects.get()
    assert message.metadata["location"] == {"latitude": None, "longitude": None, "name": "", "address": ""}


def test_changes_for_another_phone_number_are_not_ours(channel):
    payload = message_payload()
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999"
    assert post_signed(channel, payload).status_code == 200
    assert Message.objects.count() == 0


def test_an_image_is_downloaded_from_the_graph_api_and_a_location_is_readable(graph):
    channel = _channel(api_base_url=graph.url)
    image = {"caption": "The red light", "mime_type": "image/jpeg", "sha256": "abc=", "id": "1479537139650973"}
    assert post_signed(channel, message_payload("image", image, wamid="wamid.image1")).status_code == 200
    assert post_signed(channel, message_payload("image", image, wamid="wamid.image1")).status_code == 200
    assert [(r.method, r.path) for r in graph.requests] == [
        ("GET", f"/{VERSION}/1479537139650973"),
        ("GET", "/files/1479537139650973"),
    ]
    message = Message.objects.get(external_id="wamid.image1")
    assert message.body == "The red light"
    assert message.metadata["media"] == {
        "id": "1479537139650973",
        "mime_type": "image/jpeg",
        "sha256": "abc=",
        "caption": "The red light",
    }
    (attachment,) = MessageAttachment.objects.all()
    assert (attachment.filename, attachment.content_type) == ("image.jpeg", "image/jpeg")
    assert attachment.file.read() == b"\xff\xd8\xff fake jpeg"

    document = {"filename": "bill.pdf", "mime_type": "application/pdf", "id": "88"}
    graph.answer(Answer(404, b"{}"))  # Meta no longer has it: the id stays in the metadata
    post_signed(channel, message_payload("document", document, wamid="wamid.doc1"))
    doc = Message.objects.get(external_id="wamid.doc1")
    assert doc.body == "[document: bill.pdf]" and doc.metadata["media"]["id"] == "88"
    assert not doc.attachments.exists()

    location = {"latitude": 6.4281, "longitude": 3.4219, "name": "Civic Centre", "address": "Ozumba Mbadiwe, Lagos"}
    post_signed(channel, message_payload("location", location, wamid="wamid.loc1"))
    where = Message.objects.get(external_id="wamid.loc1")
    assert where.metadata["location"] == location
    assert where.body == "Location: Civic Centre, Ozumba Mbadiwe, Lagos (6.4281, 3.4219)"
    assert Conversation.objects.count() == 1


def _conversation(channel, *, hours_ago=1):
    post_signed(channel, message_payload(wamid=f"wamid.in{uuid.uuid4().hex}"))
    conversation = Conversation.objects.get(channel=channel)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=hours_ago))
    conversation.refresh_from_db()
    return conversation


def test_a_reply_goes_to_the_cloud_api_and_status_updates_move_it_forward(graph, agent):
    channel = _channel(api_base_url=graph.url)
    conversation = _conversation(channel)
    reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="A technician is on the way.")
    services.message_deliver(message_id=reply.pk)
    (request,) = graph.requests
    assert (request.method, request.path) == ("POST", f"/{VERSION}/{PHONE_NUMBER_ID}/messages")
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "A technician is on the way."},
    }
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT and reply.external_id.startswith("wamid.")

    assert post_signed(channel, status_payload(reply.external_id, "delivered")).status_code == 200
    reply.refresh_from_db()
    assert reply.status == MessageStatus.DELIVERED and reply.delivered_at is not None
    post_signed(channel, status_payload(reply.external_id, "read"))
    post_signed(channel, status_payload(reply.external_id, "sent"))  # late: statuses only move forward
    reply.refresh_from_db()
    assert reply.status == MessageStatus.READ and reply.read_at is not None

    second = services.reply_send(conversation_id=conversation.pk, author=agent, body="Are you home?")
    services.message_deliver(message_id=second.pk)
    second.refresh_from_db()
    error = {"code": 131047, "title": "Re-engagement message", "error_data": {"details": "More than 24 hours"}}
    assert post_signed(channel, status_payload(second.external_id, "failed", errors=[error])).status_code == 200
    second.refresh_from_db()
    assert second.status == MessageStatus.FAILED
    assert second.error == "131047 Re-engagement message More than 24 hours"


def test_a_reply_after_24_hours_of_silence_is_refused_unless_it_is_a_template(graph, agent):
    channel = _channel(api_base_url=graph.url)
    conversation = _conversation(channel, hours_ago=25)
    assert not whatsapp_window_open(conversation)
    assert whatsapp_window_closes_at(conversation) < timezone.now()
    with pytest.raises(ValidationError) as error:
        services.reply_send(conversation_id=conversation.pk, author=agent, body="Are you still there?")
    (text,) = error.value.message_dict["body"]
    assert "WhatsApp only allows an approved template more than 24 hours after the customer's last message" in text
    with pytest.raises(ValidationError):  # a file is no template either
        services.reply_send(
            conversation_id=conversation.pk,
            author=agent,
            body="",
            metadata={"media": {"type": "image", "link": "https://example.com/a.jpg"}},
        )
    assert not Message.objects.filter(direction=MessageDirection.OUTBOUND).exists()

    template = {
        "name": "service_follow_up",
        "language": "en_US",
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Sheena"}]}],
    }
    reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="", metadata={"template": template})
    services.message_deliver(message_id=reply.pk)
    (request,) = graph.requests
    assert orjson.loads(request.body) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "template",
        "template": {
            "name": "service_follow_up",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Sheena"}]}],
        },
    }
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT

    # The customer writes again: the window is open for 24 hours from now.
    post_signed(channel, message_payload(wamid="wamid.back"))
    conversation.refresh_from_db()
    assert whatsapp_window_open(conversation)
    assert whatsapp_window_closes_at(conversation) > timezone.now() + timedelta(hours=23)
    services.reply_send(conversation_id=conversation.pk, author=agent, body="Welcome back")


def test_a_new_whatsapp_conversation_must_start_with_a_template(channel, agent):
    with pytest.raises(ValidationError) as error:
        services.conversation_start(channel_id=channel.pk, phone="+" + WA_ID, body="Hi", by=agent)
    assert "body" in error.value.message_dict
    assert not Conversation.objects.exists() and not Contact.objects.exists()  # one transaction: nothing left
    conversation, message = services.conversation_start(
        channel_id=channel.pk, phone="+" + WA_ID, body="", by=agent, metadata={"template": {"name": "hello_world"}}
    )
    assert conversation.thread_key == WA_ID and message.status == MessageStatus.QUEUED
    for bad in ({"name": ""}, {"name": "x", "language": 5}, {"name": "x", "components": "no"}):
        with pytest.raises(ValidationError) as error:
            services.reply_send(conversation_id=conversation.pk, author=agent, body="", metadata={"template": bad})
        assert "template" in error.value.message_dict


def test_media_replies_by_link_and_by_upload(graph, agent):
    channel = _channel(api_base_url=graph.url)
    conversation = _conversation(channel)
    media = {"type": "document", "link": "https://files.example.com/bill.pdf", "filename": "bill.pdf"}
    linked = services.reply_send(
        conversation_id=conversation.pk, author=agent, body="Your bill", metadata={"media": media}
    )
    services.message_deliver(message_id=linked.pk)
    assert orjson.loads(graph.requests[-1].body)["document"] == {
        "link": "https://files.example.com/bill.pdf",
        "caption": "Your bill",
        "filename": "bill.pdf",
    }
    upload = services.reply_send(
        conversation_id=conversation.pk,
        author=agent,
        body="The map",
        attachments=[services.InboundAttachment("map.png", b"\x89PNG map", "image/png")],
    )
    services.message_deliver(message_id=upload.pk)
    media_call, send_call = graph.requests[-2:]
    assert (media_call.method, media_call.path) == ("POST", f"/{VERSION}/{PHONE_NUMBER_ID}/media")
    assert media_call.headers["content-type"].startswith("multipart/form-data")
    assert b"\x89PNG map" in media_call.body and b"whatsapp" in media_call.body
    assert orjson.loads(send_call.body)["image"] == {"id": "1037543291543636", "caption": "The map"}
    with pytest.raises(ValidationError) as error:
        services.reply_send(
            conversation_id=conversation.pk,
            author=agent,
            body="Two files",
            attachments=[services.InboundAttachment("a.txt", b"a"), services.InboundAttachment("b.txt", b"b")],
        )
    assert "attachments" in error.value.message_dict


def test_cloud_api_errors_are_transient_or_fail_the_message(graph, agent):
    channel = _channel(api_base_url=graph.url)
    conversation = _conversation(channel)
    throttled = orjson.dumps({"error": {"message": "Rate limit hit", "code": 130429}})
    graph.answer(Answer(400, throttled), Answer(503, b"upstream"))
    reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="Hello")
    for _attempt in range(2):
        with pytest.raises(TransientError):
            services.message_deliver(message_id=reply.pk)
    services.message_deliver(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT
    refused = orjson.dumps(
        {"error": {"message": "(#131030) Recipient phone number not in allowed list", "code": 131030}}
    )
    graph.answer(Answer(400, refused))
    second = services.reply_send(conversation_id=conversation.pk, author=agent, body="Hello again")
    services.message_deliver(message_id=second.pk)
    second.refresh_from_db()
    assert second.status == MessageStatus.FAILED and "131030" in second.error
