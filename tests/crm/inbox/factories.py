"""Factories of the inbox's rows."""

import factory

from crm.choices import ChannelKind
from crm.models import CannedReply, Channel, InboxTeam, Label


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    kind = ChannelKind.WEBCHAT
    name = factory.Sequence(lambda n: f"Channel {n}")
    address = factory.Sequence(lambda n: f"site{n}.example.com")


class InboxTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboxTeam

    name = factory.Sequence(lambda n: f"Team {n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"label-{n}")


class CannedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedReply

    shortcode = factory.Sequence(lambda n: f"reply{n}")
    body = "Hello {{ contact.first_name }}, thanks for writing."
