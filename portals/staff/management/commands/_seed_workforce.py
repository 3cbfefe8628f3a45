"""The field-service part of the demo (seed_demo calls seed_workforce): a Lagos metro territory, the skills and work
types of a fibre ISP, eight technicians with skills, home bases across the city, daily shift patterns (two crews:
07:00-16:00 and 09:00-18:00, Africa/Lagos) and their shifts two weeks ahead, and a day of work orders for today
at demo customers: most booked through the candidate query (skills, territory, shift, no overlap), the rest left
unassigned for the dispatch board, one booked after its window so the jeopardy scan flags it.

Idempotent: the territory, skills and work types by code or name, technicians by email, their patterns and
memberships only when they have none, shifts by shifts_generate (which adds none twice), work orders by a key in
their description (one per slot of today). Running it twice adds nothing; running it on another day adds that
day's work orders."""

import datetime
import random
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateRange
from django.utils import timezone

from crm.models import Account
from notifications import services as notifications
from notifications.choices import Channel
from notifications.recipients import Recipient
from omni.choices import Audience, Role
from omni.exceptions import DomainError
from omni.models import User
from workforce import selectors, services
from workforce.choices import MembershipKind, WorkOrderPriority
from workforce.models import ServiceTerritory, Skill, Technician, TerritoryMembership, WorkOrder, WorkType

ZONE = "Africa/Lagos"
TERRITORY = ("lagos-metro", "Lagos metro", (3.25, 6.39, 3.62, 6.65))  # code, name, bbox around the demo areas
SKILLS = [
    ("fiber-splicing", "Fibre splicing", "fibre", True),
    ("otdr-testing", "OTDR testing", "fibre", False),
    ("bucket-truck", "Bucket truck", "vehicle", False),
    ("ont-install", "ONT installation", "customer premises", False),
    ("wireless-alignment", "Wireless alignment", "wireless", False),
    ("civil-works", "Civil works", "civil", False),
]
WORK_TYPES = [  # name, minutes, priority, [(skill, min level)]
    ("Fibre repair", 120, WorkOrderPriority.HIGH, [("fiber-splicing", 3)]),
    ("ONT installation", 60, WorkOrderPriority.NORMAL, [("ont-install", 2)]),
    ("Drop cable installation", 90, WorkOrderPriority.NORMAL, [("bucket-truck", 2)]),
    ("OTDR fault location", 60, WorkOrderPriority.URGENT, [("otdr-testing", 3), ("fiber-splicing", 2)]),
    ("Wireless CPE alignment", 45, WorkOrderPriority.LOW, [("wireless-alignment", 2)]),
]
# name, home base (lon, lat), crew start hour, {skill: level}; Zainab's splicing certificate has lapsed.
TECHNICIANS = [
    ("Adebayo Okafor", (3.3711, 6.5095), 7, {"fiber-splicing": 4, "otdr-testing": 3, "bucket-truck": 2}),
    ("Ngozi Bello", (3.3569, 6.6018), 9, {"fiber-splicing": 3, "bucket-truck": 3}),
    ("Emeka Eze", (3.4723, 6.4478), 7, {"ont-install": 3, "wireless-alignment": 2}),
    ("Aisha Ibrahim", (3.3500, 6.5000), 9, {"ont-install": 4, "fiber-splicing": 2}),
    ("Tunde Lawal", (3.4347, 6.4549), 7, {"bucket-truck": 4, "civil-works": 3, "ont-install": 2}),
    ("Chioma Nwosu", (3.3889, 6.5556), 9, {"wireless-alignment": 4, "ont-install": 2}),
    ("Segun Adeleke", (3.5852, 6.4698), 7, {"fiber-splicing": 5, "otdr-testing": 4}),
    ("Zainab Salami", (3.2833, 6.4667), 9, {"ont-install": 3, "bucket-truck": 2, "fiber-splicing": 3}),
]
WINDOWS = [(8, 12), (10, 14), (12, 17), (13, 17)]  # arrival windows, local hours
JOBS = 20
UNASSIGNED_EVERY = 3  # every third job is left for the dispatcher
LATE_JOB = 1  # booked half an hour after its window: the jeopardy scan flags it


def _territory() -> ServiceTerritory:
    code, name, bbox = TERRITORY
    existing = ServiceTerritory.objects.filter(code=code).first()
    geom = MultiPolygon(Polygon.from_bbox(bbox), srid=4326)
    return existing or services.territory_create(code=code, name=name, geom=geom, time_zone=ZONE)


def _skills() -> dict[str, Skill]:
    have = {s.code: s for s in Skill.objects.filter(code__in=[row[0] for row in SKILLS])}
    for code, name, category, certified in SKILLS:
        if code not in have:
            have[code] = services.skill_create(
                code=code, name=name, category=category, requires_certification=certified
            )
    return have


def _work_types(skills) -> list[WorkType]:
    have = {w.name: w for w in WorkType.objects.filter(name__in=[row[0] for row in WORK_TYPES])}
    for name, minutes, priority, needs in WORK_TYPES:
        if name not in have:
            have[name] = services.work_type_create(
                name=name,
                default_duration_minutes=minutes,
                default_priority=priority,
                required_skills=[{"skill": skills[code], "min_level": level} for code, level in needs],
            )
    return [have[row[0]] for row in WORK_TYPES]


