"""The inbox's reports (issue 11, part 6): known conversations give exact counts, medians and p90s; CSV of each
table; who may see the page; a fixed number of queries."""

import csv
import io
import types
from datetime import UTC, date, datetime, timedelta

import pytest

from crm import selectors
from crm.choices import ChannelKind, ConversationStatus, MessageDirection, MessageKind, MessageStatus
from crm.models import Conversation, CsatResponse, InboxTeam, Message
from tests.crm.factories import ContactFactory
from tests.omni.factories import StaffFactory

from .factories import ChannelFactory, InboxTeamFactory

URL = "/inbox/reports/"
PERIOD = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def _conversation(channel, *, at, team=None, assignee=None, resolved_after=None, merged_into=None):
    contact = ContactFactory()
    return Conversation.objects.create(
        channel=channel,
        thread_key=f"thread-{contact.pk}",
        contact=contact,
        team=team,
        assignee=assignee,
        created_at=at,
        status=ConversationStatus.RESOLVED if resolved_after is not None else ConversationStatus.OPEN,
        resolved_at=at + timedelta(seconds=resolved_after) if resolved_after is not None else None,
        merged_into=merged_into,
    )


def _message(conversation, *, after, direction, author=None, kind=MessageKind.MESSAGE):
    message = Message.objects.create(
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind=kind,
        direction=direction,
        author=author,
        body="…",
        status=MessageStatus.RECEIVED if direction == MessageDirection.INBOUND else MessageStatus.SENT,
    )
    Message.objects.filter(pk=message.pk).update(created_at=conversation.created_at + timedelta(seconds=after))
    return message


def _answered(channel, *, at, team, agent, reply_after, inbound_after=0, resolved_after=None):
    """A customer writes `inbound_after` s after the conversation starts; `agent` replies `reply_after` s later."""
    conversation = _conversation(channel, at=at, team=team, assignee=agent, resolved_after=resolved_after)
    _message(conversation, after=inbound_after, direction=MessageDirection.INBOUND)
    _message(conversation, after=inbound_after + reply_after, direction=MessageDirection.OUTBOUND, author=agent)
    return conversation


