from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from omni.api.renderers import OrjsonRenderer
from omni.choices import Audience
from omni.db import fetch_prepared
from omni.models import User

from .choices import TerritoryRule
from .models import SchedulingPolicy, Technician, Vendor, VendorUser, WorkOrder


def vendor_list_visible_to(*, user: User) -> QuerySet[Vendor]:
    """Active staff (is_staff) see every vendor; a vendor user only their own; anyone else none."""
    if not (user.is_authenticated and user.is_active):
        return Vendor.objects.none()
    audience = getattr(user, "audience", None)
    if audience == Audience.STAFF and user.is_staff:
        return Vendor.objects.all()
    if audience == Audience.VENDOR:
        return Vendor.objects.filter(portal_users__user=user)
    return Vendor.objects.none()


def vendor_of(*, user: User) -> Vendor | None:
    return vendor_list_visible_to(user=user).first() if getattr(user, "audience", None) == Audience.VENDOR else None


def vendor_list_with_counts(*, user: User) -> QuerySet[Vendor]:
    """The vendors a user sees, each with `portal_user_count` (a subquery: one query for any number of rows)."""
    users = VendorUser.objects.filter(vendor=OuterRef("pk")).order_by().values("vendor").annotate(n=Count("pk"))
    return vendor_list_visible_to(user=user).annotate(
        portal_user_count=Coalesce(Subquery(users.values("n"), output_field=IntegerField()), 0)
    )


def vendor_portal_users(*, vendor: Vendor) -> QuerySet[VendorUser]:
    return VendorUser.objects.filter(vendor=vendor).select_related("user").order_by("user__email")


# --- work orders -----------------------------------------------------------------------------------------------

WORK_ORDER_FIELDS = (
    "id", "number", "account", "work_type", "priority", "status", "earliest_start", "due_by", "window_start",
    "window_end", "duration_minutes", "pinned", "ticket", "created_at", "updated_at",
)  # fmt: skip


def as_json(data):
    """`data` as the API renders it (UUIDs and times as text)."""
    return orjson.loads(OrjsonRenderer().render(data))


def work_order_payloads(work_order_ids) -> dict[str, dict]:
    """work_order_payload of many work orders in one query, keyed by id (as text)."""
    columns = [WorkOrder._meta.get_field(name).attname for name in WORK_ORDER_FIELDS]
    payloads = {}
    for row in WorkOrder.objects.filter(pk__in=list(work_order_ids)).values(*columns, "location"):
        data = {name: row[WorkOrder._meta.get_field(name).attname] for name in WORK_ORDER_FIELDS}
        data["location"] = list(row["location"].coords)
        payloads[str(row["id"])] = as_json(data)
    return payloads


def work_order_payload(work_order_id) -> dict:
    """The work order as staff see it: the payload of workforce.work_order.* events (location as [lon, lat])."""
    payloads = work_order_payloads([work_order_id])
    if not payloads:
        raise WorkOrder.DoesNotExist(work_order_id)
    return payloads[str(work_order_id)]


# --- candidates (DOMAIN.md C.4.1) ------------------------------------------------------------------------------
# One statement, assembled from the policy's switches (each variant is a fixed text, so PostgreSQL plans it for
# what it is), prepared on its connection (omni.db.fetch_prepared: planning it cost more than running it). Driven
# from the most selective side: the territories covering the work order (their GiST index) -> the memberships of
# those territories around the day (index-only, workforce_membership_members) -> their required skills (index-only
# probes, before any technician row is read) -> those technicians, by key -> skills exactly, by relational
# division -> shift (one B-tree probe), time off and appointments (GiST range indexes) for the few left. Only a
# soft territory rule starts from every active technician (anyone may pass).