def _technicians(*, domain: str, password: str, territory, skills, today) -> list[Technician]:
    """The field team; the demo Technician login (technician@<domain>) is the first of them."""
    group = Group.objects.get(name=Role.TECHNICIAN)
    technicians = []
    for n, (name, (lon, lat), start, levels) in enumerate(TECHNICIANS):
        email = f"{Role.TECHNICIAN.lower()}@{domain}" if n == 0 else f"{name.lower().replace(' ', '.')}@field.{domain}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, full_name=name, audience=Audience.STAFF, is_staff=True)
            user.groups.add(group)
        technician = Technician.objects.filter(user=user).first()
        if technician is None:
            lapsed = today - datetime.timedelta(days=10)
            valid = today + datetime.timedelta(days=365)
            technician = services.technician_create(
                user=user,
                home_base=Point(lon, lat, srid=4326),
                time_zone=ZONE,
                cost_per_hour=8000 + 500 * n,
                skills=[
                    {
                        "skill": skills[code],
                        "level": level,
                        "certified_until": (lapsed if name.startswith("Zainab") else valid)
                        if skills[code].requires_certification
                        else None,
                    }
                    for code, level in levels.items()
                ],
            )
        if not TerritoryMembership.objects.filter(technician=technician).exists():
            services.membership_create(
                technician=technician,
                territory=territory,
                kind=MembershipKind.PRIMARY,
                valid=DateRange(today - datetime.timedelta(days=30), None, "[)"),
            )
        if not technician.shift_patterns.exists():
            services.shift_pattern_create(
                technician=technician,
                name=f"Crew {'A' if start == 7 else 'B'}",
                weekdays="0,1,2,3,4,5,6",
                start=datetime.time(start),
                end=datetime.time(start + 9),
                time_zone=ZONE,
            )
        technicians.append(technician)
    services.shifts_generate(weeks=2, start=today, technician_ids=[t.pk for t in technicians])
    return technicians


def _customers(count: int, seed: int) -> list[Account]:
    located = list(Account.objects.filter(location__isnull=False).order_by("number")[: count * 5])
    return random.Random(seed).sample(located, min(count, len(located)))


def _book(work_order: WorkOrder, starts: list[datetime.datetime]) -> bool:
    """With the nearest technician passing the hard rules at the first start that has one (the candidate query,
    then the board's placement, which re-checks everything); False when nobody can."""
    for start in starts:
        for candidate in selectors.work_order_candidates(work_order_id=work_order.pk, start=start):
            try:
                services.appointment_place(technician=candidate.technician, start=start, work_order_id=work_order.pk)
            except (ValidationError, DomainError):
                continue
            return True
    return False


def _work_orders(*, today, zone, work_types, jobs: int, seed: int, local: random.Random) -> int:
    """Today's demo work orders that are missing (by the key in their description), booked or not; the count."""
    keys = {f"Demo visit {n:02d} on {today.isoformat()}." for n in range(1, jobs + 1)}
    done = set(WorkOrder.objects.filter(description__in=keys).values_list("description", flat=True))
    if len(done) == len(keys):
        return 0
    created = 0
    for n, account in enumerate(_customers(jobs, seed), start=1):
        key = f"Demo visit {n:02d} on {today.isoformat()}."
        if key in done:
            continue
        opens, closes = WINDOWS[n % len(WINDOWS)]
        window_start = datetime.datetime.combine(today, datetime.time(opens), tzinfo=zone)
        window_end = datetime.datetime.combine(today, datetime.time(closes), tzinfo=zone)
        with transaction.atomic():
            work_order = services.work_order_create(
                work_type=local.choice(work_types),
                account=account,
                location=account.location,
                address=account.service_address,
                window_start=window_start,
                window_end=window_end,
                description=key,
            )
            created += 1
            if n == LATE_JOB:
                _book(work_order, [window_end + datetime.timedelta(minutes=30)])
            elif n % UNASSIGNED_EVERY:
                slots = int((window_end - window_start).total_seconds() // 1800)
                _book(work_order, [window_start + datetime.timedelta(minutes=30 * k) for k in range(slots)])
    return created


def seed_workforce(*, domain: str, password: str, seed: int = 2026, jobs: int = JOBS) -> int:
    """Build the demo field service (see the module); returns how many work orders this call created."""
    zone = ZoneInfo(ZONE)
    today = timezone.now().astimezone(zone).date()
    with transaction.atomic():
        territory = _territory()
        skills = _skills()
        work_types = _work_types(skills)
        technicians = _technicians(domain=domain, password=password, territory=territory, skills=skills, today=today)
    local = random.Random(seed * 7 + today.toordinal())
    created = _work_orders(today=today, zone=zone, work_types=work_types, jobs=jobs, seed=seed, local=local)
    # the demo dispatcher follows jeopardy in-app: the beat's scan puts the late job in their bell
    dispatcher = User.objects.filter(email=f"{Role.DISPATCHER.lower()}@{domain}").first()
    if dispatcher is not None:
        notifications.preference_set(
            recipient_key=Recipient.for_user(dispatcher).key,
            event="workforce.appointment.at_risk",
            channel=Channel.INAPP,
            enabled=True,
        )
    # the last positions the technicians' phones reported: near home, a few minutes ago
    now = timezone.now()
    for technician in technicians:
        if technician.last_location is None:
            home = technician.home_base
            services.technician_update(
                technician_id=technician.pk,
                last_location=Point(
                    home.x + local.uniform(-0.02, 0.02), home.y + local.uniform(-0.02, 0.02), srid=4326
                ),
                last_location_at=now - datetime.timedelta(minutes=local.randint(1, 30)),
            )
    return created
