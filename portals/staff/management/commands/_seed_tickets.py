"""The support desk part of the demo (seed_demo calls seed_tickets): a Lagos business calendar with Nigeria's
public holidays, two SLA policies with escalations, three teams, and tickets in every status with a conversation.

Idempotent: the calendar, policies and teams by name; the tickets only when no demo ticket exists yet (tag
`demo`). Tickets go through the services, so their SLA clocks, history and events are real."""

import datetime
import random

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from crm.models import Account, Contact
from omni.choices import Role
from omni.models import User
from tickets import services
from tickets.choices import EscalationAction, EscalationKind, SLAMetric, TicketPriority, TicketSource, TicketStatus
from tickets.models import BusinessCalendar, EscalationRule, SLACondition, SLAPolicy, SLATarget, Team, Ticket

CALENDAR = "Lagos office"
PROBLEMS = [
    ("No internet since this morning", "The ONT shows a red LOS light.", "outage"),
    ("Very slow speeds in the evening", "Speed tests give 3 Mbps on a 50 Mbps plan.", "performance"),
    ("Router keeps rebooting", "It restarts every few minutes.", "equipment"),
    ("Request to move my service", "We are relocating to Lekki Phase 1 next month.", "relocation"),
    ("WiFi does not reach upstairs", "Can you install an extender?", "equipment"),
    ("Intermittent drops on the wireless link", "The link drops several times a day since the rain.", "outage"),
    ("Static IP request", "Our office needs a static IP for the CCTV recorder.", "service"),
    ("Fibre cable cut by road works", "Contractors cut the drop cable outside the gate.", "outage"),
]
REPLIES = [
    "Thank you, we are looking into it.",
    "Could you restart the router and tell us if the light turns green?",
    "A technician is scheduled for tomorrow morning.",
    "We have reset the port on our side; please check again.",
]
CUSTOMER_REPLIES = ["I restarted it, still the same.", "Thanks, it works now.", "When will the technician come?"]
# How far each demo ticket gets: the status moves after opening (resolution notes where needed).
PATHS = [
    [],
    [TicketStatus.OPEN],
    [TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER],
    [TicketStatus.OPEN, TicketStatus.ON_HOLD],
    [TicketStatus.OPEN, TicketStatus.RESOLVED],
    [TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED],
]


def _calendar(admin: User) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(name=CALENDAR).first()
    if calendar:
        return calendar
    calendar = services.calendar_create(name=CALENDAR, time_zone="Africa/Lagos", country="NG", by=admin)
    for weekday in range(5):
        services.hours_set(
            calendar_id=calendar.pk, weekday=weekday, ranges=[(datetime.time(8), datetime.time(17))], by=admin
        )
    services.hours_set(calendar_id=calendar.pk, weekday=5, ranges=[(datetime.time(9), datetime.time(13))], by=admin)
    year = timezone.localdate().year
    for y in (year, year + 1):
        services.holidays_seed(calendar_id=calendar.pk, year=y, by=admin)
    return calendar


def _policy(name, position, calendar, *, priorities, targets, escalations) -> SLAPolicy:
    policy, created = SLAPolicy.objects.get_or_create(name=name, defaults={"position": position, "calendar": calendar})
    if not created:
        return policy
    if priorities:
        SLACondition.objects.create(policy=policy, field="priority", values=priorities)
    for metric, minutes in targets:
        SLATarget.objects.create(policy=policy, metric=metric, minutes=minutes)
    for rule in escalations:
        EscalationRule(policy=policy, **rule).full_clean()
        EscalationRule.objects.create(policy=policy, **rule)
    return policy


def _teams(agent: User, dispatcher: User) -> list[Team]:
    teams = []
    for name, description, members in (
        ("NOC", "Network operations: outages and performance", [agent]),
        ("Field support", "Installs, relocations and equipment", [agent, dispatcher]),
        ("Customer care", "Everything else", [agent]),
    ):
        team = Team.objects.filter(name=name).first() or services.team_create(name=name, description=description)
        services.team_members_set(team_id=team.pk, user_ids=[m.pk for m in members])
        teams.append(team)
    return teams


