"""Running automation rules on a conversation: the context a rule reads (channel, contact's domain, message text,
labels, business hours), whether its conditions hold (all or any), and its actions (assign a team or an agent, add
a label, set the priority, send a canned reply, snooze, resolve). Each rule fires at most once per message or
conversation (its RuleRun row is claimed first); a failing action is recorded and the next one runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import DomainError
from omni.models import User

from ... import live
from ...choices import ConversationPriority, ConversationStatus, RuleMatch
from ...hours import business_hours_open
from ...models import CannedReply, Conversation, InboxTeam, Label, Message, Rule, RuleRun
from .common import _automated_send, _fill_placeholders, message_do_not_answer

# ---- rules: evaluation -------------------------------------------------------------------------------------------


@dataclass
class _Context:
    conversation: Conversation
    message: Message | None
    at: datetime
    _labels: set | None = field(default=None, repr=False)

    def labels(self) -> set:
        if self._labels is None:
            self._labels = {str(pk) for pk in self.conversation.labels.values_list("pk", flat=True)}
        return self._labels

    def value(self, name: str):
        conversation = self.conversation
        if name == "channel":
            return str(conversation.channel_id)
        if name == "channel_kind":
            return conversation.channel.kind
        if name == "email_domain":
            email = (conversation.contact.email or "") if conversation.contact_id else ""
            return email.rpartition("@")[2].lower() if "@" in email else ""
        if name == "message_body":
            return (self.message.body if self.message else "").lower()
        if name == "subject":
            return (conversation.subject or "").lower()
        if name == "account_kind":
            return conversation.account.kind if conversation.account_id else "none"
        if name == "business_hours":
            return "open" if business_hours_open(conversation.channel, self.at) else "closed"
        raise KeyError(name)


def _condition_holds(condition: dict, context: _Context) -> bool:
    name, operator, value = condition["field"], condition["operator"], condition["value"]
    if name == "label":
        present = str(value) in context.labels()
        return present if operator == "present" else not present
    actual = context.value(name)
    if operator == "contains":
        return str(value).lower() in actual
    if operator == "not_contains":
        return str(value).lower() not in actual
    if operator == "is_not":
        return actual != value
    return actual == value


def _rule_matches(rule: Rule, context: _Context) -> bool:
    if not rule.conditions:
        return True
    results = (_condition_holds(condition, context) for condition in rule.conditions)
    return all(results) if rule.match == RuleMatch.ALL else any(results)


def _run_action(action: dict, context: _Context) -> str:
    """Do one action; returns what it did, for the activity line. ValidationError / DomainError propagate."""
    from ..conversations import conversation_assign, conversation_labels_change, conversation_status_set

    conversation, name, value = context.conversation, action["action"], action.get("value")
    if name == "assign_team":
        team = InboxTeam.objects.get(pk=value)
        conversation_assign(conversation_id=conversation.pk, team_id=team.pk)  # then round-robin inside it
        return _("team %(t)s") % {"t": team.name}
    if name == "assign_agent":
        user = User.objects.get(pk=value)
        conversation_assign(conversation_id=conversation.pk, assignee=user)
        return _("agent %(a)s") % {"a": user.get_full_name() or user.email}
    if name == "add_label":
        label = Label.objects.get(pk=value)
        conversation_labels_change(conversation_id=conversation.pk, add=[label.pk])
        context.labels().add(str(label.pk))
        return _("label %(l)s") % {"l": label.name}
    if name == "set_priority":
        Conversation.objects.filter(pk=conversation.pk).update(priority=value, updated_at=timezone.now())
        conversation.priority = value
        live.conversation_changed(conversation, "conversation.priority", {"priority": value})
        return _("priority %(p)s") % {"p": ConversationPriority(value).label}
    if name == "send_canned_reply":
        if context.message is not None and message_do_not_answer(context.message):
            return _("no reply to an automatic message")
        canned = CannedReply.objects.get(pk=value)
        _automated_send(conversation, _fill_placeholders(canned.body, conversation), "rule")
        return _("reply /%(s)s") % {"s": canned.shortcode}
    if name == "snooze":
        until = timezone.now() + timedelta(hours=int(value))
        conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.SNOOZED, snoozed_until=until)
        return _("snoozed %(h)s h") % {"h": value}
    if name == "resolve":
        conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.RESOLVED)
        return _("resolved")
    raise ValueError(name)


def _rules_run(event: str, rules: list[Rule], context: _Context) -> list[RuleRun]:
    """Run `rules` (the active ones, in order) of `event` on the context; each fires at most once per message
    (message_received) or conversation (conversation_created): the RuleRun row is claimed first, on its unique
    constraint. A failing action (e.g. the team was switched off) is recorded and the next one runs."""
    from ..inbox import activity_add

    runs = []
    for rule in (rule for rule in rules if rule.event == event):
        context.conversation.refresh_from_db()
        if context.conversation.merged_into_id or not _rule_matches(rule, context):
            continue
        run = RuleRun(rule=rule, event=event, conversation=context.conversation, message=context.message)
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:
            continue  # fired already for this message / conversation
        outcome = []
        for action in rule.actions:
            try:
                outcome.append(_run_action(action, context))
            except (ValidationError, DomainError, InboxTeam.DoesNotExist, User.DoesNotExist) as exc:
                text = exc.message if isinstance(exc, DomainError) else "; ".join(getattr(exc, "messages", [str(exc)]))
                outcome.append(_("%(a)s failed: %(e)s") % {"a": action["action"], "e": text})
            except (Label.DoesNotExist, CannedReply.DoesNotExist):
                outcome.append(_("%(a)s failed: it was deleted") % {"a": action["action"]})
        run.outcome = outcome
        run.save(update_fields=["outcome"])
        activity_add(context.conversation, _("Rule “%(r)s”: %(o)s") % {"r": rule.name, "o": ", ".join(outcome)})
        runs.append(run)
    return runs
