"""Reads of inbox automation: the rules in order (staff console), and satisfaction results per agent and team over a
date range (the reports' CSAT chart)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from omni.models import User

from ..choices import ACTIONS, CONDITION_FIELDS, AccountKind, ChannelKind, ConversationPriority
from ..models import CannedReply, Channel, CsatResponse, InboxTeam, Label, Rule

__all__ = ["csat_results", "rule_rows", "rules_in_order"]

SATISFIED = Q(rating__gte=4)  # 4 and 5 of 5: "satisfied"


def rules_in_order() -> QuerySet[Rule]:
    """Every rule, by event then position (the order they run in)."""
    return Rule.objects.order_by("event", "position", "name")


# Which model names a condition's or action's value (crm.services.automation: CONDITION_FIELDS, ACTIONS).
_REFERENCED = {
    "channel": (Channel, "name"),
    "label": (Label, "name"),
    "team": (InboxTeam, "name"),
    "agent": (User, "email"),
    "canned_reply": (CannedReply, "shortcode"),
}


def rule_rows(rules) -> list[dict]:
    """Each rule with its conditions and actions as (label, operator, value shown) for people: the ids they name
    are looked up once per kind of row (at most five queries, however many rules)."""
    rules = list(rules)
    wanted: dict[str, set] = {}
    for rule in rules:
        for condition in rule.conditions:
            kind = CONDITION_FIELDS.get(condition.get("field"), ((), ""))[1]
            if kind in _REFERENCED:
                wanted.setdefault(kind, set()).add(condition.get("value"))
        for action in rule.actions:
            kind = ACTIONS.get(action.get("action"), "")
            if kind in _REFERENCED:
                wanted.setdefault(kind, set()).add(action.get("value"))
    names = {}
    for kind, ids in wanted.items():
        model, attribute = _REFERENCED[kind]
        names[kind] = {str(pk): str(name) for pk, name in model.objects.filter(pk__in=ids).values_list("pk", attribute)}
    labels = {
        **dict(ChannelKind.choices),
        **dict(AccountKind.choices),
        **dict(ConversationPriority.choices),
    }

    def shown(kind: str, value) -> str:
        if kind in _REFERENCED:
            return names.get(kind, {}).get(str(value), "?")
        return str(labels.get(value, value)) if value is not None else ""

    return [
        {
            "rule": rule,
            "conditions": [
                (c["field"], c["operator"], shown(CONDITION_FIELDS.get(c["field"], ((), ""))[1], c.get("value")))
                for c in rule.conditions
            ],
            "actions": [(a["action"], shown(ACTIONS.get(a["action"], ""), a.get("value"))) for a in rule.actions],
        }
        for rule in rules
    ]


def _summary(row: dict) -> dict:
    count = row["count"]
    return {
        "count": count,
        "average": round(float(row["average"]), 2) if count else None,
        "satisfied_pct": round(100.0 * row["satisfied"] / count, 1) if count else None,
    }


def csat_results(*, since: date, until: date) -> dict:
    """Satisfaction answers given from `since` to `until` (local dates of TIME_ZONE, both included): overall, per
    agent and per team, each {count, average (1-5), satisfied_pct (share of 4-5 ratings)}. Three grouped queries.
    Agents and teams are those of the conversation when it was resolved; None groups answers without one.
    {"overall": {...}, "agents": [{"agent", "name", "email", ...}], "teams": [{"team", "name", ...}]}"""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    answers = CsatResponse.objects.filter(created_at__gte=start, created_at__lt=end)
    measures = {"count": Count("pk"), "average": Avg("rating"), "satisfied": Count("pk", filter=SATISFIED)}
    overall = _summary(answers.aggregate(**measures))
    agents = [
        {
            "agent": row["agent"],
            "name": row["agent__full_name"] or row["agent__email"],
            "email": row["agent__email"],
            **_summary(row),
        }
        for row in answers.values("agent", "agent__full_name", "agent__email")
        .annotate(**measures)
        .order_by("agent__email")
    ]
    teams = [
        {"team": row["team"], "name": row["team__name"], **_summary(row)}
        for row in answers.values("team", "team__name").annotate(**measures).order_by("team__name")
    ]
    return {"overall": overall, "agents": agents, "teams": teams}
