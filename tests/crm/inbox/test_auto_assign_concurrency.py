"""Round-robin under concurrency (STYLE.md section 9 two-thread pattern): assignments racing for the same agents
never take anyone past their cap of open conversations, and never deadlock."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Count

from crm import services
from crm.choices import ChannelKind
from crm.models import Conversation, InboxAgent
from tests.crm.factories import ContactFactory
from tests.omni.factories import StaffFactory

from .factories import ChannelFactory, InboxTeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls):
    """Each call in its own thread and database session, released at once; returns their results (or repr of
    the exception). A lock wait past 30 s fails the test."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - reported, the test asserts on it
            return repr(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result(timeout=30) for future in [pool.submit(run, call) for call in calls]]


def _team_conversations(team, n):
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT)
    contact = ContactFactory()
    return [
        Conversation.objects.create(channel=channel, thread_key=f"t-{team.pk}-{i}", contact=contact, team=team)
        for i in range(n)
    ]


def _assign(conversation):
    return lambda: services.conversation_auto_assign(conversation_id=conversation.pk)


def test_assignments_at_once_never_pass_the_cap():
    # One test (transactional tests pay a flush each): two threads for one place, then six for four places.
    team = InboxTeamFactory()
    ada = StaffFactory(roles=["Agent"])
    team.members.add(ada)
    InboxAgent.objects.create(user=ada, available=True, max_open=1)
    for _round in range(3):
        Conversation.objects.filter(team=team).delete()
        conversations = _team_conversations(team, 2)
        results = run_together([_assign(c) for c in conversations])
        assert sorted(str(r) for r in results) == sorted([str(ada), "None"]), results
        assert Conversation.objects.filter(assignee=ada).count() == 1

    team = InboxTeamFactory()
    agents = [StaffFactory(roles=["Agent"]) for _ in range(2)]
    team.members.add(*agents)
    for user in agents:
        InboxAgent.objects.create(user=user, available=True, max_open=2)
    conversations = _team_conversations(team, 6)
    results = run_together([_assign(c) for c in conversations])
    assert sum(result is None for result in results) == 2, results
    per_agent = dict(
        Conversation.objects.filter(team=team)
        .values_list("assignee")
        .annotate(n=Count("pk"))
        .values_list("assignee", "n")
    )
    assert per_agent == {agents[0].pk: 2, agents[1].pk: 2, None: 2}
