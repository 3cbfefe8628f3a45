"""The shared API contracts (tests/omni/api_contract.py) for the inbox's resources: channels, conversations, canned
replies, labels and inbox teams. Staff only; lists by limit/offset with a query count that does not grow; writes by
role; bad input a 400 naming the field."""

import uuid

import pytest
from django.utils import timezone

from crm.choices import ChannelKind
from crm.models import CannedReply, Channel, Contact, Conversation, InboxTeam, Label
from tests.omni.api_contract import (
    HardDeleteContract,
    LimitOffsetListContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    StaffOnlyContract,
)

from .api_support import API, receive
from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory


class _Staff(ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract, RoleWriteContract):
    pass


class TestChannelApi(_Staff, HardDeleteContract):
    url, model = f"{API}channels/", Channel
    list_queries = 6
    ordering_fields = ["kind", "name", "created_at", "updated_at"]

    @pytest.fixture
    def obj(self, db):
        return ChannelFactory(kind=ChannelKind.WEBCHAT)

    def make_rows(self, n):
        Channel.objects.bulk_create(
            [
                Channel(kind=ChannelKind.EMAIL, name=f"Mail {uuid.uuid4().hex}", address="a@example.com")
                for _ in range(n)
            ]
        )

    def created_body(self, body):
        return {key: value for key, value in body.items() if key != "secret"}  # shown once, in the create answer

    @pytest.fixture
    def create_payload(self):
        return {"kind": "webchat", "name": "Website", "config": {"colour": "#0f766e", "greeting": "Hi"}}

    @pytest.fixture
    def update_payload(self):
        return {"kind": "webchat", "name": "Renamed", "active": False}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("name", {"kind": "webchat", "name": ""}),
            ("colour", {"kind": "webchat", "name": "Site", "config": {"colour": "teal"}}),
            ("business_hours", {"kind": "webchat", "name": "Site", "config": {"business_hours": {"days": []}}}),
        ]


class TestConversationApi(_Staff):
    url, model = f"{API}conversations/", Conversation
    list_queries = 6
    ordering_fields = ["last_message_at", "created_at", "updated_at", "number", "status", "priority"]
    writes = ("create", "update")

    @pytest.fixture
    def channel(self, db):
        return ChannelFactory(kind=ChannelKind.SMS, name="SMS")

    @pytest.fixture
    def obj(self, channel):
        return receive(channel, thread="+2348030000001", external_id="m1", phone="+2348030000001").conversation

    def visible_rows(self):
        return Conversation.objects.filter(merged_into=None)

    def make_rows(self, n):
        channel = Channel.objects.filter(name="SMS").first() or ChannelFactory(kind=ChannelKind.SMS, name="SMS")
        contact = Contact.objects.create(first_name="Bulk", email=f"{uuid.uuid4().hex}@example.com")
        now = timezone.now()
        Conversation.objects.bulk_create(
            [
                Conversation(
                    channel=channel,
                    contact=contact,
                    thread_key=uuid.uuid4().hex,
                    subject=f"Row {i}",
                    last_message_at=now - timezone.timedelta(minutes=i),
                )
                for i in range(n)
            ]
        )

    def _assert_stored(self, stored, payload):
        payload = dict(payload)
        if "channel" in payload:  # a start: the conversation on that channel, with the first message
            assert str(stored.channel_id) == payload.pop("channel")
            assert stored.messages.filter(kind="message", body=payload.pop("message")).exists()
            assert str(stored.contact.phone) == payload.pop("phone")
        super()._assert_stored(stored, payload)

    @pytest.fixture
    def create_payload(self, channel):
        return {"channel": str(channel.pk), "name": "Ngozi Okafor", "phone": "+2348031112222", "message": "Hello"}

    @pytest.fixture
    def update_payload(self):
        return {"priority": "high"}

    @pytest.fixture
    def bad_payloads(self):
        # A start and a change share no field: each one's 400s are in test_api.py (message, contact, channel, phone;
        # status, snoozed_until, priority, labels); here the fields both bodies refuse alike: none, so only that
        # nothing is stored by a bad body of the other kind.
        return []


class TestCannedReplyApi(_Staff, HardDeleteContract):
    url, model = f"{API}canned-replies/", CannedReply
    list_queries = 6
    ordering_fields = ["shortcode", "title", "created_at", "updated_at"]

    @pytest.fixture
    def obj(self, db):
        return CannedReplyFactory()

    def make_rows(self, n):
        CannedReply.objects.bulk_create([CannedReply(shortcode=uuid.uuid4().hex, body="Hi") for _ in range(n)])

    @pytest.fixture
    def create_payload(self):
        return {"shortcode": "thanks", "title": "Thanks", "body": "Thank you!"}

    @pytest.fixture
    def update_payload(self):
        return {"title": "Renamed"}

    @pytest.fixture
    def bad_payloads(self, obj):
        return [("shortcode", {"shortcode": "not a slug", "body": "x"}), ("body", {"shortcode": "ok", "body": ""})]


class TestLabelApi(_Staff, HardDeleteContract):
    url, model = f"{API}labels/", Label
    list_queries = 6
    ordering_fields = ["name", "created_at", "updated_at"]

    @pytest.fixture
    def obj(self, db):
        return LabelFactory()

    def make_rows(self, n):
        Label.objects.bulk_create([Label(name=uuid.uuid4().hex[:20]) for _ in range(n)])

    @pytest.fixture
    def create_payload(self):
        return {"name": "vip", "colour": "#aa0000"}

    @pytest.fixture
    def update_payload(self):
        return {"description": "Very important"}

    @pytest.fixture
    def bad_payloads(self):
        return [("colour", {"name": "red", "colour": "red"}), ("name", {"name": ""})]


class TestInboxTeamApi(_Staff, HardDeleteContract):
    url, model = f"{API}inbox-teams/", InboxTeam
    list_queries = 7
    ordering_fields = ["name", "created_at", "updated_at"]

    @pytest.fixture
    def obj(self, db, agent):
        team = InboxTeamFactory()
        team.members.add(agent)
        return team

    def make_rows(self, n):
        InboxTeam.objects.bulk_create([InboxTeam(name=uuid.uuid4().hex) for _ in range(n)])

    @pytest.fixture
    def create_payload(self, agent):
        return {"name": "NOC", "members": [str(agent.pk)]}

    @pytest.fixture
    def update_payload(self):
        return {"auto_assign": False}

    @pytest.fixture
    def bad_payloads(self, customer):
        return [("members", {"name": "Team", "members": [str(customer.pk)]}), ("name", {"name": ""})]