_CANDIDATES_WORK_ORDERS = """
WITH wo0 AS (
    SELECT w.id, w.location,
           CASE WHEN %(start)s::timestamptz IS NOT NULL
                THEN tstzrange(%(start)s::timestamptz,
                               %(start)s::timestamptz + make_interval(mins => w.duration_minutes), '[)')
                WHEN coalesce(w.window_start, w.earliest_start) IS NOT NULL
                  OR coalesce(w.window_end, w.due_by) IS NOT NULL
                THEN tstzrange(coalesce(w.window_start, w.earliest_start), coalesce(w.window_end, w.due_by), '[)')
           END AS span,
           %(start)s::timestamptz IS NOT NULL AS exact
    FROM workforce_workorder w
    WHERE w.id = ANY(%(work_orders)s::uuid[])
),
wo AS MATERIALIZED (
    -- utc_day: the slot's (window's) day in UTC; a technician's own day is within one day of it (around)
    SELECT wo0.*, d.utc_day, daterange(d.utc_day - 1, d.utc_day + 2, '[)') AS around,
           -- the latest start of a shift that may cover the slot (meet the window: [) bounds, microseconds)
           CASE WHEN wo0.exact THEN lower(wo0.span)
                ELSE coalesce(upper(wo0.span) - interval '1 microsecond', 'infinity') END AS shift_by
    FROM wo0, LATERAL (SELECT coalesce((lower(wo0.span) AT TIME ZONE 'UTC')::date, %(today)s::date) AS utc_day) d
),
members AS (
    -- per work order and technician: their memberships' dates in a territory covering the location (relocations
    -- count only inside their dates), and those of the ones that are not secondary (arrays: cheaper than range_agg)
    SELECT wo.id AS work_order_id, m.technician_id,
           array_agg(m.valid) AS days,
           array_agg(m.valid) FILTER (WHERE m.kind <> 'secondary') AS first_days
    FROM wo
    JOIN workforce_serviceterritory st ON ST_Covers(st.geom, wo.location){territory}
    -- NOT isempty(valid * around) is valid && around in a form the GiST index cannot take: the planner, estimating
    -- one overlapping row, would read the territory's members through it and their heap rows (100 members: 127
    -- buffers) instead of index-only from workforce_membership_members (4 buffers)
    JOIN workforce_territorymembership m
      ON m.territory_id = st.id AND NOT isempty(m.valid * wo.around){skills}
    GROUP BY wo.id, m.technician_id
)"""

# the skills first, on the memberships alone: a required skill at level with a certificate valid within a day of
# the UTC day (the technician's own day is checked exactly with their time zone, _CANDIDATES_SKILLS, for the few
# left); index-only probes of (technician, skill) including level and certificate
_CANDIDATES_MEMBER_SKILLS = """
    WHERE NOT EXISTS (
        SELECT 1 FROM workforce_workorderskill r
        WHERE r.work_order_id = wo.id AND NOT EXISTS (
            SELECT 1 FROM workforce_technicianskill ts
            WHERE ts.technician_id = m.technician_id AND ts.skill_id = r.skill_id AND ts.level >= r.min_level
              AND (ts.certified_until IS NULL OR ts.certified_until >= wo.utc_day - 1)
        )
    )"""

_CANDIDATES_HARD_TERRITORY = """
FROM wo
JOIN members c ON c.work_order_id = wo.id
JOIN workforce_technician t ON t.id = c.technician_id AND t.active
CROSS JOIN LATERAL (
    SELECT coalesce((lower(wo.span) AT TIME ZONE t.time_zone)::date, %(today)s::date) AS day
) d
WHERE d.day <@ ANY(c.days)"""

_CANDIDATES_SOFT_TERRITORY = """
FROM wo
JOIN workforce_technician t ON t.active
LEFT JOIN members c ON c.work_order_id = wo.id AND c.technician_id = t.id
CROSS JOIN LATERAL (
    SELECT coalesce((lower(wo.span) AT TIME ZONE t.time_zone)::date, %(today)s::date) AS day
) d
WHERE true"""

_CANDIDATES_SKILLS = """
    -- skills, by relational division: no required skill the technician lacks at level with a valid certificate
    AND NOT EXISTS (
        SELECT 1 FROM workforce_workorderskill r
        WHERE r.work_order_id = wo.id AND NOT EXISTS (
            SELECT 1 FROM workforce_technicianskill ts JOIN workforce_skill s ON s.id = ts.skill_id
            WHERE ts.technician_id = t.id AND ts.skill_id = r.skill_id AND ts.level >= r.min_level
              AND (ts.certified_until >= d.day OR (ts.certified_until IS NULL AND NOT s.requires_certification))
        )
    )"""

_CANDIDATES_SHIFTS = """
    -- a shift covering the slot (meeting the window): shifts never overlap (workforce_shift_no_overlap), so only the
    -- technician's latest shift starting by the slot's start (before the window's end) can; one B-tree probe
    -- (workforce_shift_tech_start; a shift with no start counts as starting at -infinity)
    AND (q.span IS NULL OR EXISTS (
        SELECT 1 FROM (
            SELECT sh.during FROM workforce_shift sh
            WHERE sh.technician_id = q.technician_id
              AND coalesce(lower(sh.during), '-infinity'::timestamptz) <= q.shift_by
            ORDER BY coalesce(lower(sh.during), '-infinity'::timestamptz) DESC, sh.during DESC
            LIMIT 1
        ) latest
        WHERE CASE WHEN q.exact THEN latest.during @> q.span ELSE latest.during && q.span END
    ))"""

