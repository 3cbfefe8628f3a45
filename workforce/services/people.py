"""Writes to skills, technicians, territories, memberships, shifts and time off. Creates and edits call
full_clean(), so a broken rule is a ValidationError keyed by field (400)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.models import User
from omni.services import fields_set

from ..choices import TimeOffStatus
from ..models import (
    ServiceTerritory,
    Shift,
    ShiftPattern,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
)


def _save(record, fields: dict | None = None):
    if fields:
        fields_set(record, fields)
    record.full_clean()
    record.save()
    return record


def skill_create(**fields) -> Skill:
    return _save(Skill(**fields))


def skill_update(*, skill_id, **fields) -> Skill:
    return _save(Skill.objects.get(pk=skill_id), fields)


@transaction.atomic
def technician_create(*, skills: list[dict] | None = None, **fields) -> Technician:
    """A technician; `skills` are [{"skill": Skill, "level": 3, "certified_until": date | None}]."""
    technician = _save(Technician(**fields))
    if skills is not None:
        technician_skills_set(technician_id=technician.pk, skills=skills)
    return technician


@transaction.atomic
def technician_update(*, technician_id, skills: list[dict] | None = None, **fields) -> Technician:
    technician = _save(Technician.objects.select_for_update().get(pk=technician_id), fields)
    if skills is not None:
        technician_skills_set(technician_id=technician.pk, skills=skills)
    return technician


@transaction.atomic
def technician_skills_set(*, technician_id, skills: list[dict]) -> None:
    """Replaces the technician's skills with `skills` (one row per skill; a repeated skill is a 400)."""
    seen = [entry["skill"].pk for entry in skills]
    if len(seen) != len(set(seen)):
        raise ValidationError({"skills": [_("A skill is listed twice.")]})
    TechnicianSkill.objects.filter(technician_id=technician_id).exclude(skill_id__in=seen).delete()
    for entry in skills:
        row = TechnicianSkill.objects.filter(technician_id=technician_id, skill=entry["skill"]).first()
        row = row or TechnicianSkill(technician_id=technician_id, skill=entry["skill"])
        row.level = entry.get("level", 1)
        row.certified_until = entry.get("certified_until")
        try:
            row.full_clean()
        except ValidationError as exc:
            raise ValidationError({"skills": exc.messages}) from exc
        row.save()


def territory_create(**fields) -> ServiceTerritory:
    return _save(ServiceTerritory(**fields))


def territory_update(*, territory_id, **fields) -> ServiceTerritory:
    return _save(ServiceTerritory.objects.get(pk=territory_id), fields)


def membership_create(**fields) -> TerritoryMembership:
    """A membership; a second primary territory over the same dates is a 400 on `valid` (the exclusion
    constraint, checked by full_clean; a racing writer meets the constraint itself)."""
    return _save(TerritoryMembership(**fields))


def membership_update(*, membership_id, **fields) -> TerritoryMembership:
    return _save(TerritoryMembership.objects.get(pk=membership_id), fields)


def shift_pattern_create(**fields) -> ShiftPattern:
    pattern = ShiftPattern(**fields)
    _pattern_check(pattern)
    return _save(pattern)


def _pattern_check(pattern: ShiftPattern) -> None:
    if pattern.rrule:
        try:
            rrulestr(pattern.rrule, dtstart=datetime(2000, 1, 3))
        except (ValueError, TypeError) as exc:
            raise ValidationError({"rrule": [_("Not a valid RRULE: %(e)s") % {"e": exc}]}) from exc
    elif not _weekdays(pattern.weekdays):
        raise ValidationError({"weekdays": [_("Give weekdays (0 = Monday … 6 = Sunday) or an RRULE.")]})