@pytest.fixture(scope="module")
def data(module_db):
    with module_db.unblock():
        email = ChannelFactory(kind=ChannelKind.EMAIL, name="Email desk")
        sms = ChannelFactory(kind=ChannelKind.SMS, name="SMS line")
        support, sales = InboxTeamFactory(name="Support"), InboxTeamFactory(name="Sales")
        ada = StaffFactory(full_name="Ada Obi", roles=["Agent"])
        bola = StaffFactory(full_name="Bola Ade", roles=["Agent"])
        # Ada, Support, email, 10 Nov: first responses 60..300 s (the customer wrote 30 s after the row was made:
        # the time counts from the message); three resolved after 600, 1200 and 3600 s.
        for n, resolved in enumerate([600, 1200, 3600, None, None]):
            _answered(
                email, at=T0 + timedelta(minutes=n), team=support, agent=ada, inbound_after=30,
                reply_after=60 * (n + 1), resolved_after=resolved,
            )  # fmt: skip
        # Bola, Support, SMS, 11 Nov: 30 s and 90 s. Before the 90 s reply, an automatic answer (no author) at 5 s
        # and a private note at 10 s, neither of which is a first response.
        _answered(sms, at=T0 + timedelta(days=1), team=support, agent=bola, reply_after=30)
        slow = _answered(sms, at=T0 + timedelta(days=1, hours=1), team=support, agent=bola, reply_after=90)
        _message(slow, after=5, direction=MessageDirection.OUTBOUND, author=None)
        _message(slow, after=10, direction=MessageDirection.OUTBOUND, author=bola, kind=MessageKind.NOTE)
        # Unassigned, no team, email, 11 Nov: the customer waits (no reply yet).
        waiting = _conversation(email, at=T0 + timedelta(days=1, hours=2))
        _message(waiting, after=0, direction=MessageDirection.INBOUND)
        # Sales, unassigned, SMS: staff started it (no inbound: no first response) on 12 Nov 23:30 UTC, which is
        # 13 Nov in Lagos; resolved 2 h later.
        started = _conversation(sms, at=datetime(2026, 11, 12, 23, 30, tzinfo=UTC), team=sales, resolved_after=7200)
        _message(started, after=0, direction=MessageDirection.OUTBOUND, author=ada)
        # Not counted: merged into another, and started before the period.
        merged = _answered(email, at=T0, team=support, agent=ada, reply_after=9999, resolved_after=9999)
        Conversation.objects.filter(pk=merged.pk).update(merged_into=waiting)
        _answered(email, at=datetime(2026, 10, 31, 22, 0, tzinfo=UTC), team=support, agent=ada, reply_after=5000)
        # Satisfaction answers on 15 Nov: Ada 5, 4 and 2 (Support), Bola 5 (no team); one in October not counted.
        rated = list(Conversation.objects.filter(assignee=ada).order_by("created_at")[:4])
        for n, (conversation, rating, agent, team) in enumerate(
            [(rated[0], 5, ada, support), (rated[1], 4, ada, support), (rated[2], 2, ada, support),
             (rated[3], 5, bola, None)]
        ):  # fmt: skip
            answer = CsatResponse.objects.create(
                conversation=conversation, resolved_at=T0 + timedelta(minutes=n), agent=agent, team=team, rating=rating
            )
            CsatResponse.objects.filter(pk=answer.pk).update(created_at=datetime(2026, 11, 15, 12, tzinfo=UTC))
        early = CsatResponse.objects.create(conversation=rated[0], resolved_at=T0 - timedelta(days=30), rating=1)
        CsatResponse.objects.filter(pk=early.pk).update(created_at=datetime(2026, 10, 15, 12, tzinfo=UTC))
    return types.SimpleNamespace(email=email, sms=sms, support=support, sales=sales, ada=ada, bola=bola)


def _period(**kw):
    return selectors.report_period(first=date(2026, 11, 1), last=date(2026, 11, 30), **kw)


def _times(rows):
    keys = ("name", "conversations", "responded", "resolved", "first_response_median", "first_response_p90",
            "resolution_median", "resolution_p90")  # fmt: skip
    return [tuple(row[k] for k in keys) for row in rows]


def test_times_per_team_are_exact_medians_and_p90s(db, data, settings):
    settings.TIME_ZONE = "UTC"
    assert _times(selectors.inbox_report_times(period=_period(), by="team")) == [
        ("Sales", 1, 0, 1, None, None, 7200.0, 7200.0),
        # 30, 60, 90, 120, 180, 240, 300: median 120; p90 = 240 + 0.4 * 60. The duplicate 9999 s one is merged.
        # Resolution 600, 1200, 3600: p90 = 1200 + 0.8 * 2400.
        ("Support", 7, 7, 3, 120.0, 264.0, 1200.0, 3120.0),
        ("", 1, 0, 0, None, None, None, None),
    ]


def test_times_per_agent_count_only_replies_people_wrote(db, data, settings):
    settings.TIME_ZONE = "UTC"
    rows = selectors.inbox_report_times(period=_period(), by="agent")
    assert _times(rows) == [
        ("Ada Obi", 5, 5, 3, 180.0, 276.0, 1200.0, 3120.0),  # 60..300: p90 = 240 + 0.6 * 60
        ("Bola Ade", 2, 2, 0, 60.0, 84.0, None, None),  # 30 and 90, not the automatic 5 s nor the note
        ("", 2, 0, 1, None, None, 7200.0, 7200.0),
    ]
    assert [row["key"] for row in rows] == [data.ada.pk, data.bola.pk, None]