_CANDIDATES_AVAILABLE = """
WHERE NOT EXISTS (
        SELECT 1 FROM workforce_workorder_excluded_technicians x
        WHERE x.workorder_id = q.work_order_id AND x.technician_id = q.technician_id
    )
    -- no approved time off or live appointment in the slot (time off not covering the whole window)
    AND (q.span IS NULL OR NOT EXISTS (
        SELECT 1 FROM workforce_timeoff o
        WHERE o.technician_id = q.technician_id AND o.status = 'approved'
          AND CASE WHEN q.exact THEN o.during && q.span ELSE o.during @> q.span END
    ))
    AND (NOT q.exact OR NOT EXISTS (
        SELECT 1 FROM workforce_appointment a
        WHERE a.technician_id = q.technician_id AND a.status <> 'cancelled' AND a.scheduled && q.span
          AND a.work_order_id <> q.work_order_id
    ))"""

_CANDIDATES_RADIUS = """
    AND ST_DWithin(q.home_base::geography, q.location::geography, %(radius_m)s::float)"""

# travel from the home base by the travel model of the smallest territory covering the work order (else its
# defaults, services.travel.DEFAULT_SPEED_KMH and DEFAULT_CIRCUITY): whole seconds, as TravelModel.seconds
_CANDIDATES_MAX_TRAVEL = """
    AND round(ST_Distance(q.home_base::geography, q.location::geography) * coalesce((
            SELECT st.circuity / (st.travel_speed_kmh / 3.6) FROM workforce_serviceterritory st
            WHERE ST_Covers(st.geom, q.location) ORDER BY ST_Area(st.geom), st.code LIMIT 1
        ), 1.3 / (45.0 / 3.6))) <= %(max_travel_s)s"""

# the day's cap (the policy's, or the technician's own when lower): live appointments starting that local day,
# other than this work order's
_CANDIDATES_MAX_JOBS = """
    AND (
        SELECT count(*) FROM workforce_appointment a
        WHERE a.technician_id = q.technician_id AND a.status <> 'cancelled' AND a.work_order_id <> q.work_order_id
          AND a.scheduled && tstzrange(q.day::timestamp AT TIME ZONE q.time_zone,
                                       (q.day + 1)::timestamp AT TIME ZONE q.time_zone, '[)')
          AND (lower(a.scheduled) AT TIME ZONE q.time_zone)::date = q.day
    ) < least(%(max_jobs)s::int, q.max_jobs_per_day)"""

# the driver and the skills first, fenced (OFFSET 0) so that the availability probes run only for the few
# technicians left
_CANDIDATES_SELECT = """
SELECT q.work_order_id, q.technician_id,
       CASE WHEN q.home_base IS NULL THEN NULL
            ELSE ST_Distance(q.home_base::geography, q.location::geography) END AS distance_m
FROM (
    SELECT wo.id AS work_order_id, wo.location, wo.span, wo.exact, wo.shift_by, t.id AS technician_id, t.home_base,
           t.time_zone, t.max_jobs_per_day, d.day,
           -- a member (primary or relocation) that day, then a secondary member, then (soft rule) anyone else
           CASE WHEN d.day <@ ANY(c.first_days) THEN 0 WHEN d.day <@ ANY(c.days) THEN 1 ELSE 2 END AS territory_rank
    {driver}
    OFFSET 0
) q
{filters}
ORDER BY q.work_order_id, q.territory_rank, distance_m NULLS LAST, q.technician_id
"""


def candidates_sql(*, policy: SchedulingPolicy | None = None, territory: bool = False, radius: bool = False) -> str:
    """The candidate statement for a policy's switches (None: every hard rule, no travel or daily cap)."""
    hard_territory = policy is None or policy.territory_rule == TerritoryRule.HARD
    driver = [_CANDIDATES_HARD_TERRITORY if hard_territory else _CANDIDATES_SOFT_TERRITORY]
    if policy is None or policy.match_skills:
        driver.append(_CANDIDATES_SKILLS)
    filters = [_CANDIDATES_AVAILABLE]
    if policy is None or policy.respect_shifts:
        filters.append(_CANDIDATES_SHIFTS)
    if radius:
        filters.append(_CANDIDATES_RADIUS)
    if policy is not None and policy.max_travel_minutes is not None:
        filters.append(_CANDIDATES_MAX_TRAVEL)
    if policy is not None and policy.max_jobs_per_day is not None:
        filters.append(_CANDIDATES_MAX_JOBS)
    match_skills = policy is None or policy.match_skills
    work_orders = _CANDIDATES_WORK_ORDERS.replace(
        "{territory}", " AND st.id = %(territory)s::uuid" if territory else ""
    ).replace("{skills}", _CANDIDATES_MEMBER_SKILLS if match_skills else "")
    select = _CANDIDATES_SELECT.replace("{driver}", "".join(driver).replace("\n", "\n    "))
    return work_orders + select.replace("{filters}", "".join(filters))


