"""Reads of inbox automation: the rules in order (staff console), and satisfaction results per agent and team over a
date range (the reports' CSAT chart)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from ..models import CsatResponse, Rule

__all__ = ["csat_results", "rules_in_order"]

SATISFIED = Q(rating__gte=4)  # 4 and 5 of 5: "satisfied"


def rules_in_order() -> QuerySet[Rule]:
    """Every rule, by event then position (the order they run in)."""
    return Rule.objects.order_by("event", "position", "name")


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
