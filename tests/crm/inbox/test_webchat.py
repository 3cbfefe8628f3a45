"""The web chat widget's public endpoints (crm.hooks.webchat): config, sessions with and without a verified
identity, the pre-chat form, idempotent sends, what the visitor sees (never notes), the visitor's live stream,
offline messages answered by email (a real SMTP server), rate limits."""

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime

import orjson
import pytest
from asgiref.sync import async_to_sync
from django.core import signing
from django.test import AsyncClient, Client

from crm import live, services
from crm.choices import ChannelKind, ConversationStatus, MessageKind, MessageStatus
from crm.models import Contact, Conversation, Message
from crm.providers import webchat as provider
from tests.notifications.email_support import smtp_running

from .factories import ChannelFactory
from .live_support import events, finish, open_stream

pytestmark = pytest.mark.django_db

SECRET = "s3cret-identity-key"
ALWAYS_CLOSED = {"time_zone": "Africa/Lagos", "days": {"mon": []}}


@pytest.fixture(autouse=True)
def _same_origin_live(settings):
    settings.LIVE_URL = ""  # whatever the environment says (make run sets ":8001")


@pytest.fixture
def channel():
    channel = ChannelFactory(
        kind=ChannelKind.WEBCHAT,
        name="Website chat",
        config={"colour": "#0f766e", "greeting": "Hi! Ask us anything.", "prechat": {"name": "required"}},
    )
    channel.set_credentials({"identity_secret": SECRET})
    channel.save()
    return channel


@pytest.fixture
def web():
    """A browser on some other website: no cookies, an Origin."""
    return Client(HTTP_HOST="localhost", HTTP_ORIGIN="https://shop.example")


def _url(channel, name):
    return f"/hooks/webchat/{channel.pk}/{name}/"


def _post(web, channel, name, data):
    # As the widget sends it: JSON as text/plain (no CORS preflight).
    return web.post(_url(channel, name), orjson.dumps(data), content_type="text/plain;charset=UTF-8")


def _session(web, channel, **data):
    response = _post(web, channel, "session", {"name": "Vera Visitor", "email": "vera@example.com", **data})
    assert response.status_code == 201, response.content
    return response.json()["token"]


def _send(web, channel, token, body="Hello", client_id="c1", **extra):
    return _post(web, channel, "messages", {"token": token, "body": body, "client_id": client_id, **extra})


