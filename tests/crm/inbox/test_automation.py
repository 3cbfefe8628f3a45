"""Inbox automation: business hours (DST), rules (every condition and action, once per message, never answering
machines, never looping), the business-hours auto-reply (once per closed period) and round-robin assignment."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services
from crm.choices import AccountKind, ChannelKind, ConversationPriority, ConversationStatus, MessageKind, RuleEvent
from crm.hours import business_hours_open, business_hours_validate, closed_period_key, next_opening
from crm.models import AutomatedMessage, Channel, Conversation, InboxAgent, Message, RuleRun
from crm.services.inbox import Inbound
from tests.crm.factories import AccountFactory, link
from tests.omni.factories import StaffFactory

from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db

_ids = count()
WEEKDAYS = {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
NEVER_OPEN = {"business_hours": {"time_zone": "UTC", "days": {}}}


def _receive(channel, body="Hello", *, email="ada@example.com", thread=None, subject="", metadata=None):
    sender = services.contact_resolve(email=email)
    n = next(_ids)
    inbound = Inbound(
        thread_key=thread or f"visitor-{n}", external_id=f"m{n}", body=body, subject=subject, metadata=metadata or {}
    )
    message, _created = services.inbound_receive(channel=channel, sender=sender, inbound=inbound)
    return message


def _rule(event=RuleEvent.MESSAGE_RECEIVED, conditions=(), actions=(), **kw):
    return services.rule_create(
        name=kw.pop("name", f"Rule {next(_ids)}"), event=event, conditions=list(conditions), actions=list(actions), **kw
    )


def _activities(conversation_id):
    return list(
        Message.objects.filter(conversation_id=conversation_id, kind=MessageKind.ACTIVITY).values_list(
            "body", flat=True
        )
    )


# ---- business hours ----------------------------------------------------------------------------------------------


def test_business_hours_follow_the_local_clock_across_a_dst_change():
    channel = Channel(config={"business_hours": {"time_zone": "Europe/Berlin", "days": WEEKDAYS}})
    # Berlin is UTC+1 until 29 March 2026, UTC+2 after: 08:00 local is 07:00 UTC, then 06:00 UTC.
    assert not business_hours_open(channel, datetime(2026, 3, 23, 6, 30, tzinfo=UTC))  # Mon 07:30 CET
    assert business_hours_open(channel, datetime(2026, 3, 23, 7, 0, tzinfo=UTC))  # Mon 08:00 CET
    assert business_hours_open(channel, datetime(2026, 3, 30, 6, 30, tzinfo=UTC))  # Mon 08:30 CEST
    assert not business_hours_open(channel, datetime(2026, 3, 30, 15, 0, tzinfo=UTC))  # Mon 17:00 CEST
    assert not business_hours_open(channel, datetime(2026, 3, 28, 10, 0, tzinfo=UTC))  # Saturday
    holiday = Channel(config={"business_hours": {"time_zone": "UTC", "days": WEEKDAYS, "holidays": ["2026-12-25"]}})
    assert not business_hours_open(holiday, datetime(2026, 12, 25, 10, 0, tzinfo=UTC))
    assert business_hours_open(Channel(config={}), datetime(2026, 12, 25, 3, 0, tzinfo=UTC))  # no hours: open


def test_one_closed_period_has_one_key_and_ends_at_the_next_opening():
    channel = Channel(config={"business_hours": {"time_zone": "Europe/Berlin", "days": WEEKDAYS}})
    friday_evening = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)
    sunday = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # the DST change happens over this weekend
    monday_evening = datetime(2026, 3, 30, 17, 0, tzinfo=UTC)
    assert next_opening(channel, friday_evening) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert closed_period_key(channel, friday_evening) == closed_period_key(channel, sunday) == "2026-03-30T06:00Z"
    assert closed_period_key(channel, monday_evening) == "2026-03-31T06:00Z"


def test_bad_business_hours_are_refused_naming_what_is_wrong():
    with pytest.raises(ValidationError) as error:
        business_hours_validate(
            {"time_zone": "Mars/Base", "days": {"mon": [["17:00", "08:00"]], "fun": []}, "holidays": ["soon"]}
        )
    text = " ".join(error.value.message_dict["business_hours"])
    assert "Mars/Base" in text and "fun" in text and "end after it starts" in text and "soon" in text
    assert business_hours_validate({"days": {"sat": [["09:00", "24:00"]]}})["days"] == {"sat": [["09:00", "24:00"]]}


# ---- rule validation ---------------------------------------------------------------------------------------------


def test_rules_are_validated_row_by_row_with_the_part_named():
    with pytest.raises(ValidationError) as error:
        services.rule_create(
            name="",
            event="nope",
            conditions=[
                {"field": "colour", "operator": "is", "value": "red"},
                {"field": "subject", "operator": "is", "value": "x"},
                {"field": "channel_kind", "operator": "is", "value": "pigeon"},
            ],
            actions=[{"action": "snooze", "value": "0"}, {"action": "launch"}],
        )
    errors = error.value.message_dict
    assert set(errors) >= {"name", "event", "conditions", "actions"}
    assert errors["conditions"][0].startswith("Condition 1, field:")
    assert errors["conditions"][1].startswith("Condition 2, operator:")
    assert errors["conditions"][2].startswith("Condition 3, value:")
    assert errors["actions"][0].startswith("Action 1, value:") and errors["actions"][1].startswith("Action 2, action:")
    with pytest.raises(ValidationError) as error:
        services.rule_create(name="No actions", event=RuleEvent.MESSAGE_RECEIVED, conditions=[], actions=[])
    assert error.value.message_dict["actions"] == ["Add at least one action."]
    with pytest.raises(ValidationError) as error:
        services.rule_create(
            name="Gone team", event=RuleEvent.MESSAGE_RECEIVED, conditions=[], actions=[{"action": "assign_team"}]
        )
    assert "active team" in error.value.message_dict["actions"][0]
    _rule(name="Taken", actions=[{"action": "resolve"}])
    with pytest.raises(ValidationError) as error:
        _rule(name="TAKEN", actions=[{"action": "resolve"}])
    assert error.value.message_dict == {"name": ["A rule with this name exists."]}


# ---- conditions ----------------------------------------------------------------------------------------------------


@pytest.fixture
def webchat():
    return ChannelFactory(kind=ChannelKind.WEBCHAT)


def _fires(channel, condition, *, body="Hello", email="ada@example.com", subject="", prepare=None):
    label = LabelFactory()
    _rule(conditions=[condition], actions=[{"action": "add_label", "value": str(label.pk)}])
    message = _receive(channel, body, email=email, subject=subject) if prepare is None else prepare()
    return Conversation.objects.get(pk=message.conversation_id).labels.filter(pk=label.pk).exists()


def test_condition_channel_and_channel_kind(webchat):
    other = ChannelFactory(kind=ChannelKind.WEBCHAT)
    assert _fires(webchat, {"field": "channel", "operator": "is", "value": str(webchat.pk)})
    assert not _fires(webchat, {"field": "channel", "operator": "is", "value": str(other.pk)})
    assert _fires(webchat, {"field": "channel", "operator": "is_not", "value": str(other.pk)})
    assert _fires(webchat, {"field": "channel_kind", "operator": "is", "value": "webchat"})
    assert not _fires(webchat, {"field": "channel_kind", "operator": "is", "value": "sms"})


def test_condition_contact_email_domain(webchat):
    assert _fires(webchat, {"field": "email_domain", "operator": "is", "value": "@Example.com"}, email="a@example.com")
    assert not _fires(webchat, {"field": "email_domain", "operator": "is", "value": "example.com"}, email="b@other.org")
    assert _fires(webchat, {"field": "email_domain", "operator": "is_not", "value": "example.com"}, email="c@other.org")


def test_condition_message_body_and_subject_contain(webchat):
    assert _fires(webchat, {"field": "message_body", "operator": "contains", "value": "OUTAGE"}, body="an outage!")
    assert not _fires(webchat, {"field": "message_body", "operator": "contains", "value": "outage"}, body="hi")
    assert _fires(webchat, {"field": "message_body", "operator": "not_contains", "value": "outage"}, body="hi")
    assert _fires(webchat, {"field": "subject", "operator": "contains", "value": "invoice"}, subject="My Invoice")
    assert not _fires(webchat, {"field": "subject", "operator": "contains", "value": "invoice"}, subject="Hello")


def test_condition_account_kind(webchat):
    business = AccountFactory(kind=AccountKind.BUSINESS)
    link(services.contact_resolve(email="boss@corp.example.com"), business)
    condition = {"field": "account_kind", "operator": "is", "value": "business"}
    assert _fires(webchat, condition, email="boss@corp.example.com")
    assert not _fires(webchat, condition, email="nobody@home.example.com")
    assert _fires(webchat, {"field": "account_kind", "operator": "is", "value": "none"}, email="x@home.example.com")


def test_condition_business_hours(webchat):
    closed = ChannelFactory(kind=ChannelKind.WEBCHAT, config=NEVER_OPEN)
    assert _fires(closed, {"field": "business_hours", "operator": "is", "value": "closed"})
    assert not _fires(closed, {"field": "business_hours", "operator": "is", "value": "open"})
    assert _fires(webchat, {"field": "business_hours", "operator": "is", "value": "open"})  # no hours: open


def test_condition_label_present_or_absent(webchat):
    vip = LabelFactory(name="vip")
    first = _receive(webchat, thread="visitor-label")

    def again():
        return _receive(webchat, thread="visitor-label")

    assert not _fires(webchat, {"field": "label", "operator": "present", "value": str(vip.pk)}, prepare=again)
    services.conversation_labels_set(conversation_id=first.conversation_id, labels=[vip])
    assert _fires(webchat, {"field": "label", "operator": "present", "value": str(vip.pk)}, prepare=again)
    assert not _fires(webchat, {"field": "label", "operator": "absent", "value": str(vip.pk)}, prepare=again)


def test_match_all_or_any(webchat):
    label_all, label_any = LabelFactory(), LabelFactory()
    conditions = [
        {"field": "message_body", "operator": "contains", "value": "router"},
        {"field": "message_body", "operator": "contains", "value": "billing"},
    ]
    _rule(conditions=conditions, actions=[{"action": "add_label", "value": str(label_all.pk)}])
    _rule(conditions=conditions, match="any", actions=[{"action": "add_label", "value": str(label_any.pk)}])
    conversation = Conversation.objects.get(pk=_receive(webchat, "my router is down").conversation_id)
    assert list(conversation.labels.all()) == [label_any]


# ---- actions -------------------------------------------------------------------------------------------------------


def test_actions_label_priority_agent_and_an_activity_line(webchat, agent):
    label = LabelFactory(name="billing")
    rule = _rule(
        name="Billing desk",
        actions=[
            {"action": "add_label", "value": str(label.pk)},
            {"action": "set_priority", "value": "high"},
            {"action": "assign_agent", "value": str(agent.pk)},
        ],
    )
    message = _receive(webchat)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert list(conversation.labels.all()) == [label]
    assert conversation.priority == ConversationPriority.HIGH and conversation.assignee == agent
    run = RuleRun.objects.get(rule=rule)
    assert run.message_id == message.pk and len(run.outcome) == 3
    assert any(
        text.startswith("Rule “Billing desk”: label billing, priority High") for text in _activities(conversation.pk)
    )


def test_action_assign_team_hands_it_round_robin_to_an_available_member(webchat):
    team = InboxTeamFactory()
    ada, bob = StaffFactory(roles=["Agent"]), StaffFactory(roles=["Agent"])
    team.members.add(ada, bob)
    InboxAgent.objects.create(user=ada, available=True)
    InboxAgent.objects.create(user=bob, available=True, last_assigned_at=timezone.now() - timedelta(days=1))
    _rule(actions=[{"action": "assign_team", "value": str(team.pk)}])
    first = Conversation.objects.get(pk=_receive(webchat, email="one@example.com").conversation_id)
    second = Conversation.objects.get(pk=_receive(webchat, email="two@example.com").conversation_id)
    assert (first.team, first.assignee, second.assignee) == (team, ada, bob)  # never assigned first, then oldest


def test_actions_snooze_and_resolve(webchat):
    _rule(conditions=[{"field": "message_body", "operator": "contains", "value": "later"}], actions=[
        {"action": "snooze", "value": 24}
    ])  # fmt: skip
    _rule(conditions=[{"field": "message_body", "operator": "contains", "value": "thanks"}], actions=[
        {"action": "resolve"}
    ])  # fmt: skip
    snoozed = Conversation.objects.get(pk=_receive(webchat, "call me later").conversation_id)
    assert snoozed.status == ConversationStatus.SNOOZED
    assert timedelta(hours=23) < snoozed.snoozed_until - timezone.now() <= timedelta(hours=24)
    resolved = Conversation.objects.get(pk=_receive(webchat, "thanks, bye").conversation_id)
    assert resolved.status == ConversationStatus.RESOLVED and resolved.resolved_at is not None


def test_a_canned_reply_goes_out_once_per_message_and_does_not_count_as_a_first_reply(
    webchat, django_capture_on_commit_callbacks
):
    canned = CannedReplyFactory(body="Hello {{ contact.first_name }}, we got {{ conversation.number }}.")
    rule = _rule(actions=[{"action": "send_canned_reply", "value": str(canned.pk)}])
    with django_capture_on_commit_callbacks(execute=True):
        message = _receive(webchat, email="grace@example.com")
    conversation = Conversation.objects.get(pk=message.conversation_id)
    [reply] = Message.objects.filter(conversation=conversation, kind=MessageKind.MESSAGE, direction="outbound")
    assert reply.body == f"Hello grace, we got {conversation.number}." and reply.author is None
    assert reply.metadata["automated"] == "rule" and reply.status == "sent"
    assert conversation.first_reply_at is None
    # The evaluation running again for the same message fires nothing (RuleRun's unique key); the rule's own
    # outbound reply triggered no rule (no loop).
    services.inbound_automate(message=message, conversation=conversation, conversation_created=False)
    assert RuleRun.objects.filter(rule=rule).count() == 1
    assert Message.objects.filter(conversation=conversation, direction="outbound", kind="message").count() == 1


def test_rules_never_answer_auto_replies_or_bounces(webchat):
    canned = CannedReplyFactory()
    label = LabelFactory()
    _rule(
        actions=[
            {"action": "send_canned_reply", "value": str(canned.pk)},
            {"action": "add_label", "value": str(label.pk)},
        ]
    )
    for flag in ("auto_submitted", "auto_reply", "bounce"):
        message = _receive(webchat, metadata={flag: "auto-replied"})
        conversation = Conversation.objects.get(pk=message.conversation_id)
        assert not Message.objects.filter(conversation=conversation, direction="outbound", kind="message").exists()
        assert list(conversation.labels.all()) == [label]  # other actions still run


def test_rules_run_in_position_order_inactive_ones_skipped_and_created_only_once(webchat):
    first, second, off = LabelFactory(), LabelFactory(), LabelFactory()
    later = _rule(event=RuleEvent.CONVERSATION_CREATED, actions=[{"action": "set_priority", "value": "low"}])
    earlier = _rule(event=RuleEvent.CONVERSATION_CREATED, actions=[{"action": "set_priority", "value": "urgent"}])
    services.rule_reorder(event=RuleEvent.CONVERSATION_CREATED, rule_ids=[earlier.pk, later.pk])
    _rule(event=RuleEvent.CONVERSATION_CREATED, actions=[{"action": "add_label", "value": str(first.pk)}])
    inactive = _rule(actions=[{"action": "add_label", "value": str(off.pk)}], active=False)
    _rule(actions=[{"action": "add_label", "value": str(second.pk)}])
    message = _receive(webchat, thread="visitor-order")
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.priority == ConversationPriority.LOW  # "later" ran last
    assert set(conversation.labels.all()) == {first, second}
    _receive(webchat, thread="visitor-order")
    assert RuleRun.objects.filter(rule=later).count() == 1  # conversation_created: once per conversation
    assert RuleRun.objects.filter(event=RuleEvent.MESSAGE_RECEIVED).count() == 2
    assert not RuleRun.objects.filter(rule=inactive).exists()
    with pytest.raises(ValidationError):
        services.rule_reorder(event=RuleEvent.CONVERSATION_CREATED, rule_ids=[earlier.pk])


def test_a_failing_action_is_recorded_and_the_message_kept(webchat):
    team = InboxTeamFactory()
    _rule(actions=[{"action": "assign_team", "value": str(team.pk)}, {"action": "set_priority", "value": "high"}])
    team.active = False
    team.save()
    message = _receive(webchat)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.priority == "high" and conversation.team is None
    assert "assign_team failed" in RuleRun.objects.get().outcome[0]


# ---- business-hours auto-reply -----------------------------------------------------------------------------------


def _auto_reply_config(**hours):
    return {
        "business_hours": {"time_zone": "UTC", "days": WEEKDAYS, **hours},
        "auto_reply": {"enabled": True, "text": "We are closed, {{ contact.first_name }}; back at 08:00."},
    }


def _auto_replies(conversation_id):
    return Message.objects.filter(conversation_id=conversation_id, metadata__automated="auto_reply")


def test_the_auto_reply_goes_once_per_conversation_and_closed_period(webchat):
    webchat.config = _auto_reply_config()
    webchat.save()
    messages = []
    for moment in (
        datetime(2026, 3, 27, 18, 0, tzinfo=UTC),  # Friday evening
        datetime(2026, 3, 28, 10, 0, tzinfo=UTC),  # Saturday: the same closed period
        datetime(2026, 3, 30, 10, 0, tzinfo=UTC),  # Monday, open
        datetime(2026, 3, 30, 19, 0, tzinfo=UTC),  # Monday evening: a new closed period
    ):
        message = _receive(webchat, thread="visitor-hours", email="lin@example.com")
        Message.objects.filter(pk=message.pk).update(created_at=moment)
        message.refresh_from_db()
        messages.append(message)
    conversation_id = messages[0].conversation_id
    AutomatedMessage.objects.all().delete()  # the real-time receipts above; replay the four moments
    Message.objects.filter(metadata__automated="auto_reply").delete()
    for message in messages:
        services.inbound_automate(message=message, conversation=message.conversation, conversation_created=False)
    replies = _auto_replies(conversation_id)
    assert replies.count() == 2
    assert replies.first().body == "We are closed, lin; back at 08:00."
    assert sorted(AutomatedMessage.objects.values_list("key", flat=True)) == ["2026-03-30T08:00Z", "2026-03-31T08:00Z"]


def test_no_auto_reply_to_auto_submitted_messages_or_when_switched_off(webchat):
    webchat.config = {**NEVER_OPEN, "auto_reply": {"enabled": True, "text": "Closed."}}
    webchat.save()
    message = _receive(webchat, metadata={"auto_submitted": "auto-replied"})
    assert not _auto_replies(message.conversation_id).exists()
    human = _receive(webchat)
    assert _auto_replies(human.conversation_id).count() == 1
    webchat.config = {**NEVER_OPEN, "auto_reply": {"enabled": False, "text": "Closed."}}
    webchat.save()
    assert not _auto_replies(_receive(webchat).conversation_id).exists()


# ---- round-robin -------------------------------------------------------------------------------------------------


def test_round_robin_respects_availability_and_the_cap_and_leaves_the_rest_with_the_team(webchat):
    team = InboxTeamFactory()
    webchat.team = team
    webchat.save()
    ada, bob, cy = (StaffFactory(roles=["Agent"]) for _ in range(3))
    team.members.add(ada, bob, cy)
    InboxAgent.objects.create(user=ada, available=True, max_open=1)
    InboxAgent.objects.create(user=bob, available=True, max_open=2)
    InboxAgent.objects.create(user=cy, available=False)  # away
    assignees = [
        Conversation.objects.get(pk=_receive(webchat, email=f"c{i}@example.com").conversation_id).assignee
        for i in range(4)
    ]
    assert assignees[:3] in ([ada, bob, bob], [bob, ada, bob])
    assert assignees[3] is None
    left = Conversation.objects.get(assignee=None)
    assert left.team == team and left.status == ConversationStatus.OPEN
    # A resolved conversation frees a place under the cap.
    mine = Conversation.objects.filter(assignee=ada).get()
    services.conversation_status_set(conversation_id=mine.pk, status=ConversationStatus.RESOLVED)
    services.conversation_assign(conversation_id=left.pk, team_id=team.pk)  # to the team, no agent: round-robin
    left.refresh_from_db()
    assert left.assignee == ada


def test_the_availability_toggle_service_creates_the_agent_row(agent):
    assert services.agent_availability_set(user=agent).available is True
    assert services.agent_availability_set(user=agent).available is False
    assert services.agent_availability_set(user=agent, available=True).available is True
    assert InboxAgent.objects.filter(user=agent).count() == 1