def test_the_channel_filter_narrows_every_table(db, data, settings):
    settings.TIME_ZONE = "UTC"
    teams = selectors.inbox_report_times(period=_period(), by="team", channel_id=data.sms.pk)
    assert _times(teams) == [
        ("Sales", 1, 0, 1, None, None, 7200.0, 7200.0),
        ("Support", 2, 2, 0, 60.0, 84.0, None, None),
    ]
    daily = selectors.inbox_report_daily(period=_period(), channel_id=data.sms.pk)
    assert daily["total"] == 3 and [c["name"] for c in daily["channels"]] == ["SMS line"]


@pytest.mark.parametrize(("zone", "late_day"), [("UTC", 12), ("Africa/Lagos", 13)])
def test_conversations_per_channel_per_day_in_the_instance_time_zone(db, data, settings, zone, late_day):
    settings.TIME_ZONE = zone
    daily = selectors.inbox_report_daily(period=_period())
    by_day = {row["day"]: row["counts"] for row in daily["days"] if row["total"]}
    assert by_day == {
        date(2026, 11, 10): {data.email.pk: 5},
        date(2026, 11, 11): {data.sms.pk: 2, data.email.pk: 1},
        date(2026, 11, late_day): {data.sms.pk: 1},
    }
    assert len(daily["days"]) == 30 and daily["total"] == 9
    assert [c["name"] for c in daily["channels"]] == ["Email desk", "SMS line"]