# the statement of the default (every hard rule) policy, for EXPLAIN and the bench
_CANDIDATES_SQL = candidates_sql()


@dataclass(frozen=True)
class Candidate:
    technician: Technician
    distance_m: float | None


def candidate_statement(
    *,
    work_order_ids: list,
    start: datetime | None = None,
    territory_id=None,
    radius_m: float | None = None,
    policy: SchedulingPolicy | None = None,
) -> tuple[str, dict]:
    """The SQL and parameters of candidate_rows (for EXPLAIN and the bench)."""
    params = {
        "work_orders": [str(pk) for pk in work_order_ids],
        "start": start,
        "territory": str(territory_id) if territory_id else None,
        "radius_m": radius_m,
        "today": timezone.localdate(),
        "max_travel_s": policy.max_travel_minutes * 60 if policy and policy.max_travel_minutes is not None else None,
        "max_jobs": policy.max_jobs_per_day if policy else None,
    }
    return candidates_sql(policy=policy, territory=bool(territory_id), radius=radius_m is not None), params


def candidate_rows(
    *,
    work_order_ids: list,
    start: datetime | None = None,
    territory_id=None,
    radius_m: float | None = None,
    policy: SchedulingPolicy | None = None,
) -> list[tuple]:
    """(work order id, technician id, distance from home base in metres) for every technician passing the hard
    rules for each work order, best first, in ONE query whatever the number of technicians or work orders.

    With `start`, the slot is [start, start + duration): a shift must cover it and no approved time off or live
    appointment may overlap it. Without it, the work order's window ([window or earliest start, window end or
    due by)) must meet a shift and not lie wholly inside approved time off; appointments are the slot search's
    business. Certifications and memberships are checked on the slot's (or window's) day in the technician's
    time zone, or today.

    The policy's switches (None: every hard rule): `match_skills` off drops the skills; `territory_rule` soft
    lets technicians with no membership there pass, after the members; `respect_shifts` off drops the shift;
    `max_travel_minutes` bounds the travel from the home base (the covering territory's travel model);
    `max_jobs_per_day` leaves out technicians with that many live appointments that day (or their own lower
    cap). Order: members that day (primary or relocation) before secondary members before non-members, then
    nearest first."""
    sql, params = candidate_statement(
        work_order_ids=work_order_ids, start=start, territory_id=territory_id, radius_m=radius_m, policy=policy
    )
    if policy is not None and policy.territory_rule != TerritoryRule.HARD:
        # every active technician is read: its best plan depends on the values, so it is planned on each call
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    return fetch_prepared(sql, params)


def work_order_candidates(
    *,
    work_order_id,
    start: datetime | None = None,
    territory_id=None,
    radius_m: float | None = None,
    policy: SchedulingPolicy | None = None,
) -> list[Candidate]:
    """The technicians passing the hard rules for one work order, best first: two queries."""
    rows = candidate_rows(
        work_order_ids=[work_order_id], start=start, territory_id=territory_id, radius_m=radius_m, policy=policy
    )
    technicians = Technician.objects.select_related("user").in_bulk([tech for _, tech, _ in rows])
    return [Candidate(technicians[tech], distance) for _, tech, distance in rows]


# --- the API's audiences (workforce/api/) ----------------------------------------------------------------------
# Staff (active, is_staff) see every row (their role's view_<model> is checked by the API); a vendor user sees its
# own vendor's technicians and their work orders and appointments; a customer its account's work orders and
# appointments; anyone else none() (the API refuses their audience first: 403).


def _staff(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and getattr(user, "audience", None) == Audience.STAFF and user.is_staff
    )


def _audience(user: User) -> str | None:
    return getattr(user, "audience", None) if user.is_authenticated and user.is_active else None


