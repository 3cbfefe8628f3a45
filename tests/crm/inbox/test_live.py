"""The inbox's live streams (Server-Sent Events over Redis pub/sub, omni.sse): who may open them, that a published
change reaches an open stream at once under WSGI (the test client, like live_server and runserver) and under ASGI
(an async body on redis.asyncio), heartbeats and the end of a stream's lifetime, and typing indicators."""

import asyncio
import types

import pytest

from crm import live, services
from crm.choices import ChannelKind
from crm.services.inbox import Inbound
from omni import sse
from tests.omni.factories import StaffFactory

from .factories import ChannelFactory
from .live_support import events as _events
from .live_support import finish, open_stream

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_streams(settings):
    # A stream that never gets its event fails in 2 s rather than hanging on a 15 s heartbeat.
    settings.LIVE_HEARTBEAT_SECONDS = 2
    settings.LIVE_STREAM_MAX_SECONDS = 10


@pytest.fixture
def conversation():
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT)
    sender = services.contact_resolve(email="visitor@example.com", name="Vera Visitor")
    message, _created = services.inbound_receive(
        channel=channel, sender=sender, inbound=Inbound(thread_key="visitor-1", external_id="v1:1", body="Hi")
    )
    return message.conversation


@pytest.mark.parametrize("path", ["/inbox/live/", "conversation"])
def test_who_may_open_a_stream(client, client_as, agent, customer, conversation, path):
    path = f"/inbox/{conversation.pk}/live/" if path == "conversation" else path
    anonymous = client.get(path, HTTP_HOST="localhost")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client_as(customer).get(path).status_code == 403  # a portal user on the staff host
    assert client_as(StaffFactory(roles=["Technician"])).get(path).status_code == 403  # no crm.view_conversation
    response, _chunks = open_stream(client_as(agent), path)
    finish(response)


def test_an_unknown_conversation_is_404(client_as, agent):
    assert client_as(agent).get("/inbox/00000000-0000-0000-0000-000000000000/live/").status_code == 404


def test_a_new_message_reaches_the_open_inbox_and_conversation_streams(
    client_as, agent, conversation, django_capture_on_commit_callbacks
):
    inbox, inbox_chunks = open_stream(client_as(agent), "/inbox/live/")
    page, page_chunks = open_stream(client_as(agent), f"/inbox/{conversation.pk}/live/")
    with django_capture_on_commit_callbacks(execute=True):
        message, _created = services.inbound_receive(
            channel=conversation.channel,
            sender=conversation.contact,
            inbound=Inbound(thread_key="visitor-1", external_id="v1:2", body="Still there?"),
        )
    for chunks in (inbox_chunks, page_chunks):
        [(event, data)] = _events([next(chunks)])
        assert event == "message.created"
        assert data["conversation"] == str(conversation.pk) and data["message"] == str(message.pk)
    finish(inbox)
    finish(page)


def test_a_stream_sends_heartbeats_and_ends_after_its_lifetime(settings, client_as, agent):
    settings.LIVE_HEARTBEAT_SECONDS, settings.LIVE_STREAM_MAX_SECONDS = 0.1, 0.35
    _response, chunks = open_stream(client_as(agent), "/inbox/live/")
    rest = list(chunks)  # ends by itself: EventSource then reconnects after the retry hint
    assert rest.count(b": ping\n\n") >= 2 and rest[-1] == b": bye\n\n"


def test_typing_is_published_to_the_conversation_at_once(client_as, agent, conversation):
    page, chunks = open_stream(client_as(StaffFactory(roles=["Agent"])), f"/inbox/{conversation.pk}/live/")
    client = client_as(agent)
    assert client.post(f"/inbox/{conversation.pk}/typing/", {"state": "replying"}).status_code == 204
    [(event, data)] = _events([next(chunks)])
    assert event == "typing"
    assert data == {
        "conversation": str(conversation.pk),
        "user": str(agent.pk),
        "name": agent.get_full_name(),
        "state": "replying",
    }
    finish(page)
    bad = client.post(f"/inbox/{conversation.pk}/typing/", {"state": "dancing"})
    assert bad.status_code == 400 and "state" in bad.json()["fields"]
    assert client.get(f"/inbox/{conversation.pk}/typing/").status_code == 405
    assert client_as(StaffFactory(roles=["Technician"])).post(f"/inbox/{conversation.pk}/typing/").status_code == 403


def test_under_asgi_the_body_is_an_async_stream_on_redis_asyncio(settings):
    """An ASGIRequest (it has `scope`) gets an async body: Django would read a sync one to its end first."""
    asgi_request = types.SimpleNamespace(scope={"type": "http"})
    name = live.topic("asgi-test")
    response = sse.stream(asgi_request, [name], transform=lambda event, data: (event, {**data, "seen": True}))
    assert response.is_async

    async def read() -> list[bytes]:
        chunks = aiter(response.streaming_content)
        first = await anext(chunks)
        live.publish_now(["asgi-test"], "message.created", {"message": "m1"})
        second = await asyncio.wait_for(anext(chunks), 5)
        await chunks.aclose()
        return [first, second]

    first, second = asyncio.run(read())
    assert first.startswith(b"retry: ")
    assert _events([second]) == [("message.created", {"message": "m1", "seen": True})]
    wsgi_request = types.SimpleNamespace()
    assert not sse.stream(wsgi_request, [name]).is_async


def test_pages_of_our_hosts_may_read_a_stream_on_another_port(client_as, agent):
    response, _chunks = open_stream(client_as(agent), "/inbox/live/", HTTP_ORIGIN="http://localhost:8000")
    assert response["Access-Control-Allow-Origin"] == "http://localhost:8000"
    assert response["Access-Control-Allow-Credentials"] == "true"
    finish(response)
    other = client_as(agent).get("/inbox/live/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.parametrize(
    ("live_url", "base"),
    [("", ""), (":8001", "http://portal.localhost:8001"), ("https://live.isp.example/", "https://live.isp.example")],
)
def test_pages_learn_where_the_live_process_is(settings, rf, live_url, base):
    settings.LIVE_URL = live_url
    request = rf.get("/", HTTP_HOST="portal.localhost:8000")
    assert sse.live_base(request) == base
