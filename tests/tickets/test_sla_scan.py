"""The SLA scan (issue 10, Done when; DOMAIN.md C.7 13-15): breaches and warnings in set-based SQL, escalation
levels once per clock and cycle, actions on the returned rows only, a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Delivery, OutboxEvent
from omni.celery import app
from tests.omni.factories import StaffFactory
from tests.tickets.factories import TeamFactory
from tests.tickets.sla_support import opened, policy_with, rule, warn_rule
from tickets import services
from tickets.choices import ClockState, EscalationKind, SLAMetric, SLAState, TicketPriority
from tickets.models import SLAClock, SLAEvent, Ticket

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
BREACH, AFTER, WARN = EscalationKind.BREACH, EscalationKind.AFTER_BREACH, EscalationKind.WARN


@pytest.fixture
def eager():
    """Celery runs queued tasks in-process (the escalations the scan queues after commit)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def running(ticket, policy, *, due, warn=None, cycle=1, minutes=60, metric=SLAMetric.RESOLUTION) -> SLAClock:
    return SLAClock.objects.create(
        ticket=ticket,
        metric=metric,
        cycle=cycle,
        policy=policy,
        target_minutes=minutes,
        business_hours=False,
        state=ClockState.RUNNING,
        started_at=due - datetime.timedelta(minutes=minutes),
        due_at=due,
        warn_at=warn,
    )


@pytest.fixture
def ladder():
    """L1 at the breach (notify the boss), L2 an hour after (reassign to the senior), L3 four hours after (notify
    the team)."""
    boss = StaffFactory(email="boss@example.com")
    senior = StaffFactory(email="senior@example.com")
    team = TeamFactory(members=[StaffFactory(email="member@example.com")])
    policy = policy_with(business_hours=False, resolution=60)
    rule(policy, kind=BREACH, level=1, action="notify_user", user=boss)
    rule(policy, kind=AFTER, level=2, offset_minutes=60, action="reassign", user=senior)
    rule(policy, kind=AFTER, level=3, offset_minutes=240, action="notify_team", team=team)
    return policy, boss, senior, team


def _deliveries(user, event="tickets.sla.breached"):
    return Delivery.objects.filter(event=event, recipient_key=f"omni.user:{user.pk}").count()


def test_a_clock_breached_two_hours_ago_has_l1_and_l2_and_l2_reassigns(
    ladder, eager, django_capture_on_commit_callbacks
):
    policy, boss, senior, team = ladder
    now = timezone.now()
    ticket = opened(now - 3 * HOUR)
    clock = running(ticket, policy, due=now - 2 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_scan(now) == {"breached": 1, "warned": 0, "escalations": 2, "requeued": 0}
    clock.refresh_from_db()
    assert (clock.state, clock.breached_at) == (ClockState.BREACHED, now - 2 * HOUR)
    assert sorted(SLAEvent.objects.filter(clock=clock).values_list("kind", "level")) == [(AFTER, 2), (BREACH, 1)]
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.sla_state) == (senior, SLAState.BREACHED)
    assert _deliveries(boss) == 3  # email, in-app and SMS (suppressed: the boss has no phone)
    assert set(Delivery.objects.filter(recipient_key=f"omni.user:{boss.pk}").values_list("channel", "status")) >= {
        ("sms", "suppressed")
    }
    assert OutboxEvent.objects.filter(event="tickets.sla.breached").count() == 1
    breached = OutboxEvent.objects.get(event="tickets.sla.breached").data
    assert (breached["number"], breached["metric"], breached["sla_state"]) == (ticket.number, "resolution", "breached")

    # Two hours on, L3 is due: the team is told; L1 and L2 never fire again.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_scan(now + 2 * HOUR + datetime.timedelta(minutes=1))["escalations"] == 1
    member = team.members.get()
    assert _deliveries(member) == 3
    assert _deliveries(boss) == 3
    assert SLAEvent.objects.filter(clock=clock).count() == 3


def test_scanning_twice_queues_each_escalation_once(ladder, eager, django_capture_on_commit_callbacks):
    policy, boss, senior, _team = ladder
    now = timezone.now()
    tickets = [opened(now - 3 * HOUR) for _ in range(3)]
    for ticket in tickets:
        running(ticket, policy, due=now - 90 * datetime.timedelta(minutes=1))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_scan(now)
    assert SLAEvent.objects.count() == 6  # L1 and L2 of three clocks
    assert _deliveries(boss) == 3 * 3
    assert OutboxEvent.objects.filter(event="tickets.sla.breached").count() == 3
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {senior.pk}


