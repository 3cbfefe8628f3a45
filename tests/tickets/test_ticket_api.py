"""The tickets and teams API: the shared contracts (tests/omni/api_contract.py), then what is particular to
tickets: PATCH of status through the transition rules (409 naming both statuses), comments per audience, and
customers kept to their own account's tickets and public replies."""

import pytest

from tests.crm.factories import AccountFactory
from tests.omni.api_contract import (
    MISSING_ID,
    LimitOffsetListContract,
    PortalScopeContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    StaffOnlyContract,
    assert_error,
)
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets import services
from tickets.choices import TeamAccess, TicketStatus
from tickets.models import Team, Ticket, TicketComment

API = "/api/v1/tickets/"
TICKETS = f"{API}tickets/"


class TestTicketApi(ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract, RoleWriteContract):
    url = TICKETS
    model = Ticket
    writes = ("create", "update")
    list_queries = 6  # token + user, last_used_at stamp, the user's permissions (role groups), COUNT, the page
    ordering_fields = ["number", "priority", "status", "created_at", "updated_at"]

    def make_rows(self, n):
        account = AccountFactory()
        Ticket.objects.bulk_create([Ticket(account=account, subject=f"Bulk {i:04d}") for i in range(n)])

    def visible_rows(self):
        return Ticket.objects.live()

    def _assert_stored(self, stored, payload: dict) -> None:
        for name, value in payload.items():
            if isinstance(value, str | int | bool):
                attname = Ticket._meta.get_field(name).attname
                assert str(getattr(stored, attname)) == str(value), name

    @pytest.fixture
    def obj(self, account):
        # No team: the intake queue, which every staff user with view_ticket sees.
        return TicketFactory(account=account, subject="Router down", tags=["fiber"])

    @pytest.fixture
    def outside_obj(self, other_account):
        return TicketFactory(account=other_account, subject="Not yours")

    @pytest.fixture
    def create_payload(self, account):
        return {"account": str(account.pk), "subject": "No internet", "priority": "high", "tags": ["Fiber"]}

    @pytest.fixture
    def update_payload(self):
        return {"subject": "Router down again", "priority": "urgent"}

    @pytest.fixture
    def bad_payloads(self, account):
        return [
            ("subject", {"account": str(account.pk), "subject": ""}),
            ("priority", {"account": str(account.pk), "subject": "x", "priority": "meh"}),
            ("account", {"account": MISSING_ID, "subject": "x"}),
            ("tags", {"account": str(account.pk), "subject": "x", "tags": ["x" * 51]}),
        ]


class TestTeamApi(ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract):
    url = f"{API}teams/"
    model = Team
    list_queries = 6  # token + user, last_used_at stamp, permissions, COUNT, the page, its members
    ordering_fields = ["name", "updated_at"]

    def make_rows(self, n):
        Team.objects.bulk_create([Team(name=f"Bulk team {i:04d}") for i in range(n)])

    @pytest.fixture
    def obj(self, agent):
        return TeamFactory(name="Network", members=[agent])


# ---- status through PATCH ----------------------------------------------------------------------------------------


def test_an_invalid_status_patch_is_409_naming_both_statuses(api_as, agent, account):
    ticket = TicketFactory(account=account, status=TicketStatus.CLOSED)
    body = assert_error(api_as(agent).patch(f"{TICKETS}{ticket.pk}/", {"status": "open"}), 409, field="status")
    assert body["detail"] == "A Closed ticket cannot become Open."
    assert body["code"] == "invalid_transition"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_resolving_through_patch_needs_a_resolution(api_as, agent, account):
    ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    client = api_as(agent)
    body = assert_error(client.patch(f"{TICKETS}{ticket.pk}/", {"status": "resolved"}), 400, field="resolution")
    assert body["fields"] == {"resolution": ["Resolving needs a resolution note."]}
    response = client.patch(f"{TICKETS}{ticket.pk}/", {"status": "resolved", "resolution": "Replaced the ONT"})
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    ticket.refresh_from_db()
    assert ticket.resolution == "Replaced the ONT"


