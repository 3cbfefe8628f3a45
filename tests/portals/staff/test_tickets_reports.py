"""Staff console (localhost): the SLA dashboard (compliance per week, open tickets by priority) and the SLA report
(% met per policy, priority and team from one grouped query), scoped to the user's visible tickets."""

import datetime

import pytest
from django.utils import timezone

from tests.tickets.factories import SLAPolicyFactory, TicketFactory
from tickets import selectors
from tickets.choices import ClockState, SLAMetric, TicketPriority, TicketStatus
from tickets.models import SLAClock

from .tickets_support import *  # noqa: F403 - fixtures

NOW = timezone.now()


def _clock(ticket, *, policy=None, met: bool, at: datetime.datetime, metric=SLAMetric.RESOLUTION, cycle=1):
    """A decided clock: met on time at `at`, or breached at `at` (its due time)."""
    return SLAClock.objects.create(
        ticket=ticket,
        metric=metric,
        cycle=cycle,
        policy=policy,
        target_minutes=60,
        state=ClockState.MET if met else ClockState.BREACHED,
        started_at=at - datetime.timedelta(hours=1),
        due_at=at,
        met_at=at if met else None,
        breached_at=None if met else at,
    )


@pytest.fixture
def report_data(account, network, billing):
    gold, silver = SLAPolicyFactory(name="Gold"), SLAPolicyFactory(name="Silver")
    urgent = TicketFactory(account=account, team=network, priority=TicketPriority.URGENT)
    normal = TicketFactory(account=account, team=network, priority=TicketPriority.NORMAL)
    intake = TicketFactory(account=account, team=None, priority=TicketPriority.NORMAL)
    hidden = TicketFactory(account=account, team=billing, priority=TicketPriority.URGENT)
    at = NOW - datetime.timedelta(days=1)
    # Gold: urgent met, urgent breached, normal met -> 2/3; Silver: intake met, intake breached -> 1/2
    _clock(urgent, policy=gold, met=True, at=at, metric=SLAMetric.FIRST_RESPONSE)
    _clock(urgent, policy=gold, met=False, at=at)
    _clock(normal, policy=gold, met=True, at=at)
    _clock(intake, policy=silver, met=True, at=at, metric=SLAMetric.FIRST_RESPONSE)
    _clock(intake, policy=silver, met=False, at=at)
    # Out of the agent's scope: counted for Admin only.
    _clock(hidden, policy=silver, met=False, at=at)
    _clock(hidden, policy=silver, met=False, at=at, metric=SLAMetric.FIRST_RESPONSE)
    # Not decided yet: never counted.
    SLAClock.objects.create(
        ticket=normal,
        metric=SLAMetric.FIRST_RESPONSE,
        policy=gold,
        target_minutes=60,
        state=ClockState.RUNNING,
        started_at=NOW,
        due_at=NOW + datetime.timedelta(hours=1),
    )
    return {"gold": gold, "silver": silver}


def _by_key(rows) -> dict:
    return {row["key"]: (row["met"], row["total"], row["percent"]) for row in rows}


def test_sla_report_is_one_grouped_query_with_the_right_percentages(agent, report_data, django_assert_num_queries):
    agent.has_perm("tickets.view_ticket")  # the permission cache, as after the view's check
    with django_assert_num_queries(1):
        report = selectors.sla_report(user=agent)
    assert _by_key(report["policy"]) == {"Gold": (2, 3, 66.7), "Silver": (1, 2, 50.0)}
    assert _by_key(report["priority"]) == {"urgent": (1, 2, 50.0), "normal": (2, 3, 66.7)}
    assert _by_key(report["team"]) == {"Network": (2, 3, 66.7), None: (1, 2, 50.0)}
    assert sum(row["total"] for row in report["rows"]) == 5


def test_admin_report_counts_every_team(admin_user, report_data):
    report = selectors.sla_report(user=admin_user)
    assert _by_key(report["team"])["Billing"] == (0, 2, 0.0)
    assert _by_key(report["policy"])["Silver"] == (1, 4, 25.0)


def test_report_since_leaves_older_clocks_out(agent, account, network):
    ticket = TicketFactory(account=account, team=network)
    _clock(ticket, met=True, at=NOW - datetime.timedelta(days=40))
    _clock(ticket, met=False, at=NOW - datetime.timedelta(days=2), metric=SLAMetric.FIRST_RESPONSE)
    recent = selectors.sla_report(user=agent, since=NOW - datetime.timedelta(days=7))
    assert _by_key(recent["team"]) == {"Network": (0, 1, 0.0)}


def test_report_page(client_as, agent, report_data):
    client = client_as(agent)
    response = client.get("/tickets/sla-report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sla-by-policy"' in html and 'data-key="Gold" data-percent="66.7"' in html
    assert 'data-key="urgent" data-percent="50.0"' in html and ">Urgent</th>" in html
    assert "Billing" not in html
    response = client.get("/tickets/sla-report/", {"since": "last tuesday"})
    assert response.status_code == 400 and "since: enter a date" in response.content.decode()
    assert client.get("/tickets/sla-report/", {"since": "2020-01-01"}).status_code == 200


def test_compliance_by_week_counts_each_week_in_one_query(agent, account, network, django_assert_num_queries):
    ticket = TicketFactory(account=account, team=network)
    now = timezone.localtime()
    this_week = now - datetime.timedelta(minutes=1)
    three_weeks_ago = now - datetime.timedelta(weeks=3)
    _clock(ticket, met=True, at=this_week, metric=SLAMetric.FIRST_RESPONSE)
    _clock(ticket, met=False, at=this_week)
    _clock(ticket, met=True, at=three_weeks_ago, metric=SLAMetric.NEXT_RESPONSE)
    _clock(ticket, met=True, at=now - datetime.timedelta(weeks=20), metric=SLAMetric.RESOLUTION, cycle=2)  # too old
    agent.has_perm("tickets.view_ticket")
    with django_assert_num_queries(1):
        weeks = selectors.sla_compliance_by_week(user=agent, now=now)
    assert len(weeks) == 12
    assert all(week["week"].weekday() == 0 for week in weeks)
    assert (weeks[-1]["met"], weeks[-1]["total"], weeks[-1]["percent"]) == (1, 2, 50.0)
    assert (weeks[-4]["met"], weeks[-4]["total"], weeks[-4]["percent"]) == (1, 1, 100.0)
    assert sum(week["total"] for week in weeks) == 3
    assert weeks[0]["percent"] is None


def test_open_tickets_by_priority(agent, account, network, billing):
    TicketFactory(account=account, team=network, priority=TicketPriority.URGENT)
    TicketFactory(account=account, team=network, priority=TicketPriority.URGENT, status=TicketStatus.OPEN)
    TicketFactory(account=account, team=network, priority=TicketPriority.LOW, status=TicketStatus.RESOLVED)
    TicketFactory(account=account, team=billing, priority=TicketPriority.HIGH)  # not the agent's
    assert selectors.open_tickets_by_priority(user=agent) == {"low": 0, "normal": 0, "high": 0, "urgent": 2}


def test_dashboard_draws_both_charts(client_as, agent, report_data):
    response = client_as(agent).get("/tickets/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sla-compliance-chart"' in html and 'id="open-priority-chart"' in html
    assert "60.0% of 5 SLA targets met on time" in html
    assert html.count("<rect x=") >= 12  # one bar per week
    assert 'data-priority="urgent" data-count="1"' in html
    assert response.context["weeks"][-1]["total"] + response.context["weeks"][-2]["total"] == 5