def test_the_warning_fires_once_per_clock_and_cycle(eager, django_capture_on_commit_callbacks):
    boss = StaffFactory(email="boss@example.com")
    policy = policy_with(business_hours=False, resolution=100)
    warn_rule(policy, percent=75, action="notify_user", user=boss)
    now = timezone.now()
    ticket = opened(now - 80 * datetime.timedelta(minutes=1))
    first = running(ticket, policy, due=now + 20 * datetime.timedelta(minutes=1), warn=now - 5 * HOUR / 60)
    untouched = running(opened(now), policy, due=now + HOUR, warn=now + 30 * HOUR / 60)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_scan(now)
    assert list(SLAEvent.objects.values_list("clock", "kind", "level")) == [(first.pk, WARN, 1)]
    ticket.refresh_from_db()
    assert ticket.sla_state == SLAState.WARNING
    untouched.refresh_from_db()
    assert untouched.state == ClockState.RUNNING
    assert _deliveries(boss, "tickets.sla.warning") == 3
    assert OutboxEvent.objects.filter(event="tickets.sla.warning").count() == 1

    # Reopened: cycle 2 warns again, once.
    SLAClock.objects.filter(pk=first.pk).update(state=ClockState.MET, met_at=now)
    second = running(ticket, policy, cycle=2, due=now + HOUR, warn=now)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_scan(now + datetime.timedelta(minutes=1))
    assert SLAEvent.objects.filter(kind=WARN).count() == 2
    assert SLAEvent.objects.filter(clock=second, kind=WARN).count() == 1
    assert _deliveries(boss, "tickets.sla.warning") == 6


def test_raise_priority_goes_through_the_ticket_service(eager, django_capture_on_commit_callbacks):
    policy = policy_with(business_hours=False, resolution=60)
    rule(policy, kind=BREACH, level=1, action="raise_priority", priority=TicketPriority.URGENT)
    now = timezone.now()
    ticket = opened(now - 2 * HOUR, priority=TicketPriority.LOW)
    running(ticket, policy, due=now - HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_scan(now)
    ticket.refresh_from_db()
    assert ticket.priority == TicketPriority.URGENT
    updated = OutboxEvent.objects.get(event="tickets.ticket.updated")
    assert updated.data["priority"] == TicketPriority.URGENT


def test_a_clock_breached_by_a_retarget_fires_its_breach_level(eager, django_capture_on_commit_callbacks, agent):
    boss = StaffFactory(email="boss@example.com")
    urgent = policy_with(priorities=[TicketPriority.URGENT], business_hours=False, resolution=60)
    policy_with(business_hours=False, resolution=24 * 60)
    rule(urgent, kind=BREACH, level=1, action="notify_user", user=boss)
    ticket = opened(timezone.now() - 2 * HOUR, priority=TicketPriority.LOW)
    services.sla_start(ticket=ticket, now=ticket.created_at)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket_id=ticket.pk, priority=TicketPriority.URGENT, by=agent)
    ticket.refresh_from_db()
    assert ticket.sla_state == SLAState.BREACHED
    assert list(SLAEvent.objects.values_list("kind", "level")) == [(BREACH, 1)]
    assert _deliveries(boss) == 3
    assert OutboxEvent.objects.filter(event="tickets.sla.breached").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_scan()
    assert SLAEvent.objects.count() == 1


def _clocks(policy, count: int, now):
    """`count` tickets, each with an overdue clock and a warned one."""
    account = opened(now).account
    tickets = Ticket.objects.bulk_create(Ticket(account=account, subject=f"T{n}") for n in range(count))
    SLAClock.objects.bulk_create(
        [
            SLAClock(
                ticket=ticket,
                metric=metric,
                policy=policy,
                target_minutes=60,
                business_hours=False,
                started_at=now - HOUR,
                due_at=due,
                warn_at=now - datetime.timedelta(minutes=5),
            )
            for ticket in tickets
            for metric, due in ((SLAMetric.RESOLUTION, now - HOUR / 2), (SLAMetric.FIRST_RESPONSE, now + HOUR))
        ]
    )


@pytest.mark.parametrize("count", [5, 200])
def test_the_scan_runs_a_fixed_number_of_queries(count):
    boss = StaffFactory(email="boss@example.com")
    policy = policy_with(business_hours=False, resolution=60, first_response=120)
    rule(policy, kind=BREACH, level=1, action="notify_user", user=boss)
    warn_rule(policy, metric=SLAMetric.FIRST_RESPONSE, action="notify_user", user=boss)
    now = timezone.now()
    _clocks(policy, count, now)
    with CaptureQueriesContext(connection) as queries:
        result = services.sla_scan(now)
    assert result == {"breached": count, "warned": count, "escalations": 2 * count, "requeued": 0}
    assert Ticket.objects.filter(sla_state=SLAState.BREACHED).count() == count
    assert OutboxEvent.objects.filter(event__startswith="tickets.sla.").count() == 2 * count
    # Savepoint, breach UPDATE, events INSERT, the requeue SELECT, tickets' state UPDATE, outbox INSERT, release.
    assert len(queries) == 7, [q["sql"][:80] for q in queries]


