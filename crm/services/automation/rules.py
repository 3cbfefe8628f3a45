"""Automation rules, written: what a rule may say (`rule_validate` checks each condition's and action's field,
operator and value, naming the bad row) and saving them (`rule_create`, `rule_update`, `rule_set_active`,
`rule_delete`, `rule_reorder`). Running them is evaluation.py's."""

from __future__ import annotations

import re
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.models import User

from ...choices import ACTIONS, CONDITION_FIELDS, AccountKind, ChannelKind, ConversationPriority, RuleEvent, RuleMatch
from ...models import CannedReply, Channel, InboxTeam, Label, Rule
from .common import _uuid

SNOOZE_MAX_HOURS = 24 * 30


# ---- rules: what they may say ------------------------------------------------------------------------------------


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