def test_staff_outside_the_team_get_404_and_read_only_access_403(api_as, agent, account):
    team = TeamFactory(name="Billing")
    ticket = TicketFactory(account=account, team=team, status=TicketStatus.OPEN)
    client = api_as(agent)
    assert_error(client.get(f"{TICKETS}{ticket.pk}/"), 404, code="not_found")
    assert ticket.subject not in [row["subject"] for row in client.get(TICKETS).json()["results"]]
    services.team_access_set(team_id=team.pk, user_id=agent.pk, access=TeamAccess.READ)
    assert client.get(f"{TICKETS}{ticket.pk}/").json()["subject"] == ticket.subject
    body = assert_error(client.patch(f"{TICKETS}{ticket.pk}/", {"status": "on_hold"}), 403, code="permission_denied")
    assert body["detail"] == "You have read-only access to this team's tickets."
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_filters(api_as, admin_user, account, other_account, agent):
    team = TeamFactory(name="Network")
    a = TicketFactory(account=account, team=team, priority="high", status=TicketStatus.OPEN, assignee=agent)
    b = TicketFactory(account=other_account, priority="low")
    client = api_as(admin_user)

    def ids(**params):
        return {row["id"] for row in client.get(TICKETS, params).json()["results"]}

    assert ids(status="open") == {str(a.pk)}
    assert ids(priority="low") == {str(b.pk)}
    assert ids(team=str(team.pk)) == {str(a.pk)}
    assert ids(assignee=str(agent.pk)) == {str(a.pk)}
    assert ids(account=str(other_account.pk)) == {str(b.pk)}
    assert ids(search=a.number) == {str(a.pk)}
    assert ids(updated_since="2999-01-01T00:00:00Z") == set()


# ---- comments ----------------------------------------------------------------------------------------------------


def test_customers_see_public_replies_only_and_reply_publicly(api_as, agent, customer, account):
    ticket = TicketFactory(account=account, status=TicketStatus.RESOLVED)
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Customer sounds upset", public=False)
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="Fixed it")
    client, url = api_as(customer), f"{TICKETS}{ticket.pk}/comments/"
    assert client.get(url).json() == [
        {
            "id": str(reply.pk),
            "ticket": str(ticket.pk),
            "author": str(agent.pk),
            "body": "Fixed it",
            "public": True,
            "created_at": client.get(url).json()[0]["created_at"],
        }
    ]
    assert_error(client.post(url, {"body": "psst", "public": False}), 400, field="public")
    response = client.post(url, {"body": "Still broken"})
    assert response.status_code == 201
    assert response.json()["public"] is True
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN  # the customer's reply reopened it
    assert [row["body"] for row in api_as(agent).get(url).json()] == [
        "Customer sounds upset",
        "Fixed it",
        "Still broken",
    ]


def test_a_customer_cannot_read_or_reply_on_another_accounts_ticket(api_as, customer, other_account):
    ticket = TicketFactory(account=other_account)
    client = api_as(customer)
    assert_error(client.get(f"{TICKETS}{ticket.pk}/"), 404, code="not_found")
    assert_error(client.get(f"{TICKETS}{ticket.pk}/comments/"), 404, code="not_found")
    assert_error(client.post(f"{TICKETS}{ticket.pk}/comments/", {"body": "hi"}), 404, code="not_found")
    assert not TicketComment.objects.exists()


def test_staff_notes_need_change_ticket(api_as, agent, account):
    from tests.omni.factories import StaffFactory

    ticket = TicketFactory(account=account, status=TicketStatus.OPEN)
    url = f"{TICKETS}{ticket.pk}/comments/"
    response = api_as(agent).post(url, {"body": "Checked the OLT", "public": False})
    assert response.status_code == 201 and response.json()["public"] is False
    dispatcher = StaffFactory(roles=["Dispatcher"])
    assert api_as(dispatcher).get(url).status_code == 200
    assert_error(api_as(dispatcher).post(url, {"body": "x"}), 403, code="permission_denied")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a note is no response


@pytest.mark.parametrize("audience", ["staff", "customer"])
def test_a_list_row_is_the_detail_answer_with_times_in_utc(api_as, admin_user, customer, account, audience, settings):
    """The list reads rows straight from values() (selectors.ticket_rows), the detail through TicketOut: the same
    answer, every field set, in any time zone."""
    from datetime import UTC, datetime

    from tests.crm.factories import ContactFactory

    settings.TIME_ZONE = "Africa/Lagos"
    ticket = TicketFactory(
        account=account, contact=ContactFactory(), team=TeamFactory(members=[admin_user]), assignee=admin_user,
        tags=["fiber", "vip"], priority="high", status=TicketStatus.OPEN,
    )  # fmt: skip
    due = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=due, resolution_due=due, sla_state="warning")
    client = api_as(admin_user if audience == "staff" else customer)
    [row] = client.get(TICKETS, {"limit": 5}).json()["results"]
    detail = client.get(f"{TICKETS}{ticket.pk}/").json()
    assert row == detail
    assert list(row) == list(detail)  # the same keys in the same order
    assert row["first_response_due"] == "2026-12-04T09:30:15.123456Z" and row["created_at"].endswith("Z")
    assert row["team"] == str(ticket.team_id) and row["tags"] == ["fiber", "vip"] and row["sla_state"] == "warning"