def test_the_default_period_is_the_last_30_days_in_the_instance_time_zone(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    period = selectors.report_period(now=datetime(2026, 12, 3, 20, 0, tzinfo=UTC))  # 4 Dec 05:00 in Tokyo
    assert (period.first, period.last) == (date(2026, 11, 5), date(2026, 12, 4))
    assert period.start == datetime(2026, 11, 4, 15, 0, tzinfo=UTC)


# ---- the page --------------------------------------------------------------------------------------------------


def test_the_page_shows_the_tables_and_the_stacked_chart(client_as, agent, data, settings):
    settings.TIME_ZONE = "UTC"
    response = client_as(agent).get(URL, PERIOD)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-day="2026-11-11" data-count=') == 2  # two channels stacked that day
    assert 'data-key="' + str(data.ada.pk) + '"' in html
    assert "3 min 0 s" in html and "4 min 36 s" in html  # Ada: median 180 s, p90 276 s
    assert "Unassigned" in html and "No team" in html
    assert "4 answers, 4.0 of 5 on average, 75.0% satisfied" in html  # the October answer is outside the period
    assert "format=csv&amp;table=teams" in html


def test_bad_filters_are_400_naming_the_field(client_as, agent, data):
    client = client_as(agent)
    response = client.get(URL, {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert response.status_code == 400 and "date_to: The end must not be before the start." in response.content.decode()
    assert client.get(URL, {"date_from": "yesterday"}).status_code == 400
    response = client.get(URL, {"channel": "not-a-channel"})
    assert response.status_code == 400 and "channel:" in response.content.decode()
    response = client.get(URL, {"format": "csv", "table": "secrets"})
    assert response.status_code == 400 and "table:" in response.content.decode()
    assert client.get(URL, {"format": "csv"}, HTTP_HX_REQUEST="true").status_code == 422


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_csv_of_the_team_and_agent_tables(client_as, agent, data, settings):
    settings.TIME_ZONE = "UTC"
    settings.LANGUAGE_CODE = "de"  # numbers are never localised (no 1.234,5)
    client = client_as(agent)
    response = client.get(URL, {**PERIOD, "format": "csv", "table": "teams"})
    assert response["Content-Disposition"] == 'attachment; filename="inbox-teams-2026-11-01-2026-11-30.csv"'
    assert _csv(response) == [
        ["team_id", "team", "conversations", "responded", "resolved", "first_response_median_seconds",
         "first_response_p90_seconds", "resolution_median_seconds", "resolution_p90_seconds"],
        [str(data.sales.pk), "Sales", "1", "0", "1", "", "", "7200.0", "7200.0"],
        [str(data.support.pk), "Support", "7", "7", "3", "120.0", "264.0", "1200.0", "3120.0"],
        ["", "", "1", "0", "0", "", "", "", ""],
    ]  # fmt: skip
    agents = _csv(client.get(URL, {**PERIOD, "format": "csv", "table": "agents"}))
    assert agents[1] == [str(data.ada.pk), "Ada Obi", "5", "5", "3", "180.0", "276.0", "1200.0", "3120.0"]


def test_csv_of_the_daily_table(client_as, agent, data, settings):
    settings.TIME_ZONE = "Africa/Lagos"
    response = client_as(agent).get(URL, {**PERIOD, "format": "csv", "table": "daily"})
    rows = _csv(response)
    assert rows[0] == ["day", "Email desk", "SMS line", "total"]
    assert len(rows) == 31  # every day of the period, empty ones too
    assert rows[10:14] == [
        ["2026-11-10", "5", "0", "5"], ["2026-11-11", "1", "2", "3"], ["2026-11-12", "0", "0", "0"],
        ["2026-11-13", "0", "1", "1"],
    ]  # fmt: skip


def test_csat_per_agent_and_team_as_csv(client_as, agent, data, settings):
    settings.TIME_ZONE = "UTC"
    client = client_as(agent)
    rows = _csv(client.get(URL, {**PERIOD, "format": "csv", "table": "csat_agents"}))
    assert rows[0] == ["agent_id", "agent", "responses", "average", "satisfied_pct"]
    assert sorted(rows[1:]) == sorted(
        [[str(data.ada.pk), "Ada Obi", "3", "3.7", "66.7"], [str(data.bola.pk), "Bola Ade", "1", "5.0", "100.0"]]
    )
    teams = _csv(client.get(URL, {**PERIOD, "format": "csv", "table": "csat_teams"}))
    assert sorted(teams[1:]) == sorted(
        [[str(data.support.pk), "Support", "3", "3.7", "66.7"], ["", "", "1", "5.0", "100.0"]]
    )


def test_csv_cells_never_start_a_formula(client_as, agent, data, settings):
    settings.TIME_ZONE = "UTC"
    InboxTeam.objects.filter(pk=data.sales.pk).update(name="=Sales")
    try:
        rows = _csv(client_as(agent).get(URL, {**PERIOD, "format": "csv", "table": "teams"}))
    finally:
        InboxTeam.objects.filter(pk=data.sales.pk).update(name="Sales")
    assert rows[1][1] == "'=Sales"


# ---- who may see it, and what it costs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "status"),
    [(["Agent"], 200), (["Sales"], 200), (["Admin"], 200), (["Dispatcher"], 403), (["Technician"], 403)],
)
def test_access_per_role(client_as, data, roles, status):
    user = StaffFactory(roles=roles, is_superuser=roles == ["Admin"])
    response = client_as(user).get(URL)
    assert response.status_code == status
    assert (b"Inbox reports" in response.content) == (status == 200)


def test_customers_and_anonymous_visitors_are_refused(client, client_as, customer):
    assert client_as(customer).get(URL).status_code == 403
    response = client.get(URL, HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={URL}"


@pytest.mark.parametrize("extra", [0, 30])
def test_the_page_runs_a_fixed_number_of_queries(client_as, agent, data, extra, django_assert_max_num_queries):
    for n in range(extra):
        _answered(data.email, at=T0 + timedelta(hours=n), team=data.sales, agent=data.bola, reply_after=n + 1)
    client = client_as(agent)
    client.get(URL, PERIOD)  # the session and permissions warm up alike in both runs
    # session, user, user and group permissions, channels (filter), daily counts + channels, teams, agents
    with django_assert_max_num_queries(12):
        response = client.get(URL, {**PERIOD, "channel": str(data.email.pk)})
    assert response.status_code == 200
