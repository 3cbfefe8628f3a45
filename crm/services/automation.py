"""Inbox automation (issue 11, part 4): round-robin auto-assignment inside a team, rules (event + conditions +
actions) on new conversations and inbound messages, the business-hours auto-reply, and the satisfaction (CSAT)
survey after a resolution with the customer's answer.

Entry points, all called inside the caller's transaction:
- `inbound_automate(message=, conversation=, conversation_created=)`: from inbound_receive after a new inbound
  message is stored (never for a provider's retry). Runs in a savepoint: a failure is logged and rolled back
  alone, the customer's message is kept.
- `conversation_auto_assign(conversation_id=)`: from conversation_assign when a conversation is given a team and
  no agent, and from inbound_automate for a new conversation that got its channel's team.
- `csat_survey_send(conversation=)`: from conversation_status_set when a conversation is resolved.

What the system sends (auto-reply, a rule's canned reply, the survey) is an outbound message without an author,
with `metadata["automated"]` naming why; it never counts as the first reply (reports measure people), and being
outbound it triggers no rule, so rules cannot loop. A message flagged `auto_submitted`, `auto_reply` or `bounce`
in its metadata (the email parser flags out-of-office replies and DSNs) is never answered."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.exceptions import DomainError
from omni.models import User

from .. import live
from ..choices import (
    ACTIONS,
    CONDITION_FIELDS,
    AccountKind,
    AutomatedPurpose,
    ChannelKind,
    ConversationPriority,
    ConversationStatus,
    MessageDirection,
    MessageKind,
    RuleEvent,
    RuleMatch,
)
from ..hours import business_hours_open, closed_period_key
from ..models import (
    AutomatedMessage,
    CannedReply,
    Channel,
    Conversation,
    CsatResponse,
    InboxAgent,
    InboxTeam,
    Label,
    Message,
    Rule,
    RuleRun,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ACTIONS",
    "CONDITION_FIELDS",
    "CSAT_MAX_AGE",
    "agent_availability_set",
    "conversation_auto_assign",
    "csat_answer",
    "csat_survey_for_token",
    "csat_survey_send",
    "csat_token",
    "inbound_automate",
    "message_do_not_answer",
    "rule_create",
    "rule_delete",
    "rule_reorder",
    "rule_set_active",
    "rule_update",
    "rule_validate",
]

# Metadata keys of an inbound message that must never be answered (auto-replies, bounces, DSNs).
DO_NOT_ANSWER = ("auto_submitted", "auto_reply", "bounce")
CSAT_SALT = "crm.csat"
CSAT_MAX_AGE = 30 * 24 * 3600  # a survey link works for 30 days
SNOOZE_MAX_HOURS = 24 * 30


def message_do_not_answer(message: Message) -> bool:
    """Whether an inbound message was sent by a machine (auto-reply, bounce) and must not be answered."""
    metadata = message.metadata or {}
    return any(metadata.get(key) for key in DO_NOT_ANSWER)


# ---- auto-assignment --------------------------------------------------------------------------------------------

OPEN_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING)


def conversation_auto_assign(*, conversation_id: UUID) -> User | None:
    """Give an unassigned conversation with a team to the team's available member (InboxAgent.available, active
    staff) below their cap of open or pending conversations who was assigned least recently (round-robin).
    Locks the conversation, then every candidate's InboxAgent row in primary-key order (FOR UPDATE, never SKIP
    LOCKED): two assignments racing for the same agents run one after the other, and the second counts the
    first's conversation, so no agent goes past the cap. Nobody available: the conversation stays with the team,
    unassigned (None). Returns the assignee."""
    from .conversations import conversation_assign

    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("team")
            .filter(pk=conversation_id, merged_into=None)
            .first()
        )
        if conversation is None or conversation.assignee_id or conversation.team_id is None:
            return None
        team = conversation.team
        if not (team.active and team.auto_assign):
            return None
        agents = list(
            InboxAgent.objects.select_for_update(of=("self",))
            .filter(
                user__in=team.members.values("pk"),
                available=True,
                user__is_active=True,
                user__is_staff=True,
                user__audience=Audience.STAFF,
            )
            .select_related("user")
            .order_by("pk")
        )
        if not agents:
            return None
        open_counts = dict(
            Conversation.objects.filter(
                assignee__in=[agent.user_id for agent in agents], status__in=OPEN_STATUSES, merged_into=None
            )
            .values("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        below_cap = [agent for agent in agents if open_counts.get(agent.user_id, 0) < agent.max_open]
        if not below_cap:
            return None
        # Never assigned first, then the longest ago; the primary key breaks ties so the order is stable.
        chosen = min(
            below_cap, key=lambda a: (a.last_assigned_at is not None, a.last_assigned_at or timezone.now(), str(a.pk))
        )
        chosen.last_assigned_at = timezone.now()
        chosen.save(update_fields=["last_assigned_at", "updated_at"])
        conversation_assign(conversation_id=conversation.pk, assignee=chosen.user, team_id=team.pk)
        return chosen.user


def agent_availability_set(*, user: User, available: bool | None = None) -> InboxAgent:
    """Mark a staff user available (or not) for auto-assignment; None toggles. Creates their InboxAgent row on
    first use. The row is locked, so a toggle racing an assignment waits for it."""
    with transaction.atomic():
        agent, _created = InboxAgent.objects.get_or_create(user=user)
        agent = InboxAgent.objects.select_for_update().get(pk=agent.pk)
        agent.available = (not agent.available) if available is None else bool(available)
        agent.save(update_fields=["available", "updated_at"])
    return agent


# ---- rules: what they may say ------------------------------------------------------------------------------------


def _uuid(value) -> UUID | None:
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


def _check_value(kind: str, value) -> tuple[object, str]:
    """(the cleaned value, "") or (None, the error) for a condition's or action's value of `kind`."""
    text = str(value if value is not None else "").strip()
    if kind in ("channel", "label", "team", "canned_reply", "agent"):
        pk = _uuid(text)
        model = {"channel": Channel, "label": Label, "team": InboxTeam, "canned_reply": CannedReply}.get(kind)
        if kind == "agent":
            found = pk and User.objects.filter(pk=pk, is_active=True, is_staff=True, audience=Audience.STAFF).exists()
        elif kind == "team":
            found = pk and InboxTeam.objects.filter(pk=pk, active=True).exists()
        else:
            found = pk and model.objects.filter(pk=pk).exists()
        if not found:
            names = {
                "channel": _("channel"),
                "label": _("label"),
                "team": _("active team"),
                "canned_reply": _("canned reply"),
                "agent": _("active staff user"),
            }
            return None, _("choose an existing %(what)s") % {"what": names[kind]}
        return str(pk), ""
    choices = {
        "channel_kind": ChannelKind.values,
        "account_kind": [*AccountKind.values, "none"],
        "open_closed": ["open", "closed"],
        "priority": ConversationPriority.values,
    }
    if kind in choices:
        if text not in choices[kind]:
            return None, _("choose one of %(v)s") % {"v": ", ".join(choices[kind])}
        return text, ""
    if kind == "domain":
        domain = text.lower().lstrip("@")
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
            return None, _("write a domain such as example.com")
        return domain, ""
    if kind == "text":
        if not text:
            return None, _("write the text to look for")
        return text[:500], ""
    if kind == "hours":
        try:
            hours = int(text)
        except ValueError:
            hours = 0
        if not 1 <= hours <= SNOOZE_MAX_HOURS:
            return None, _("a whole number of hours from 1 to %(max)s") % {"max": SNOOZE_MAX_HOURS}
        return hours, ""
    return None, ""  # "none"


def rule_validate(*, conditions, actions) -> tuple[list[dict], list[dict]]:
    """The cleaned conditions and actions, or ValidationError({"conditions": [...], "actions": [...]}) with one
    message per bad row naming the row, its part and what is wrong."""
    errors: dict[str, list[str]] = {}
    clean_conditions, clean_actions = [], []
    if not isinstance(conditions, list):
        errors["conditions"] = [_("Conditions must be a list.")]
        conditions = []
    for number, row in enumerate(conditions, 1):
        row = row if isinstance(row, dict) else {}
        name = row.get("field")
        if name not in CONDITION_FIELDS:
            message = _("Condition %(n)s, field: choose one of %(v)s.") % {
                "n": number,
                "v": ", ".join(CONDITION_FIELDS),
            }
            errors.setdefault("conditions", []).append(message)
            continue
        operators, kind = CONDITION_FIELDS[name]
        operator = row.get("operator") or operators[0]
        if operator not in operators:
            message = _("Condition %(n)s, operator: choose one of %(v)s.") % {"n": number, "v": ", ".join(operators)}
            errors.setdefault("conditions", []).append(message)
            continue
        value, error = _check_value(kind, row.get("value"))
        if error:
            errors.setdefault("conditions", []).append(_("Condition %(n)s, value: %(e)s.") % {"n": number, "e": error})
            continue
        clean_conditions.append({"field": name, "operator": operator, "value": value})
    if not isinstance(actions, list):
        errors["actions"] = [_("Actions must be a list.")]
        actions = []
    if not actions and "actions" not in errors:
        errors["actions"] = [_("Add at least one action.")]
    for number, row in enumerate(actions, 1):
        row = row if isinstance(row, dict) else {}
        name = row.get("action")
        if name not in ACTIONS:
            message = _("Action %(n)s, action: choose one of %(v)s.") % {"n": number, "v": ", ".join(ACTIONS)}
            errors.setdefault("actions", []).append(message)
            continue
        value, error = _check_value(ACTIONS[name], row.get("value"))
        if error:
            errors.setdefault("actions", []).append(_("Action %(n)s, value: %(e)s.") % {"n": number, "e": error})
            continue
        clean_actions.append({"action": name, "value": value} if ACTIONS[name] != "none" else {"action": name})
    if errors:
        raise ValidationError(errors)
    return clean_conditions, clean_actions


def _rule_fill(rule: Rule, *, name, event, match, conditions, actions, active) -> Rule:
    rule.name, rule.event, rule.match, rule.active = (name or "").strip(), event, match or RuleMatch.ALL, active
    errors = {}
    try:
        rule.conditions, rule.actions = rule_validate(conditions=conditions, actions=actions)
    except ValidationError as exc:
        errors = exc.message_dict
    try:
        rule.full_clean(exclude=["conditions", "actions", "position"], validate_constraints=False)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if rule.name and Rule.objects.filter(name__iexact=rule.name).exclude(pk=rule.pk).exists():
        errors.setdefault("name", []).append(_("A rule with this name exists."))
    if errors:
        raise ValidationError(errors)
    return rule


def _rule_save(rule: Rule) -> None:
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:  # the same name saved by someone else a moment ago: the constraint decides
        raise ValidationError({"name": [_("A rule with this name exists.")]}) from None


def rule_create(
    *, name: str, event: str, conditions: list, actions: list, match: str = RuleMatch.ALL, active: bool = True
) -> Rule:
    """A new rule, last of its event. ValidationError names the bad field (or the bad condition/action row)."""
    with transaction.atomic():
        rule = _rule_fill(
            Rule(), name=name, event=event, match=match, conditions=conditions, actions=actions, active=active
        )
        last = Rule.objects.filter(event=rule.event).order_by("-position").values_list("position", flat=True).first()
        rule.position = (last or 0) + 10
        _rule_save(rule)
    return rule


def rule_update(
    *, rule_id: UUID, name: str, event: str, conditions: list, actions: list, match: str, active: bool
) -> Rule:
    """Change a rule (locked). Moving it to another event puts it last there."""
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule_id)
        old_event = rule.event
        _rule_fill(rule, name=name, event=event, match=match, conditions=conditions, actions=actions, active=active)
        if rule.event != old_event:
            last = Rule.objects.filter(event=rule.event).order_by("-position").values_list("position", flat=True)
            rule.position = (last.first() or 0) + 10
        _rule_save(rule)
    return rule


def rule_set_active(*, rule_id: UUID, active: bool) -> Rule:
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule_id)
        if rule.active != active:
            rule.active = active
            rule.save(update_fields=["active", "updated_at"])
    return rule


def rule_delete(*, rule_id: UUID) -> None:
    Rule.objects.filter(pk=rule_id).delete()


def rule_reorder(*, event: str, rule_ids: list) -> list[Rule]:
    """Put the rules of `event` in the order given (every one of them, once): positions 10, 20, ... Locks them."""
    if event not in RuleEvent.values:
        raise ValidationError({"event": [_("Unknown event %(e)s.") % {"e": event}]})
    ids = [_uuid(value) for value in rule_ids]
    with transaction.atomic():
        rules = {rule.pk: rule for rule in Rule.objects.select_for_update().filter(event=event).order_by("pk")}
        if None in ids or len(set(ids)) != len(ids) or set(ids) != set(rules):
            raise ValidationError({"rules": [_("Give every rule of this event once, in the new order.")]})
        for position, pk in enumerate(ids, 1):
            rules[pk].position = position * 10
        Rule.objects.bulk_update(rules.values(), ["position"])
    return [rules[pk] for pk in ids]


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


def _fill_placeholders(text: str, conversation: Conversation) -> str:
    contact = conversation.contact
    values = {
        "contact.first_name": contact.first_name,
        "contact.last_name": contact.last_name,
        "contact.name": f"{contact.first_name} {contact.last_name}".strip(),
        "contact.full_name": f"{contact.first_name} {contact.last_name}".strip(),
        "conversation.number": conversation.number,
    }
    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", lambda m: str(values.get(m.group(1), "")), text)


def _automated_send(conversation: Conversation, body: str, purpose: str, metadata: dict | None = None) -> Message:
    """An outbound message from the system (no author) through reply_send; it never counts as the first reply."""
    from .inbox import reply_send

    first_reply_at = Conversation.objects.filter(pk=conversation.pk).values_list("first_reply_at", flat=True)[0]
    message = reply_send(
        conversation_id=conversation.pk, author=None, body=body, metadata={"automated": purpose, **(metadata or {})}
    )
    if first_reply_at is None:
        Conversation.objects.filter(pk=conversation.pk).update(first_reply_at=None)
    return message


def _run_action(action: dict, context: _Context) -> str:
    """Do one action; returns what it did, for the activity line. ValidationError / DomainError propagate."""
    from .conversations import conversation_assign, conversation_labels_change, conversation_status_set

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
    from .inbox import activity_add

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


def auto_reply_text(channel) -> str:
    """The channel's business-hours auto-reply: config "auto_reply" as text (empty: none), as the API and the
    console set it, or {"enabled", "text"}."""
    value = (channel.config or {}).get("auto_reply") or ""
    if isinstance(value, dict):
        value = value.get("text") if value.get("enabled") else ""
    return str(value or "").strip()


def _auto_reply(conversation: Conversation, message: Message) -> Message | None:
    """Outside the channel's business hours, the channel's auto-reply, once per conversation and closed period
    (AutomatedMessage's unique key: the next opening time); never to an automatic message."""
    channel = conversation.channel
    text = auto_reply_text(channel)
    if not text or message_do_not_answer(message):
        return None
    at = message.created_at or timezone.now()
    if business_hours_open(channel, at):
        return None
    claim = AutomatedMessage(conversation=conversation, purpose=AutomatedPurpose.AUTO_REPLY)
    claim.key = closed_period_key(channel, at)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        return None  # answered once in this closed period
    claim.message = _automated_send(conversation, _fill_placeholders(text, conversation), AutomatedPurpose.AUTO_REPLY)
    claim.save(update_fields=["message"])
    return claim.message


def inbound_automate(*, message: Message, conversation: Conversation, conversation_created: bool) -> None:
    """After inbound_receive stored a new customer message (inside its transaction): conversation_created rules
    and the channel team's round-robin for a new conversation, message_received rules, then the business-hours
    auto-reply. In a savepoint: whatever fails is logged and undone alone, the message stays stored. With no
    active rule, no team to assign and no auto-reply configured, it costs one query (the rules)."""
    events = [RuleEvent.MESSAGE_RECEIVED, *([RuleEvent.CONVERSATION_CREATED] if conversation_created else [])]
    rules = list(Rule.objects.filter(active=True, event__in=events).order_by("position", "name"))
    auto_reply = bool(auto_reply_text(message.channel))
    if not (rules or auto_reply or (conversation_created and conversation.team_id)):
        return
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_related("channel", "contact", "account").get(pk=conversation.pk)
            context = _Context(conversation=conversation, message=message, at=message.created_at or timezone.now())
            if conversation_created:
                _rules_run(RuleEvent.CONVERSATION_CREATED, rules, context)
                conversation_auto_assign(conversation_id=conversation.pk)
            _rules_run(RuleEvent.MESSAGE_RECEIVED, rules, context)
            if auto_reply:
                conversation.refresh_from_db()
                if conversation.status != ConversationStatus.RESOLVED:
                    _auto_reply(conversation, message)
    except Exception:
        logger.exception("inbox automation failed for message %s; the message is kept", message.pk)


# ---- satisfaction survey -----------------------------------------------------------------------------------------


def csat_token(claim: AutomatedMessage) -> str:
    """The signed, timestamped token of a survey link (the survey's id; tampering gives BadSignature)."""
    return signing.TimestampSigner(salt=CSAT_SALT).sign(claim.pk.hex)


def csat_survey_for_token(token: str) -> AutomatedMessage:
    """The survey a link names. signing.SignatureExpired past CSAT_MAX_AGE, signing.BadSignature when tampered
    or unknown."""
    value = signing.TimestampSigner(salt=CSAT_SALT).unsign(token, max_age=CSAT_MAX_AGE)
    survey = (
        AutomatedMessage.objects.select_related("conversation", "conversation__channel")
        .filter(pk=_uuid(value), purpose=AutomatedPurpose.CSAT)
        .first()
    )
    if survey is None:
        raise signing.BadSignature("no such survey")
    return survey


def _csat_wanted(conversation: Conversation) -> bool:
    csat = (conversation.channel.config or {}).get("csat") or {}
    if csat.get("enabled") is False or not conversation.channel.active:
        return False
    # Only a person who wrote gets a survey: not a conversation of auto-replies and bounces alone.
    inbound = Message.objects.filter(
        conversation=conversation, kind=MessageKind.MESSAGE, direction=MessageDirection.INBOUND
    ).values_list("metadata", flat=True)
    return any(not any((metadata or {}).get(key) for key in DO_NOT_ANSWER) for metadata in inbound.iterator())


def csat_survey_send(*, conversation: Conversation) -> Message | None:
    """After a resolution (inside conversation_status_set's transaction): the survey link on the conversation's
    channel, once per resolution (AutomatedMessage keyed by resolved_at), unless the channel's config says
    csat.enabled false or nobody but machines wrote. The assignee and team at this moment are kept with the survey
    (the answer is theirs). Failures (a channel refusing the message) are logged, never undo the resolution."""
    from omni.hosts import portal_url

    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_related("channel", "contact").get(pk=conversation.pk)
            if conversation.resolved_at is None or not _csat_wanted(conversation):
                return None
            claim = AutomatedMessage(
                conversation=conversation, purpose=AutomatedPurpose.CSAT, key=conversation.resolved_at.isoformat()
            )
            claim.data = {
                "agent": str(conversation.assignee_id) if conversation.assignee_id else None,
                "team": str(conversation.team_id) if conversation.team_id else None,
                "resolved_at": conversation.resolved_at.isoformat(),
            }
            try:
                with transaction.atomic():
                    claim.save()
            except IntegrityError:
                return None
            url = portal_url(Audience.STAFF, "hooks:csat", token=csat_token(claim))
            text = str(((conversation.channel.config or {}).get("csat") or {}).get("text") or "").strip()
            text = text or _("How did we do? Please rate your conversation %(n)s from 1 to 5:") % {
                "n": conversation.number
            }
            body = f"{_fill_placeholders(text, conversation)}\n{url}"
            claim.message = _automated_send(conversation, body, AutomatedPurpose.CSAT, {"csat_url": url})
            claim.save(update_fields=["message"])
            return claim.message
    except Exception:
        logger.exception("satisfaction survey not sent for conversation %s", conversation.pk)
        return None


def csat_answer(*, survey: AutomatedMessage, rating, comment: str = "") -> tuple[CsatResponse, bool]:
    """Store the customer's answer to a survey: once per conversation and resolution. A second answer changes
    nothing and returns the first with created=False. ValidationError names `rating` (1-5) or `comment`."""
    try:
        rating = int(str(rating).strip())
    except ValueError:
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Choose a rating from 1 to 5.")]})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": [_("Keep the comment under 2000 characters.")]})
    data = survey.data or {}
    resolved_at = datetime.fromisoformat(data.get("resolved_at") or survey.key)
    agent_id = data.get("agent")
    if agent_id and not User.objects.filter(pk=agent_id).exists():
        agent_id = None  # the agent's account was deleted since
    team_id = data.get("team")
    if team_id and not InboxTeam.objects.filter(pk=team_id).exists():
        team_id = None
    existing = CsatResponse.objects.filter(conversation_id=survey.conversation_id, resolved_at=resolved_at).first()
    if existing is not None:
        return existing, False
    response = CsatResponse(
        conversation_id=survey.conversation_id,
        resolved_at=resolved_at,
        agent_id=agent_id,
        team_id=team_id,
        rating=rating,
        comment=comment,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the same answer posted twice at once: the constraint decides
        return CsatResponse.objects.get(conversation_id=survey.conversation_id, resolved_at=resolved_at), False
    return response, True