@pytest.mark.parametrize("rows", [10, 500])
def test_an_agents_list_runs_a_fixed_number_of_queries(api_as, agent, rows, django_assert_max_num_queries):
    """The team scope is two EXISTS subqueries (membership, guardian access), not a join per team."""
    mine, granted, other = TeamFactory(members=[agent]), TeamFactory(), TeamFactory()
    services.team_access_set(team_id=granted.pk, user_id=agent.pk, access=TeamAccess.READ)
    account = AccountFactory()
    Ticket.objects.bulk_create(
        [Ticket(account=account, subject=f"T{i}", team=(mine, granted, other)[i % 3]) for i in range(rows)]
    )
    client = api_as(agent)
    with django_assert_max_num_queries(6):  # token + user, last_used_at stamp, permissions, COUNT, the page
        response = client.get(TICKETS, {"limit": 1000})
    body = response.json()
    assert body["count"] == len(body["results"]) == len([i for i in range(rows) if i % 3 != 2])
    assert {row["team"] for row in body["results"]} == {str(mine.pk), str(granted.pk)}


def test_a_reseller_lists_and_reads_its_accounts_tickets_only(api_as, reseller, reseller_org, account):
    theirs = TicketFactory(account=AccountFactory(reseller=reseller_org), subject="Resold line down")
    not_theirs = TicketFactory(account=account)
    client = api_as(reseller)
    assert [row["id"] for row in client.get(TICKETS).json()["results"]] == [str(theirs.pk)]
    assert client.get(f"{TICKETS}{theirs.pk}/").json()["subject"] == "Resold line down"
    assert_error(client.get(f"{TICKETS}{not_theirs.pk}/"), 404, code="not_found")
    assert client.post(f"{TICKETS}{theirs.pk}/comments/", {"body": "Our customer asks"}).status_code == 201


# ---- SLA ---------------------------------------------------------------------------------------------------------


def test_the_sla_columns_and_filters(api_as, admin_user, account):
    from tests.tickets.sla_support import policy_with

    policy_with(business_hours=False, first_response=60, resolution=240)
    client = api_as(admin_user)
    created = client.post(TICKETS, {"account": str(account.pk), "subject": "Down"})
    assert created.status_code == 201
    body = created.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["sla_state"] == "running"
    assert body["first_response_due"] is not None and body["resolution_due"] is not None
    assert (body["first_response_due"][:16], body["resolution_due"][:16]) == (
        ticket.first_response_due.isoformat()[:16],
        ticket.resolution_due.isoformat()[:16],
    )
    late = TicketFactory(account=account, sla_state="breached")
    plain = TicketFactory(account=account)

    def ids(**params):
        response = client.get(TICKETS, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(breached="true") == {str(late.pk)}
    assert ids(breached="false") == {str(ticket.pk), str(plain.pk)}
    assert ids(sla_state="running") == {str(ticket.pk)}
    assert ids(sla_state=["running", "breached"]) == {str(ticket.pk), str(late.pk)}
    assert_error(client.get(TICKETS, {"breached": "maybe"}), 400, field="breached")
    assert_error(client.get(TICKETS, {"sla_state": "late"}), 400, field="sla_state")


def test_sla_fields_are_read_only(api_as, admin_user, account):
    ticket = TicketFactory(account=account)
    response = api_as(admin_user).patch(f"{TICKETS}{ticket.pk}/", {"sla_state": "met", "subject": "New"})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.subject) == ("", "New")


def test_full_text_search_never_finds_a_note_or_another_account_for_a_customer(
    api_as, agent, admin_user, customer, other_customer, account, other_account
):
    ours = TicketFactory(account=account, subject="Router rebooting")
    theirs = TicketFactory(account=other_account, subject="Router rebooting too")
    services.comment_add(ticket_id=ours.pk, author=agent, body="Replaced the fibre patch cord")
    services.comment_add(ticket_id=ours.pk, author=agent, body="Customer owes money, be firm", public=False)

    def found(user, words):
        response = api_as(user).get(TICKETS, {"q": words})
        assert response.status_code == 200
        return {row["number"] for row in response.json()["results"]}

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert found(customer, "reboots") == {ours.number}  # stemmed, and the other account's ticket is not found
    assert found(customer, "patch cords") == {ours.number}  # public replies are searched
    assert found(customer, "owes money") == set()  # internal notes never are, for a portal user
    assert found(other_customer, "patch cord") == set()
    assert found(admin_user, "owes money") == {ours.number}  # staff search notes too
    assert found(admin_user, "rebooting") == {ours.number, theirs.number}
