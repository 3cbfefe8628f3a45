"""Races on the inbox between real database sessions: the conversation's row lock decides."""

import pytest

from crm import services
from crm.choices import ChannelKind
from crm.services.inbox import Inbound
from tests.crm.test_services_concurrency import run_together

from .factories import ChannelFactory, LabelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_agents_labelling_at_once_both_keep_their_label():
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT)
    sender = services.contact_resolve(email="race@example.com")
    message, _ = services.inbound_receive(
        channel=channel, sender=sender, inbound=Inbound(thread_key="v-race", external_id="r-1", body="Hi")
    )
    outage, vip = LabelFactory(name="outage"), LabelFactory(name="vip")
    pk = message.conversation_id
    results = run_together(
        lambda: services.conversation_labels_change(conversation_id=pk, add=[outage]),
        lambda: services.conversation_labels_change(conversation_id=pk, add=[vip]),
    )
    assert results == ["ok", "ok"]
    assert set(message.conversation.labels.values_list("name", flat=True)) == {"outage", "vip"}
