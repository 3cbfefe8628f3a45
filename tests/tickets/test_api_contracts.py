"""The tickets API resources run the shared API contracts (tests/omni/api_contract.py):

  business calendars  staff by role (Agent, Dispatcher, Admin read; Admin writes), hard delete, limit/offset
  SLA policies        staff by role (Agent, Dispatcher, Admin), read-only, limit/offset

What is particular to each resource stays in its own file: hours, holidays and seeding in test_calendar_api.py,
the 409 for deleting a calendar a policy uses in test_sla_policies.py."""

import pytest

from tests.omni.api_contract import (
    HardDeleteContract,
    LimitOffsetListContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    StaffOnlyContract,
    assert_error,
)
from tests.tickets.factories import BusinessCalendarFactory, HolidayFactory, SLAPolicyFactory, office_hours
from tickets.models import BusinessCalendar, EscalationRule, SLACondition, SLAPolicy, SLATarget

API = "/api/v1/tickets/"

# ---- business calendars ------------------------------------------------------------------------------------------


class TestBusinessCalendarApi(
    ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    url = f"{API}calendars/"
    model = BusinessCalendar
    list_queries = 6  # token + user, last_used_at stamp, COUNT, the page, its hours, its holidays
    ordering_fields = ["name", "created_at", "updated_at"]

    def make_rows(self, n):
        BusinessCalendar.objects.bulk_create(
            [BusinessCalendar(name=f"Bulk Calendar {i:04d}", time_zone="Africa/Lagos") for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        calendar = BusinessCalendarFactory(name="Lagos office", time_zone="Africa/Lagos", country="NG")
        office_hours(calendar)
        HolidayFactory(calendar=calendar, name="Year end")
        return calendar

    @pytest.fixture
    def create_payload(self):
        return {"name": "Berlin office", "time_zone": "Europe/Berlin", "country": "DE"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Lagos HQ", "time_zone": "Africa/Lagos"}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("name", {"name": "", "time_zone": "Africa/Lagos"}),
            ("name", {"name": "x" * 101, "time_zone": "Africa/Lagos"}),
            ("time_zone", {"name": "Atlantis", "time_zone": "Europe/Atlantis"}),
            ("country", {"name": "Nowhere", "time_zone": "Africa/Lagos", "country": "QQQ"}),
            ("ical_url", {"name": "Feed", "time_zone": "Africa/Lagos", "ical_url": "not a url"}),
        ]


def test_a_calendar_name_is_unique_through_the_api(api_as, admin_user):
    BusinessCalendarFactory(name="Lagos office")
    before = list(BusinessCalendar.objects.order_by("pk").values())
    response = api_as(admin_user).post(f"{API}calendars/", {"name": "Lagos office", "time_zone": "Africa/Lagos"})
    assert_error(response, 400, field="name", code="invalid")
    assert list(BusinessCalendar.objects.order_by("pk").values()) == before


# ---- SLA policies ------------------------------------------------------------------------------------------------


class TestSLAPolicyApi(ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract):
    """Read-only through the API (Admin edits policies in the admin): see test_sla_policies_are_read_only."""

    url = f"{API}sla-policies/"
    model = SLAPolicy
    list_queries = 7  # token + user, last_used_at stamp, COUNT, the page (calendar joined), conditions, targets,
    # escalations
    ordering_fields = ["position", "name", "updated_at"]

    def make_rows(self, n):
        calendar = BusinessCalendarFactory(name="Bulk calendar")
        SLAPolicy.objects.bulk_create(
            [SLAPolicy(name=f"Bulk Policy {i:04d}", position=1000 + i, calendar=calendar) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db, admin_user):
        policy = SLAPolicyFactory(name="Urgent", position=1, description="Urgent tickets first.")
        SLACondition.objects.create(policy=policy, field="priority", values=["urgent"])
        SLATarget.objects.create(policy=policy, metric="resolution", minutes=240)
        EscalationRule.objects.create(
            policy=policy, metric="resolution", kind="warn", percent=75, action="notify_user", user=admin_user
        )
        return policy


def test_sla_policies_are_read_only_through_the_api(api_as, admin_user):
    policy = SLAPolicyFactory(name="Default", position=9)
    before = list(SLAPolicy.objects.order_by("pk").values())
    client, detail = api_as(admin_user), f"{API}sla-policies/{policy.pk}/"
    assert_error(client.post(f"{API}sla-policies/", {"name": "New"}), 405, code="method_not_allowed")
    assert_error(client.patch(detail, {"name": "Changed"}), 405, code="method_not_allowed")
    assert_error(client.put(detail, {"name": "Changed"}), 405, code="method_not_allowed")
    assert_error(client.delete(detail), 405, code="method_not_allowed")
    assert list(SLAPolicy.objects.order_by("pk").values()) == before