def test_the_outbox_payload_built_in_sql_is_the_apis(agent):
    """The scan's tickets.sla.* payloads are built by the database: they equal selectors.ticket_payload (the API's
    staff view) plus the clock, times with and without microseconds included."""
    from tickets import selectors

    policy = policy_with(business_hours=False, resolution=60)
    now = timezone.now().replace(microsecond=123456)
    ticket = opened(now - 2 * HOUR, team=TeamFactory(), assignee=agent, tags=["fiber", "vip"])
    due = (now - HOUR).replace(microsecond=0)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=due, resolution_due=now - HOUR)
    clock = running(ticket, policy, due=due)
    services.sla_scan(now)
    event = OutboxEvent.objects.get(event="tickets.sla.breached")
    expected = {
        "metric": "resolution",
        "cycle": 1,
        "level": None,
        "due_at": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "breached_at": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **selectors.ticket_payload(ticket.pk),
    }
    assert event.data == expected
    assert event.data["resolution_due"].endswith(".123456Z")
    assert event.url.endswith(f"/tickets/{ticket.pk}/")  # the console's ticket page
    assert event.permission == "tickets.view_ticket"
    assert clock.pk


def test_the_beat_runs_the_scan_every_minute_and_it_expires_before_the_next(eager):
    from django.conf import settings as django_settings
    from django_celery_beat.schedulers import ModelEntry

    from tickets.tasks import sla_scan

    entry = django_settings.CELERY_BEAT_SCHEDULE["tickets-sla-scan"]
    assert (entry["task"], entry["schedule"]) == (sla_scan.name, 60)
    assert entry["task"] in app.tasks
    model_entry = ModelEntry.from_entry("tickets-sla-scan", app=app, **entry)  # as the database scheduler stores it
    assert 0 < model_entry.model.expire_seconds < 60
    policy = policy_with(business_hours=False, resolution=60)
    clock = running(opened(timezone.now() - 2 * HOUR), policy, due=timezone.now() - HOUR)
    sla_scan.delay()  # eager: runs here
    clock.refresh_from_db()
    assert clock.state == ClockState.BREACHED


def test_escalations_of_a_deleted_ticket_do_nothing(ladder, eager, django_capture_on_commit_callbacks):
    policy, boss, senior, _team = ladder
    now = timezone.now()
    ticket = opened(now - 3 * HOUR)
    running(ticket, policy, due=now - 2 * HOUR)
    services.ticket_delete(ticket_id=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_scan(now)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert _deliveries(boss) == 0


def test_an_escalation_task_run_twice_does_nothing_twice(ladder, django_capture_on_commit_callbacks):
    """A retried sla_escalate (acks_late) tells nobody twice and reassigns once."""
    policy, boss, senior, _team = ladder
    now = timezone.now()
    ticket = opened(now - 3 * HOUR)
    running(ticket, policy, due=now - 2 * HOUR)
    services.sla_scan(now)  # its on-commit queueing never runs here: the events are carried out by hand below
    ids = list(SLAEvent.objects.values_list("pk", flat=True))
    assert services.sla_escalate(event_ids=ids, now=now) == 2
    assert services.sla_escalate(event_ids=ids, now=now) == 0  # both acted on already
    assert _deliveries(boss) == 3
    ticket.refresh_from_db()
    assert ticket.assignee == senior
    assert OutboxEvent.objects.filter(event="tickets.ticket.updated").count() == 1


def test_an_escalation_whose_task_was_lost_is_queued_again_and_runs_once(
    ladder, eager, django_capture_on_commit_callbacks
):
    """The broker was down when the scan committed: its after-commit queueing never ran. A scan more than
    REQUEUE_AFTER later queues those events again; they are acted on once, and never queued after that."""
    from tickets.services.scan import REQUEUE_AFTER

    policy, boss, senior, _team = ladder
    now = timezone.now()
    ticket = opened(now - 3 * HOUR)
    running(ticket, policy, due=now - 2 * HOUR)
    with django_capture_on_commit_callbacks(execute=False):  # the queueing is lost
        services.sla_scan(now)
    assert _deliveries(boss) == 0 and set(SLAEvent.objects.values_list("acted_at", flat=True)) == {None}

    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_scan(now + REQUEUE_AFTER / 2)["requeued"] == 0  # too young: its task may be on its way
    later = now + REQUEUE_AFTER + datetime.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_scan(later)["requeued"] == 2
    ticket.refresh_from_db()
    assert ticket.assignee == senior and _deliveries(boss) == 3
    assert not SLAEvent.objects.filter(acted_at__isnull=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_scan(later + HOUR / 60)["requeued"] == 0
    assert services.sla_escalate(event_ids=SLAEvent.objects.values_list("pk", flat=True)) == 0  # a retried task
    assert _deliveries(boss) == 3


def test_an_escalation_that_cannot_run_is_logged_and_not_retried(ladder, eager, caplog):
    policy, boss, senior, _team = ladder
    now = timezone.now()
    running(opened(now - 3 * HOUR), policy, due=now - 2 * HOUR)
    services.sla_scan(now)  # no on-commit callbacks run in a test transaction: nothing acted yet
    senior.is_active = False
    senior.save(update_fields=["is_active"])  # L2 reassigns to someone who can no longer take tickets
    done = services.sla_escalate(event_ids=SLAEvent.objects.values_list("pk", flat=True), now=now)
    assert done == 1  # L1 told the boss; L2 failed
    assert "escalation failed" in caplog.text
    assert not SLAEvent.objects.filter(acted_at__isnull=True).exists()
