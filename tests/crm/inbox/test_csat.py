"""The satisfaction survey: sent once per resolution on the conversation's channel (not to machines, not when
switched off), its signed public page (tampered 404, expired 410, a bad rating 400 naming it, twice one answer)
and the results per agent and team."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.utils import timezone

from crm import selectors, services
from crm.choices import ChannelKind, ConversationStatus
from crm.models import AutomatedMessage, Conversation, CsatResponse, InboxAgent, Message
from crm.services.inbox import Inbound
from omni.choices import Audience
from omni.hosts import URLCONFS, portal_base_url
from tests.omni.factories import StaffFactory

from .factories import ChannelFactory, InboxTeamFactory

pytestmark = pytest.mark.django_db

URLCONF = "tests.crm.inbox.urls_csat"


@pytest.fixture(autouse=True)
def _csat_routes(settings, monkeypatch):
    settings.ROOT_URLCONF = URLCONF
    monkeypatch.setitem(URLCONFS, Audience.STAFF, URLCONF)


def _conversation(channel, n, *, metadata=None, email=None):
    sender = services.contact_resolve(email=email or f"c{n}@example.com")
    message, _ = services.inbound_receive(
        channel=channel,
        sender=sender,
        inbound=Inbound(thread_key=f"v-{n}", external_id=f"x{n}", body="Help", metadata=metadata or {}),
    )
    return Conversation.objects.get(pk=message.conversation_id)


def _resolve(conversation):
    services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.RESOLVED)
    conversation.refresh_from_db()
    return AutomatedMessage.objects.filter(conversation=conversation, purpose="csat").order_by("created_at").last()


def _path(survey):
    return "/hooks/csat/" + services.csat_token(survey) + "/"


@pytest.fixture
def team_agent():
    team = InboxTeamFactory()
    ada = StaffFactory(roles=["Agent"], full_name="Ada Agent")
    team.members.add(ada)
    InboxAgent.objects.create(user=ada, available=True)
    return team, ada


def test_a_resolution_sends_one_survey_link_on_the_channel(team_agent, django_capture_on_commit_callbacks, client):
    team, ada = team_agent
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT, team=team)
    conversation = _conversation(channel, 1)
    assert conversation.assignee == ada
    with django_capture_on_commit_callbacks(execute=True):
        survey = _resolve(conversation)
    message = survey.message
    assert message.direction == "outbound" and message.status == "sent" and message.author is None
    assert message.metadata["automated"] == "csat" and message.body.endswith(message.metadata["csat_url"])
    url, base = message.metadata["csat_url"], portal_base_url(Audience.STAFF)
    assert url.startswith(f"{base}/hooks/csat/{survey.pk.hex}:"), url
    assert client.get(url.removeprefix(base), HTTP_HOST="localhost").status_code == 200
    assert survey.data["agent"] == str(ada.pk) and survey.data["team"] == str(team.pk)
    assert conversation.first_reply_at is None  # the survey is not a person's reply
    # Reopened and resolved again: a new resolution, a new survey.
    services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.OPEN)
    second = _resolve(conversation)
    assert second.pk != survey.pk and AutomatedMessage.objects.filter(purpose="csat").count() == 2


def test_no_survey_when_switched_off_or_when_only_machines_wrote():
    off = ChannelFactory(kind=ChannelKind.WEBCHAT, config={"csat": {"enabled": False}})
    assert _resolve(_conversation(off, 2)) is None
    machines = ChannelFactory(kind=ChannelKind.WEBCHAT)
    assert _resolve(_conversation(machines, 3, metadata={"bounce": True})) is None
    assert not Message.objects.filter(metadata__automated="csat").exists()


def test_the_page_takes_one_answer_per_resolution(team_agent, client):
    team, ada = team_agent
    conversation = _conversation(ChannelFactory(kind=ChannelKind.WEBCHAT, team=team), 4)
    survey = _resolve(conversation)
    page = client.get(_path(survey) + "?rating=4", HTTP_HOST="localhost")
    assert page.status_code == 200 and conversation.number in page.content.decode()
    assert b'value="4" required checked' in page.content
    bad = client.post(_path(survey), {"rating": "9"}, HTTP_HOST="localhost")
    assert bad.status_code == 400 and "Choose a rating from 1 to 5." in bad.content.decode()
    done = client.post(_path(survey), {"rating": "5", "comment": "Quick fix"}, HTTP_HOST="localhost")
    assert done.status_code == 200 and b"You rated us" in done.content
    again = client.post(_path(survey), {"rating": "1"}, HTTP_HOST="localhost")
    assert again.status_code == 200 and b"already have your answer" in again.content
    [answer] = CsatResponse.objects.all()
    assert (answer.rating, answer.comment, answer.agent, answer.team) == (5, "Quick fix", ada, team)
    assert answer.resolved_at == conversation.resolved_at
    assert client.get(_path(survey), HTTP_HOST="localhost").status_code == 200  # shows the answer


def test_a_tampered_or_expired_link_is_refused(client):
    survey = _resolve(_conversation(ChannelFactory(kind=ChannelKind.WEBCHAT), 5))
    token = services.csat_token(survey)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/hooks/csat/{tampered}/", HTTP_HOST="localhost").status_code == 404
    assert client.post(f"/hooks/csat/{tampered}/", {"rating": "5"}, HTTP_HOST="localhost").status_code == 404
    forged = signing.TimestampSigner(salt="crm.csat").sign("0" * 32)  # well signed, no such survey
    assert client.get(f"/hooks/csat/{forged}/", HTTP_HOST="localhost").status_code == 404
    path, later = _path(survey), timezone.now() + timedelta(days=31)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert client.get(path, HTTP_HOST="localhost").status_code == 410
    assert not CsatResponse.objects.exists()


def test_results_per_agent_and_team(team_agent):
    team, ada = team_agent
    bob = StaffFactory(roles=["Agent"], full_name="Bob Agent")
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT, team=team)
    for n, (agent, rating) in enumerate([(ada, 5), (ada, 4), (ada, 2), (bob, 3)], start=10):
        conversation = _conversation(channel, n)
        services.conversation_assign(conversation_id=conversation.pk, assignee=agent)
        services.csat_answer(survey=_resolve(conversation), rating=rating)
    today = timezone.localdate()
    results = selectors.csat_results(since=today, until=today)
    assert results["overall"] == {"count": 4, "average": 3.5, "satisfied_pct": 50.0}
    by_agent = {row["name"]: row for row in results["agents"]}
    assert by_agent["Ada Agent"] | {} == {
        "agent": ada.pk, "name": "Ada Agent", "email": ada.email, "count": 3, "average": 3.67, "satisfied_pct": 66.7,
    }  # fmt: skip
    assert (by_agent["Bob Agent"]["count"], by_agent["Bob Agent"]["satisfied_pct"]) == (1, 0.0)
    assert [(row["name"], row["count"]) for row in results["teams"]] == [(team.name, 4)]
    yesterday = today - timedelta(days=1)
    assert selectors.csat_results(since=yesterday, until=yesterday)["overall"]["count"] == 0