def _own_day_only(user: User) -> bool:
    """A field technician (a staff user with a technician profile who may not change appointments: the Technician
    role) reads only their own day: their appointments and work orders, shifts, patterns, time off, memberships.
    Dispatchers and Admins (change_appointment) read everything, technician or not."""
    if user.has_perm("workforce.change_appointment"):
        return False
    return Technician.objects.filter(user=user).exists()


_OWN_BY_TECHNICIAN = {"shift", "timeoff", "shiftpattern", "territorymembership"}


def workforce_list_visible_to(model, *, user: User) -> QuerySet:
    """Every row of a staff-only workforce model (skills, territories, shifts, ...) for active staff (a field
    technician: only their own shifts, patterns, time off and memberships); none() else."""
    if not _staff(user):
        return model.objects.none()
    if model._meta.model_name in _OWN_BY_TECHNICIAN and _own_day_only(user):
        return model.objects.filter(technician__user=user)
    return model.objects.all()


def technician_list_visible_to(*, user: User) -> QuerySet[Technician]:
    """Technicians with their user and skills (two prefetch queries a page): staff all, a vendor user its crew."""
    from django.db.models import Prefetch

    from .models import TechnicianSkill

    queryset = Technician.objects.select_related("user").prefetch_related(
        Prefetch("technician_skills", queryset=TechnicianSkill.objects.select_related("skill").order_by("skill__code"))
    )
    if _staff(user):
        return queryset
    if _audience(user) == Audience.VENDOR:
        return queryset.filter(vendor__portal_users__user=user)
    return queryset.none()


def work_type_list_visible_to(*, user: User) -> QuerySet:
    from django.db.models import Prefetch

    from .models import WorkType, WorkTypeSkill

    if not _staff(user):
        return WorkType.objects.none()
    skills = WorkTypeSkill.objects.select_related("skill").order_by("skill__code")
    return WorkType.objects.prefetch_related(Prefetch("required_skills", queryset=skills))


def _live_appointments():
    from .choices import AppointmentStatus
    from .models import Appointment

    return Appointment.objects.exclude(status=AppointmentStatus.CANCELLED)


def work_order_list_visible_to(*, user: User) -> QuerySet[WorkOrder]:
    """Work orders with their skills and technicians (three prefetch queries a page). Staff: all; a vendor user:
    those with a live appointment of one of its vendor's technicians; a customer: its account's (live account). A
    field technician (_own_day_only): those with a live appointment of theirs."""
    from django.db.models import Exists, Prefetch

    from .models import WorkOrderSkill

    queryset = WorkOrder.objects.prefetch_related(
        Prefetch("required_skills", queryset=WorkOrderSkill.objects.select_related("skill").order_by("skill__code")),
        Prefetch("preferred_technicians", queryset=Technician.objects.only("pk").order_by("pk")),
        Prefetch("excluded_technicians", queryset=Technician.objects.only("pk").order_by("pk")),
    )
    if _staff(user):
        if _own_day_only(user):
            return queryset.filter(
                Exists(_live_appointments().filter(work_order=OuterRef("pk"), technician__user=user))
            )
        return queryset
    audience = _audience(user)
    if audience == Audience.VENDOR:
        theirs = _live_appointments().filter(work_order=OuterRef("pk"), technician__vendor__portal_users__user=user)
        return queryset.filter(Exists(theirs))
    if audience == Audience.CUSTOMER:
        return queryset.filter(account__portal_users__user=user, account__deleted_at__isnull=True)
    return queryset.none()


def appointment_list_visible_to(*, user: User) -> QuerySet:
    """Appointments. Staff: all (a field technician: their own); a vendor user: its vendor's technicians'; a
    customer: its account's work orders'."""
    from .models import Appointment

    queryset = Appointment.objects.all()
    if _staff(user):
        return queryset.filter(technician__user=user) if _own_day_only(user) else queryset
    audience = _audience(user)
    if audience == Audience.VENDOR:
        return queryset.filter(technician__vendor__portal_users__user=user)
    if audience == Audience.CUSTOMER:
        return queryset.filter(
            work_order__account__portal_users__user=user, work_order__account__deleted_at__isnull=True
        )
    return queryset.none()


def crew_list_visible_to(*, user: User) -> QuerySet:
    """Crews with their members (one prefetch query a page): staff all, a vendor user its vendor's."""
    from django.db.models import Prefetch

    from .models import Crew

    queryset = Crew.objects.prefetch_related(Prefetch("members", queryset=Technician.objects.only("pk").order_by("pk")))
    if _staff(user):
        return queryset
    if _audience(user) == Audience.VENDOR:
        return queryset.filter(vendor__portal_users__user=user)
    return queryset.none()
