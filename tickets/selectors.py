"""Reads of tickets' data, one selector per audience (STYLE.md section 4). Out of scope is none(): a 404
upstream."""

import zoneinfo
from collections.abc import Iterable
from uuid import UUID

from django.db.models import Prefetch, QuerySet

from omni.choices import Audience
from omni.models import User

from .business_time import CalendarSpec
from .choices import ConditionField
from .models import BusinessCalendar, BusinessHours, EscalationRule, Holiday, SLACondition, SLAPolicy, SLATarget

CALENDAR_FIELDS = ("id", "name", "time_zone", "country", "ical_url", "ical_synced_at", "created_at", "updated_at")


def _calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related(
        Prefetch("hours", queryset=BusinessHours.objects.order_by("weekday", "start")),
        Prefetch("holidays", queryset=Holiday.objects.order_by("date")),
    )


def calendar_list_for_staff(*, user: User) -> QuerySet[BusinessCalendar]:
    return _calendars()


def calendar_list_visible_to(*, user: User) -> QuerySet[BusinessCalendar]:
    """Active staff see every calendar (their role's view_businesscalendar is checked by the API and the
    admin); portal users none."""
    if not (user.is_authenticated and user.is_active):
        return BusinessCalendar.objects.none()
    if user.audience == Audience.STAFF and not user.is_staff:
        return BusinessCalendar.objects.none()  # staff access switched off
    selector = {Audience.STAFF: calendar_list_for_staff}.get(user.audience)
    return selector(user=user) if selector else BusinessCalendar.objects.none()


def sla_policy_list_visible_to(*, user: User) -> QuerySet[SLAPolicy]:
    """Active staff see every policy with its conditions, targets and escalation rules (view_slapolicy is checked
    by the API); portal users none."""
    if not (user.is_authenticated and user.is_active and user.audience == Audience.STAFF and user.is_staff):
        return SLAPolicy.objects.none()
    return SLAPolicy.objects.select_related("calendar").prefetch_related(
        Prefetch("conditions", queryset=SLACondition.objects.order_by("field")),
        Prefetch("targets", queryset=SLATarget.objects.order_by("metric")),
        Prefetch("escalations", queryset=EscalationRule.objects.order_by("metric", "level", "kind")),
    )


def calendar_spec(*, calendar_id: UUID) -> CalendarSpec:
    """The calendar as business_time computes with it, in three queries (the calendar, its hours, its holidays)
    whatever their number. BusinessCalendar.DoesNotExist when there is none."""
    calendar = BusinessCalendar.objects.only("time_zone").get(pk=calendar_id)
    ranges: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for weekday, start, end in BusinessHours.objects.filter(calendar_id=calendar_id).values_list(
        "weekday", "start", "end"
    ):
        end_minute = end.hour * 60 + end.minute or 24 * 60  # an end of 00:00 is the day's end
        ranges[weekday].append((start.hour * 60 + start.minute, end_minute))
    holidays = Holiday.objects.filter(calendar_id=calendar_id).values_list("date", flat=True)
    return CalendarSpec(
        zone=zoneinfo.ZoneInfo(calendar.time_zone),
        hours={day: tuple(sorted(day_ranges)) for day, day_ranges in ranges.items()},
        holidays=frozenset(holidays),
    )


def _condition_matches(condition: SLACondition, facts: dict[str, set[str]]) -> bool:
    return bool(set(condition.values) & facts[condition.field])


def sla_policy_for(
    *, priority: str, category: str = "", channel: str = "", account_kind: str = "", tags: Iterable[str] = ()
) -> SLAPolicy | None:
    """The SLA policy a ticket with these attributes gets: the first active policy by position whose conditions
    all match (a condition matches when the ticket's value, or one of its tags, is among its values; category and
    tags compare case-insensitively); None when none does. Two queries (policies, their conditions) whatever
    their number."""
    facts = {
        ConditionField.PRIORITY: {priority},
        ConditionField.CATEGORY: {category.strip().lower()},
        ConditionField.CHANNEL: {channel},
        ConditionField.ACCOUNT_KIND: {account_kind},
        ConditionField.TAG: {tag.strip().lower() for tag in tags},
    }
    policies = SLAPolicy.objects.filter(active=True).select_related("calendar").prefetch_related("conditions")
    for policy in policies.order_by("position"):
        if all(_condition_matches(condition, facts) for condition in policy.conditions.all()):
            return policy
    return None