def seed_tickets(*, domain: str, seed: int, count: int = 40) -> None:
    admin = User.objects.get(email=f"admin@{domain}")
    agent = User.objects.get(email=f"{Role.AGENT.lower()}@{domain}")
    dispatcher = User.objects.get(email=f"{Role.DISPATCHER.lower()}@{domain}")
    calendar = _calendar(admin)
    noc, field, care = _teams(agent, dispatcher)
    _policy(
        "Urgent and high",
        1,
        calendar,
        priorities=[TicketPriority.URGENT, TicketPriority.HIGH],
        targets=[(SLAMetric.FIRST_RESPONSE, 60), (SLAMetric.NEXT_RESPONSE, 120), (SLAMetric.RESOLUTION, 240)],
        escalations=[
            {"metric": SLAMetric.RESOLUTION, "kind": EscalationKind.WARN, "percent": 75,
             "action": EscalationAction.NOTIFY_TEAM, "team": noc},
            {"metric": SLAMetric.RESOLUTION, "kind": EscalationKind.BREACH, "action": EscalationAction.NOTIFY_USER,
             "user": admin},
            {"metric": SLAMetric.RESOLUTION, "kind": EscalationKind.AFTER_BREACH, "level": 2, "offset_minutes": 60,
             "action": EscalationAction.RAISE_PRIORITY, "priority": TicketPriority.URGENT},
        ],
    )  # fmt: skip
    _policy(
        "Standard",
        10,
        calendar,
        priorities=[],
        targets=[(SLAMetric.FIRST_RESPONSE, 240), (SLAMetric.NEXT_RESPONSE, 480), (SLAMetric.RESOLUTION, 1440)],
        escalations=[
            {"metric": SLAMetric.FIRST_RESPONSE, "kind": EscalationKind.WARN, "percent": 75,
             "action": EscalationAction.NOTIFY_TEAM, "team": care},
            {"metric": SLAMetric.RESOLUTION, "kind": EscalationKind.BREACH, "action": EscalationAction.NOTIFY_TEAM,
             "team": care},
        ],
    )  # fmt: skip
    if Ticket.objects.filter(tags__contains=["demo"]).exists():
        return
    local = random.Random(seed)
    accounts = list(Account.objects.filter(email__endswith=f"@{domain}").order_by("email")[: count * 2])
    team_for = {"outage": noc, "performance": noc, "equipment": field, "relocation": field, "service": care}
    for n in tqdm(range(min(count, len(accounts))), desc="tickets", unit="ticket"):
        account = accounts[0] if n < 4 else local.choice(accounts)  # the demo customer's account has a few
        subject, description, category = local.choice(PROBLEMS)
        contact = Contact.objects.filter(account_links__account=account).first()
        with transaction.atomic():
            ticket = services.ticket_create(
                account_id=account.pk,
                subject=subject,
                description=description,
                category=category,
                priority=local.choice(TicketPriority.values),
                source=local.choice([TicketSource.PHONE, TicketSource.EMAIL, TicketSource.PORTAL]),
                team_id=team_for[category].pk,
                assignee_id=agent.pk if local.random() < 0.6 else None,
                contact_id=contact.pk if contact else None,
                tags=["demo", category],
                by=agent,
            )
            path = PATHS[n % len(PATHS)]
            if path:
                services.comment_add(ticket_id=ticket.pk, author=agent, body=local.choice(REPLIES))
                services.comment_add(
                    ticket_id=ticket.pk, author=agent, body="Checked the OLT port: light levels normal.", public=False
                )
            for status in path:
                resolution = "Replaced the patch cord at the FDH." if status == TicketStatus.RESOLVED else ""
                services.ticket_transition(ticket_id=ticket.pk, to=status, by=agent, resolution=resolution)
        if path == [TicketStatus.OPEN] and local.random() < 0.5:
            customer = account.portal_users.select_related("user").first()
            if customer:
                services.comment_add(ticket_id=ticket.pk, author=customer.user, body=local.choice(CUSTOMER_REPLIES))