def _weekdays(text: str) -> set[int]:
    try:
        days = {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        return set()
    return days if days <= set(range(7)) else set()


def _occurrences(pattern: ShiftPattern, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The pattern's shifts starting between `first` and `last` (inclusive), as aware datetimes."""
    zone = ZoneInfo(pattern.time_zone)
    length = datetime.combine(first, pattern.end) - datetime.combine(first, pattern.start)
    if pattern.rrule:
        rule = rrulestr(pattern.rrule, dtstart=datetime.combine(first, pattern.start))
        starts = rule.between(datetime.combine(first, time.min), datetime.combine(last, time.max), inc=True)
    else:
        days = _weekdays(pattern.weekdays)
        starts = [
            datetime.combine(first + timedelta(days=n), pattern.start)
            for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() in days
        ]
    return [(start.replace(tzinfo=zone), (start + length).replace(tzinfo=zone)) for start in starts]


_SHIFT_INSERT = """
INSERT INTO workforce_shift (id, created_at, updated_at, technician_id, pattern_id, during, kind)
SELECT gen_random_uuid(), now(), now(), s.technician, s.pattern, tstzrange(s.lower, s.upper, '[)'), s.kind
FROM unnest(%s::uuid[], %s::uuid[], %s::timestamptz[], %s::timestamptz[], %s::text[])
     AS s(technician, pattern, lower, upper, kind)
WHERE NOT EXISTS (
    SELECT 1 FROM workforce_shift x
    WHERE x.technician_id = s.technician AND x.during && tstzrange(s.lower, s.upper, '[)')
)
"""


@transaction.atomic
def shifts_generate(*, weeks: int = 4, start: date | None = None, technician_ids=None) -> int:
    """Shifts from the active patterns for `weeks` weeks from `start` (today), in one INSERT. Idempotent: a shift
    is only added where the technician has none overlapping it, so running it twice adds nothing. Serialised by
    an advisory lock (two runs at once would otherwise race on the no-overlap constraint). Returns the count."""
    first = start or timezone.localdate()
    last = first + timedelta(weeks=weeks) - timedelta(days=1)
    patterns = ShiftPattern.objects.filter(active=True, technician__active=True)
    if technician_ids is not None:
        patterns = patterns.filter(technician_id__in=technician_ids)
    rows = [
        (str(p.technician_id), str(p.pk), lower, upper, p.kind)
        for p in patterns
        for lower, upper in _occurrences(p, first, last)
    ]
    if not rows:
        return 0
    rows.sort(key=lambda row: row[2])  # within one batch, an earlier pattern's shift wins an overlap
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('workforce_shifts_generate'))")
        inserted = 0
        # one statement per pass keeps overlapping patterns of one technician from colliding inside one INSERT
        for batch in _non_overlapping_batches(rows):
            cursor.execute(_SHIFT_INSERT, [list(column) for column in zip(*batch, strict=True)])
            inserted += cursor.rowcount
    return inserted


def _non_overlapping_batches(rows: list[tuple]) -> list[list[tuple]]:
    """Splits rows so no batch holds two overlapping shifts of one technician (usually a single batch)."""
    batches: list[list[tuple]] = []
    ends: list[dict] = []
    for row in rows:
        for batch, last_end in zip(batches, ends, strict=True):
            if last_end.get(row[0]) is None or last_end[row[0]] <= row[2]:
                batch.append(row)
                last_end[row[0]] = row[3]
                break
        else:
            batches.append([row])
            ends.append({row[0]: row[3]})
    return batches


def shift_create(*, technician: Technician, start: datetime, end: datetime, kind: str = "regular") -> Shift:
    if end <= start:
        raise ValidationError({"end": [_("A shift ends after it starts.")]})
    return _save(Shift(technician=technician, during=DateTimeTZRange(start, end, "[)"), kind=kind))


def time_off_request(*, technician: Technician, start: datetime, end: datetime, reason: str = "") -> TimeOff:
    if end <= start:
        raise ValidationError({"end": [_("Time off ends after it starts.")]})
    return _save(TimeOff(technician=technician, during=DateTimeTZRange(start, end, "[)"), reason=reason))


@transaction.atomic
def time_off_decide(*, time_off_id, approve: bool, by: User | None = None) -> TimeOff:
    """Approves or rejects a request; deciding the same way twice is a no-op."""
    time_off = TimeOff.objects.select_for_update().get(pk=time_off_id)
    status = TimeOffStatus.APPROVED if approve else TimeOffStatus.REJECTED
    if time_off.status != status:
        time_off.status, time_off.decided_by = status, by
        time_off.save(update_fields=["status", "decided_by", "updated_at"])
    return time_off
