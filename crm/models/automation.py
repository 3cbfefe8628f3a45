"""Inbox automation (issue 11, part 4): rules (event, conditions, actions) evaluated on new conversations and
inbound messages, the record of what fired (once per rule and message), the automated messages sent once per key
(business-hours auto-reply per closed period, satisfaction survey per resolution) and the customers' satisfaction
answers. The logic is in crm.services.automation; conditions and actions are validated there."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from ..choices import AutomatedPurpose, RuleEvent, RuleMatch
from .inbox import Conversation, InboxTeam, Message


class Rule(TimeStampedModel):
    """When `event` happens and the conditions match (all or any), run the actions, in order. Rules of an event
    run by `position`. `conditions`: [{"field", "operator", "value"}]; `actions`: [{"action", "value"}]
    (crm.services.automation.CONDITION_FIELDS / ACTIONS say which)."""

    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    event = models.CharField(_("event"), max_length=32, choices=RuleEvent)
    match = models.CharField(_("match"), max_length=8, choices=RuleMatch, default=RuleMatch.ALL)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)

    class Meta:
        verbose_name = _("automation rule")
        ordering = ["event", "position", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="crm_rule_name_unique_ci"),
            models.CheckConstraint(condition=Q(event__in=RuleEvent.values), name="crm_rule_event_valid"),
            models.CheckConstraint(condition=Q(match__in=RuleMatch.values), name="crm_rule_match_valid"),
        ]
        # The evaluation's query: the active rules of one event in order.
        indexes = [models.Index(fields=["event", "position"], condition=Q(active=True), name="crm_rule_active")]

    def __str__(self):
        return self.name


class RuleRun(models.Model):
    """A rule fired: on which conversation and message, and what each action did. Unique per rule and message
    (message_received) or per rule and conversation (conversation_created): a rule fires once, however often the
    evaluation runs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rule = models.ForeignKey(Rule, models.CASCADE, related_name="runs", verbose_name=_("rule"))
    event = models.CharField(_("event"), max_length=32, choices=RuleEvent)
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="+", verbose_name=_("conversation"))
    message = models.ForeignKey(
        Message, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    outcome = models.JSONField(_("outcome"), default=list, blank=True)
    created_at = models.DateTimeField(_("fired"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("rule run")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "message"],
                condition=Q(event=RuleEvent.MESSAGE_RECEIVED),
                name="crm_rulerun_once_per_message",
            ),
            models.UniqueConstraint(
                fields=["rule", "conversation"],
                condition=Q(event=RuleEvent.CONVERSATION_CREATED),
                name="crm_rulerun_once_per_conversation",
            ),
        ]

    def __str__(self):
        return f"{self.rule} @ {self.created_at:%Y-%m-%d %H:%M}"


class AutomatedMessage(models.Model):
    """A message the system sent on a conversation, once per `key`: the business-hours auto-reply once per closed
    period (the key is the next opening time), the satisfaction survey once per resolution (the resolved time)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="+", verbose_name=_("conversation"))
    purpose = models.CharField(_("purpose"), max_length=16, choices=AutomatedPurpose)
    key = models.CharField(_("key"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True, help_text=_("The survey's agent and team."))
    message = models.ForeignKey(
        Message, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("automated message")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "purpose", "key"], name="crm_automatedmessage_once"),
            models.CheckConstraint(
                condition=Q(purpose__in=AutomatedPurpose.values), name="crm_automatedmessage_purpose_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.key}"


class CsatResponse(TimeStampedModel):
    """A customer's satisfaction answer (1-5 and a comment) for one resolution of a conversation: unique per
    conversation and `resolved_at`. `agent` and `team` are the conversation's at the time it was resolved."""

    conversation = models.ForeignKey(
        Conversation, models.CASCADE, related_name="csat_responses", verbose_name=_("conversation")
    )
    resolved_at = models.DateTimeField(_("resolved"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("agent")
    )
    team = models.ForeignKey(
        InboxTeam, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("satisfaction response")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "resolved_at"], name="crm_csatresponse_once"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="crm_csatresponse_rating_1_5"),
        ]
        # The per-agent report: responses of a date range grouped by agent.
        indexes = [models.Index(fields=["agent", "created_at"], name="crm_csatresponse_agent")]

    def __str__(self):
        return f"{self.conversation} {self.rating}/5"