def test_config_tells_the_widget_how_to_look_and_whether_anyone_is_in(web, channel):
    response = web.get(_url(channel, "config"))
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["colour"] == "#0f766e" and data["greeting"] == "Hi! Ask us anything." and data["open"] is True
    assert data["prechat"] == [{"name": "name", "required": True}, {"name": "email", "required": True}]
    assert data["live_base"] == ""
    assert data["labels"]["send"] == "Send" and data["labels"]["open"] == "Open chat"  # gettext: the widget's words
    preflight = web.options(_url(channel, "messages"), HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 204 and "POST" in preflight["Access-Control-Allow-Methods"]
    channel.config["colour"] = "red;}body{display:none"  # goes into the widget's CSS: refused
    channel.save()
    assert web.get(_url(channel, "config")).json()["colour"] == provider.DEFAULT_COLOUR


def test_only_an_active_web_chat_channel_answers(web, channel):
    email = ChannelFactory(kind=ChannelKind.EMAIL)
    assert web.get(_url(email, "config")).status_code == 404
    channel.active = False
    channel.save()
    response = web.get(_url(channel, "config"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert web.delete(_url(channel, "config")).status_code == 405


def test_the_pre_chat_form_is_checked_field_by_field(web, channel):
    missing = _post(web, channel, "session", {"email": "vera@example.com"})
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["name"]
    bad = _post(web, channel, "session", {"name": "Vera", "email": "not-an-email"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["email"]
    channel.config["prechat"] = {"name": "off", "email": "off", "phone": "required"}
    channel.save()
    phone = _post(web, channel, "session", {"phone": "12"})
    assert phone.status_code == 400 and list(phone.json()["fields"]) == ["phone"]
    assert _post(web, channel, "session", {"phone": "0803 000 0001"}).status_code == 201
    channel.config["prechat"] = {"name": "optional", "email": "optional", "phone": "optional"}
    channel.save()
    unreachable = _post(web, channel, "session", {"name": "Vera"})  # a contact needs an email or a phone
    assert unreachable.status_code == 400 and list(unreachable.json()["fields"]) == ["email"]
    broken = web.post(_url(channel, "session"), b"{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_json"
    assert Contact.objects.count() == 0  # a session alone stores nothing


def test_an_anonymous_visitor_sends_once_per_client_id(web, channel):
    token = _session(web, channel)
    first = _send(web, channel, token, "Is my area covered?", "a1")
    again = _send(web, channel, token, "Is my area covered?", "a1")  # the widget's retry
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["message"]["id"] == again.json()["message"]["id"]
    _send(web, channel, token, "Hello?", "a2")
    conversation = Conversation.objects.get()
    assert conversation.messages.count() == 2 and conversation.channel == channel
    assert (conversation.contact.first_name, conversation.contact.email) == ("Vera", "vera@example.com")
    assert len(conversation.thread_key) == 32  # the random visitor id
    assert _send(web, channel, token, "", "a3").json()["fields"].keys() == {"body"}
    assert _send(web, channel, token, "x", "no spaces!").json()["fields"].keys() == {"client_id"}
    assert _send(web, channel, "forged", "x", "a4").status_code == 403
    other = ChannelFactory(kind=ChannelKind.WEBCHAT)
    assert _send(web, other, token, "x", "a5").status_code == 403  # tokens are salted per channel
    assert Message.objects.count() == 2


def test_a_verified_identifier_links_the_visitor_to_the_contact(web, channel):
    known = Contact.objects.create(first_name="Ada", email="ada@example.com")
    digest = hmac.new(SECRET.encode(), str(known.pk).encode(), hashlib.sha256).hexdigest()
    session = _post(web, channel, "session", {"identifier": str(known.pk), "identifier_hash": digest})
    assert session.status_code == 201 and session.json()["name"] == "Ada"  # pre-chat fields not needed
    assert _send(web, channel, session.json()["token"], "Hi, it's Ada").status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.contact == known and conversation.thread_key == f"user:{known.pk}"
    by_email = hmac.new(SECRET.encode(), b"ada@example.com", hashlib.sha256).hexdigest()
    token = _post(web, channel, "session", {"identifier": "ada@example.com", "identifier_hash": by_email}).json()
    assert signing.loads(token["token"], salt=f"crm.webchat.visitor:{channel.pk}")["k"] == str(known.pk)


def test_a_wrong_identity_hash_is_403_and_stores_nothing(web, channel):
    known = Contact.objects.create(first_name="Ada", email="ada@example.com")
    wrong = hmac.new(b"another-secret", str(known.pk).encode(), hashlib.sha256).hexdigest()
    response = _post(web, channel, "session", {"identifier": str(known.pk), "identifier_hash": wrong})
    assert response.status_code == 403 and list(response.json()["fields"]) == ["identifier_hash"]
    assert _post(web, channel, "session", {"identifier": "x@example.com"}).status_code == 403
    assert Contact.objects.count() == 1 and Conversation.objects.count() == 0


def test_the_visitor_sees_messages_and_replies_never_notes_or_activities(
    web, channel, agent, django_capture_on_commit_callbacks
):
    token = _session(web, channel)
    conversation_id = _send(web, channel, token, "My router blinks red").json()["conversation"]
    with django_capture_on_commit_callbacks(execute=True):
        services.note_add(conversation_id=conversation_id, author=agent, body="Internal: check the OLT first")
        services.conversation_status_set(conversation_id=conversation_id, status=ConversationStatus.PENDING, by=agent)
        services.reply_send(conversation_id=conversation_id, author=agent, body="Please restart it.")
    assert Message.objects.filter(kind__in=[MessageKind.NOTE, MessageKind.ACTIVITY]).count() == 2
    data = web.get(_url(channel, "messages"), {"token": token}).json()
    assert [(m["direction"], m["body"]) for m in data["messages"]] == [
        ("inbound", "My router blinks red"),
        ("outbound", "Please restart it."),
    ]
    assert data["messages"][1]["author"] == agent.get_short_name()
    assert "OLT" not in orjson.dumps(data).decode()
    assert web.get(_url(channel, "messages"), {"token": "nope"}).status_code == 403


def test_the_visitor_stream_relays_replies_but_not_notes(
    settings, web, channel, agent, django_capture_on_commit_callbacks
):
    settings.LIVE_HEARTBEAT_SECONDS = 2
    token = _session(web, channel)
    assert web.get(_url(channel, "live"), {"token": token}).status_code == 204  # no conversation yet
    conversation_id = _send(web, channel, token, "Hello").json()["conversation"]
    response, chunks = open_stream(web, _url(channel, "live"), data={"token": token})
    assert response["Access-Control-Allow-Origin"] == "*"
    with django_capture_on_commit_callbacks(execute=True):
        services.note_add(conversation_id=conversation_id, author=agent, body="Internal")
        services.conversation_assign(conversation_id=conversation_id, assignee=agent, by=agent)
        reply = services.reply_send(conversation_id=conversation_id, author=agent, body="Hi!")
    relayed = events([next(chunks), next(chunks)])
    finish(response)
    assert [event for event, _data in relayed] == ["message.created", "message.status"]
    assert relayed[0][1] == {"conversation": conversation_id, "message": str(reply.pk), "status": "open"}
    assert relayed[1][1] == {
        "conversation": conversation_id,
        "message": str(reply.pk),
        "status": "open",
        "message_status": "sent",
    }


def test_offline_a_message_needs_an_email_and_the_reply_goes_by_email(
    settings, web, channel, agent, django_capture_on_commit_callbacks
):
    channel.config = {**channel.config, "business_hours": ALWAYS_CLOSED, "reply_address": "help@isp.example"}
    channel.config["prechat"] = {"name": "optional", "email": "optional", "phone": "optional"}
    channel.save()
    assert web.get(_url(channel, "config")).json()["open"] is False
    token = _session(web, channel, email="", phone="+2348030000001")
    refused = _send(web, channel, token, "Call me back")
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["email"]
    taken = _send(web, channel, token, "Call me back", email="vera@example.com")
    assert taken.status_code == 201 and taken.json()["offline"] is True
    message = Message.objects.get()
    assert message.metadata["offline"] is True and message.metadata["email"] == "vera@example.com"
    with smtp_running(settings) as smtp, django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(conversation_id=message.conversation_id, author=agent, body="We will call at 9.")
    [email] = smtp.messages
    assert email["To"] == "vera@example.com" and email["From"] == "help@isp.example"
    assert email["Subject"] == "Re: your message to Website chat"
    assert email.get_content().strip() == "We will call at 9."
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT and reply.external_id == str(email["Message-ID"]).strip()


def test_online_replies_are_not_emailed(settings, web, channel, agent, django_capture_on_commit_callbacks):
    token = _session(web, channel)
    conversation_id = _send(web, channel, token, "Hi").json()["conversation"]
    with smtp_running(settings) as smtp, django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(conversation_id=conversation_id, author=agent, body="Hello!")
    reply.refresh_from_db()
    assert smtp.messages == [] and reply.external_id == f"webchat-{reply.pk}"


def test_business_hours_are_read_in_the_channels_time_zone():
    hours = {"business_hours": {"time_zone": "Africa/Lagos", "days": {"mon": [["08:00", "17:00"]]}}}
    monday = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday; Lagos is UTC+1
    assert provider.open_now(hours, monday.replace(hour=7, minute=0))  # 08:00 in Lagos
    assert not provider.open_now(hours, monday.replace(hour=6, minute=59))
    assert not provider.open_now(hours, monday.replace(hour=16, minute=0))  # 17:00 in Lagos: closed
    assert not provider.open_now(hours, datetime(2026, 12, 1, 10, tzinfo=UTC))  # Tuesday: not listed
    assert provider.open_now({}, monday)  # no business hours: always open


def test_the_public_endpoints_are_rate_limited_per_client(settings, web, channel):
    settings.WEBCHAT_RATE_LIMIT = 2
    assert [web.get(_url(channel, "config")).status_code for _ in range(2)] == [200, 200]
    refused = web.get(_url(channel, "config"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused["Access-Control-Allow-Origin"] == "*"
    other = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.9")
    assert other.get(_url(channel, "config")).status_code == 200


# ---- the customer portal's chat -----------------------------------------------------------------------------


def test_the_portal_chat_identifies_the_signed_in_customer(client_as, client, web, channel, customer, agent):
    page = client_as(customer, host="portal.localhost").get("/chat/")
    assert page.status_code == 200 and b"not available" in page.content  # no channel marked for the portal
    channel.config["portal"] = True
    channel.save()
    page = client_as(customer, host="portal.localhost").get("/chat/")
    assert page.status_code == 200 and page.context["channel"] == channel
    identifier, digest = page.context["identifier"], page.context["identifier_hash"]
    assert identifier == customer.email  # no contact linked to this portal user: by email
    assert f'data-identifier-hash="{digest}"'.encode() in page.content
    session = _post(web, channel, "session", {"identifier": identifier, "identifier_hash": digest})
    assert session.status_code == 201
    assert _send(web, channel, session.json()["token"], "Hello from the portal").status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.thread_key == f"user:{customer.email}" and conversation.contact.email == customer.email
    anonymous = client.get("/chat/", HTTP_HOST="portal.localhost")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client_as(agent, host="portal.localhost").get("/chat/").status_code == 403  # staff on the portal
    assert client_as(customer, host="portal.localhost").post("/chat/").status_code == 405


def test_the_portal_chat_uses_the_contact_linked_to_the_portal_user(settings, client_as, channel, customer):
    contact = Contact.objects.create(first_name="Ada", email="ada.other@example.com")
    customer.customer_membership.contact = contact
    customer.customer_membership.save()
    settings.WEBCHAT_PORTAL_CHANNEL = str(channel.pk)
    page = client_as(customer, host="portal.localhost").get("/chat/")
    assert page.context["identifier"] == str(contact.pk)
    expected = hmac.new(SECRET.encode(), str(contact.pk).encode(), hashlib.sha256).hexdigest()
    assert page.context["identifier_hash"] == expected


def test_a_conversation_staff_start_on_web_chat_is_the_contacts_portal_thread(web, channel, agent):
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    conversation, _message = services.conversation_start(
        channel_id=channel.pk, contact_id=contact.pk, body="Your installation is booked for Monday.", by=agent
    )
    assert conversation.thread_key == f"user:{contact.pk}"
    digest = hmac.new(SECRET.encode(), str(contact.pk).encode(), hashlib.sha256).hexdigest()
    token = _post(web, channel, "session", {"identifier": str(contact.pk), "identifier_hash": digest}).json()["token"]
    thread = web.get(_url(channel, "messages"), {"token": token}).json()
    assert thread["conversation"] == str(conversation.pk)
    assert [m["body"] for m in thread["messages"]] == ["Your installation is booked for Monday."]


@pytest.mark.parametrize("rows", [3, 30])
def test_the_visitors_thread_is_read_in_a_fixed_number_of_queries(
    web, channel, agent, rows, django_assert_max_num_queries
):
    token = _session(web, channel)
    conversation_id = _send(web, channel, token, "First").json()["conversation"]
    for n in range(rows):
        services.reply_send(conversation_id=conversation_id, author=agent, body=f"Reply {n}")
    with django_assert_max_num_queries(3):  # the channel, the conversation, its messages with their authors
        thread = web.get(_url(channel, "messages"), {"token": token}).json()
    assert len(thread["messages"]) == rows + 1


def test_under_asgi_the_visitor_stream_goes_through_the_whole_stack_unbuffered(settings, web, channel):
    """Django's ASGI handler (AsyncClient), its middleware and the sync view: the body is async and each event
    arrives as it is published, as the live process (uvicorn) serves it."""
    settings.LIVE_HEARTBEAT_SECONDS = 2
    token = _session(web, channel)
    conversation_id = _send(web, channel, token, "Hello").json()["conversation"]

    async def read():
        response = await AsyncClient(HTTP_HOST="localhost").get(_url(channel, "live"), {"token": token})
        assert response.status_code == 200 and response.is_async
        chunks = aiter(response.streaming_content)
        assert (await anext(chunks)).startswith(b"retry: ")
        live.publish_now([f"visitor:{conversation_id}"], "message.created", {"conversation": conversation_id})
        relayed = await asyncio.wait_for(anext(chunks), 5)
        await chunks.aclose()
        return relayed

    # async_to_sync from this thread: the view's sync code runs here, on the test's database connection.
    assert events([async_to_sync(read)()]) == [("message.created", {"conversation": conversation_id})]
