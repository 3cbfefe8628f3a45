"""/api/v1/crm/leads/ and /api/v1/crm/lead-stages/: the shared API contracts, plus the reseller's registration,
moves, conversion (once), duplicates, filters and the event payloads (the API's staff view of the lead)."""

from datetime import date

import pytest
from django.db import transaction

from crm.models import Account, Lead, LeadStage
from notifications.models import OutboxEvent
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory
from tests.crm.lead_factories import LeadFactory, stage
from tests.omni.api_contract import (
    HardDeleteContract,
    LimitOffsetListContract,
    PortalScopeContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    StaffOnlyContract,
    assert_error,
    ids_of,
)
from tests.omni.factories import StaffFactory

URL = "/api/v1/crm/leads/"
STAGES = "/api/v1/crm/lead-stages/"


class TestLeadApi(
    ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    url = URL
    model = Lead
    # token + user, last_used_at stamp, COUNT, the page (stage, owner, reseller, account, contact joined)
    list_queries = 5
    ordering_fields = ["number", "last_name", "expected_monthly_value", "next_follow_up", "created_at", "updated_at"]

    def make_rows(self, n):
        reseller = ResellerFactory()
        rows = LeadFactory.build_batch(n)
        for i, row in enumerate(rows):
            row.reseller = reseller if i % 2 else None
            row.next_follow_up = date(2026, 12, 1 + i % 28) if i % 3 else None
        Lead.objects.bulk_create(rows)

    @pytest.fixture
    def portal_user(self, reseller):
        return reseller

    @pytest.fixture
    def obj(self, reseller_org):
        return LeadFactory(reseller=reseller_org, source="reseller")

    @pytest.fixture
    def outside_obj(self):
        return LeadFactory(reseller=ResellerFactory())

    @pytest.fixture
    def create_payload(self):
        return {
            "first_name": "Chidi",
            "last_name": "Eze",
            "company": "Eze Foods",
            "email": "chidi@eze.example.com",
            "phone": "+2348031234567",
            "service_address": "3 Allen Avenue, Ikeja",
            "location": {"type": "Point", "coordinates": [3.35, 6.6]},
            "source": "walk_in",
            "currency": "NGN",
            "expected_monthly_value": "25000.00",
            "next_follow_up": "2026-12-10",
            "notes": "Wants 100 Mbps",
        }

    @pytest.fixture
    def update_payload(self):
        return {"company": "Eze Foods Ltd", "expected_monthly_value": "30000.50"}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("first_name", {"first_name": ""}),
            ("email", {"first_name": "X", "email": "nope"}),
            ("phone", {"first_name": "X", "phone": "12345"}),
            ("location", {"first_name": "X", "location": {"type": "Point", "coordinates": [200, 1]}}),
            ("source", {"first_name": "X", "source": "carrier pigeon"}),
            ("stage", {"first_name": "X", "stage": "00000000-0000-0000-0000-000000000000"}),
            ("owner", {"first_name": "X", "owner": "nope"}),
            ("currency", {"first_name": "X", "currency": "naira"}),
            ("expected_monthly_value", {"first_name": "X", "expected_monthly_value": "-1.00"}),
            ("expected_monthly_value", {"first_name": "X", "expected_monthly_value": 0.1}),  # a float: refused
            ("expected_monthly_value", {"first_name": "X", "expected_monthly_value": "1.005"}),
            ("next_follow_up", {"first_name": "X", "next_follow_up": "tomorrow"}),
        ]

    def test_portal_user_cannot_write_and_nothing_changed(self, api_as, portal_user, obj, update_payload):
        """A reseller user registers leads (test_reseller_registers_a_lead_for_their_reseller) but changes none."""
        client = api_as(portal_user)
        before = self.table()
        assert_error(client.patch(self.detail(obj), update_payload), 403, code="permission_denied")
        assert_error(client.put(self.detail(obj), {"first_name": "X"}), 403, code="permission_denied")
        assert_error(client.delete(self.detail(obj)), 403, code="permission_denied")
        for action, body in (("move", {"stage": str(stage("Contacted").pk)}), ("convert", {})):
            assert_error(client.post(f"{self.detail(obj)}{action}/", body), 403, code="permission_denied")
        assert_error(client.get(f"{self.detail(obj)}duplicates/"), 403, code="permission_denied")
        assert self.table() == before


def test_money_is_a_decimal_string_and_0_1_plus_0_2_is_0_3(api_as, sales):
    client = api_as(sales)
    body = client.post(URL, {"first_name": "A", "expected_monthly_value": "0.3"}).json()
    assert body["expected_monthly_value"] == "0.30"
    lead = Lead.objects.get(pk=body["id"])
    LeadFactory(expected_monthly_value="0.1", currency="NGN", stage=lead.stage)
    LeadFactory(expected_monthly_value="0.2", currency="NGN", stage=lead.stage)
    from crm import selectors

    (column,) = [c for c in selectors.lead_board(queryset=Lead.objects.all()) if c.stage == lead.stage]
    assert str(column.totals["NGN"]) == "0.60"
    response = client.post(URL, {"first_name": "B", "expected_monthly_value": 0.3})
    assert_error(response, 400, field="expected_monthly_value")


def test_customers_and_vendors_get_403_on_leads(api_as, customer, vendor, reseller_org):
    lead = LeadFactory(reseller=reseller_org)
    for user in (customer, vendor):
        client = api_as(user)
        assert_error(client.get(URL), 403, code="permission_denied")
        assert_error(client.get(f"{URL}{lead.pk}/"), 403, code="permission_denied")
        assert_error(client.post(URL, {"first_name": "X"}), 403, code="permission_denied")
    assert Lead.objects.count() == 1


def test_dispatchers_and_technicians_get_403_and_agents_read_only(api_as, agent):
    lead = LeadFactory()
    for role in ("Dispatcher", "Technician"):
        assert_error(api_as(StaffFactory(roles=[role])).get(URL), 403, code="permission_denied")
    client = api_as(agent)
    assert ids_of(client.get(URL)) == [str(lead.pk)]
    body = assert_error(client.post(f"{URL}{lead.pk}/move/", {"stage": str(stage("Contacted").pk)}), 403)
    assert body["detail"] == "Your role may not change leads."
    assert_error(client.post(f"{URL}{lead.pk}/convert/", {}), 403)
    assert client.get(f"{URL}{lead.pk}/duplicates/").status_code == 200


def test_reseller_registers_a_lead_for_their_reseller(api_as, reseller, reseller_org, sales):
    client = api_as(reseller)
    response = client.post(
        URL, {"first_name": "Ngozi", "phone": "08039998888", "source": "website", "reseller": str(ResellerFactory().pk)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reseller"] == {"id": str(reseller_org.pk), "name": reseller_org.name}
    assert body["source"] == "reseller" and "notes" not in body and "owner" not in body
    lead = Lead.objects.get(pk=body["id"])
    assert (lead.reseller, lead.source, lead.created_by, lead.owner) == (reseller_org, "reseller", reseller, None)
    assert ids_of(client.get(URL)) == [body["id"]]
    # Staff see it with the staff fields.
    staff_view = api_as(sales).get(f"{URL}{lead.pk}/").json()
    assert staff_view["owner"] is None and staff_view["notes"] == ""


def test_a_reseller_sees_only_their_resellers_leads_and_accounts(api_as, reseller, reseller_org):
    mine = LeadFactory(reseller=reseller_org)
    theirs = LeadFactory(reseller=ResellerFactory())
    LeadFactory(reseller=None)
    own_account = AccountFactory(reseller=reseller_org)
    AccountFactory(reseller=ResellerFactory())
    client = api_as(reseller)
    assert ids_of(client.get(URL)) == [str(mine.pk)]
    assert_error(client.get(f"{URL}{theirs.pk}/"), 404, code="not_found")
    assert ids_of(client.get("/api/v1/crm/accounts/")) == [str(own_account.pk)]


def test_move_needs_a_reason_for_lost_and_answers_the_lead(api_as, sales, django_capture_on_commit_callbacks):
    lead = LeadFactory()
    client = api_as(sales)
    lost = str(stage("Lost").pk)
    assert_error(client.post(f"{URL}{lead.pk}/move/", {"stage": lost}), 400, field="lost_reason")
    response = client.post(f"{URL}{lead.pk}/move/", {"stage": lost, "lost_reason": "Chose a competitor"})
    assert response.status_code == 200, response.content
    assert response.json()["stage"]["name"] == "Lost" and response.json()["lost_reason"] == "Chose a competitor"
    assert_error(client.post(f"{URL}{lead.pk}/move/", {"stage": "nope"}), 400, field="stage")
    (event,) = OutboxEvent.objects.filter(event="crm.lead.updated")
    assert event.data == client.get(f"{URL}{lead.pk}/").json()  # the payload is the API's staff view


def test_convert_once_then_409(api_as, sales):
    lead = LeadFactory(company="Acme", email="ops@acme.example.com")
    client = api_as(sales)
    response = client.post(f"{URL}{lead.pk}/convert/", {})
    assert response.status_code == 200, response.content
    body = response.json()
    account = Account.objects.get()
    assert body["account"] == {"id": str(account.pk), "number": account.number, "name": "Acme"}
    assert body["stage"]["is_won"] is True and body["converted_at"] and body["contact"]["full_name"]
    assert_error(client.post(f"{URL}{lead.pk}/convert/", {}), 409, field="lead")
    assert Account.objects.count() == 1
    (event,) = OutboxEvent.objects.filter(event="crm.lead.converted")
    assert event.data == client.get(f"{URL}{lead.pk}/").json()


def test_convert_into_an_existing_account(api_as, sales):
    account = AccountFactory()
    lead = LeadFactory()
    client = api_as(sales)
    assert_error(client.post(f"{URL}{lead.pk}/convert/", {"account": str(account.pk), "name": "X"}), 400, field="name")
    response = client.post(f"{URL}{lead.pk}/convert/", {"account": str(account.pk)})
    assert response.status_code == 200, response.content
    assert response.json()["account"]["id"] == str(account.pk)
    assert Account.objects.count() == 1


def test_duplicates_endpoint(api_as, sales):
    lead = LeadFactory(email="dup@example.com", phone="+2348035550000")
    contact = ContactFactory(email="DUP@example.com")
    other = LeadFactory(phone="+2348035550000")
    body = api_as(sales).get(f"{URL}{lead.pk}/duplicates/").json()
    assert body["contacts"] == [{"id": str(contact.pk), "full_name": contact.full_name}]
    assert [row["id"] for row in body["leads"]] == [str(other.pk)]


def test_filters(api_as, sales, reseller_org):
    client = api_as(sales)
    a = LeadFactory(owner=sales, next_follow_up=date(2026, 12, 1), source="website", company="Zenith Fibre")
    b = LeadFactory(reseller=reseller_org, stage=stage("Qualified"), next_follow_up=date(2026, 12, 20))
    c = LeadFactory(stage=stage("Lost"), lost_reason="Price")

    def ids(**params):
        return sorted(ids_of(client.get(URL, params)))

    assert ids(owner=sales.pk) == [str(a.pk)]
    assert ids(stage=stage("Qualified").pk) == [str(b.pk)]
    assert ids(source="website") == [str(a.pk)]
    assert ids(reseller=reseller_org.pk) == [str(b.pk)]
    assert ids(follow_up_before="2026-12-05") == [str(a.pk)]
    assert ids(follow_up_after="2026-12-05") == [str(b.pk)]
    assert ids(search="zenith") == ids(q="Zenith") == [str(a.pk)]
    assert ids(open="false") == [str(c.pk)]
    assert ids(converted="false") == sorted(str(x.pk) for x in (a, b, c))
    assert ids(converted="true") == []
    assert_error(client.get(URL, {"follow_up_before": "soon"}), 400, field="follow_up_before")
    assert_error(client.get(URL, {"updated_since": "yesterday"}), 400, field="updated_since")


# ---- stages ----------------------------------------------------------------------------------------------------


class TestLeadStageApi(
    ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    url = STAGES
    model = LeadStage
    list_queries = 4
    ordering_fields = ["position", "name", "created_at"]

    def make_rows(self, n):
        LeadStage.objects.bulk_create(LeadStage(name=f"Stage {i}", position=100 + i % 7) for i in range(n))

    @pytest.fixture(autouse=True)
    def _without_the_seeded_pipeline(self, db):
        LeadStage.objects.all().delete()  # the contracts count the rows they made

    @pytest.fixture
    def obj(self, db):
        return LeadStage.objects.create(name="Negotiation", position=35)

    @pytest.fixture
    def create_payload(self):
        return {"name": "Site survey", "position": 25, "probability": 30}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Negotiating", "position": 36}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("name", {"name": ""}),
            ("name", {"name": "negotiation"}),  # taken, in any case
            ("probability", {"name": "X", "probability": 101}),
            ("is_lost", {"name": "X", "is_won": True, "is_lost": True}),
        ]

    def test_bad_input_is_400_naming_the_field(self, api_as, writer, obj, bad_payloads):
        client = api_as(writer)
        before = self.table()
        for field, payload in bad_payloads:
            assert_error(client.post(self.url, payload), 400, field=field, code="invalid")
        for field, payload in bad_payloads[2:]:
            assert_error(client.patch(self.detail(obj), payload), 400, field=field, code="invalid")
        assert self.table() == before


def test_a_stage_with_leads_cannot_be_deleted_or_flip_won(api_as, admin_user):
    LeadFactory(stage=stage("Qualified"))
    client = api_as(admin_user)
    url = f"{STAGES}{stage('Qualified').pk}/"
    with transaction.atomic():
        assert_error(client.delete(url), 409)
    assert_error(client.patch(url, {"is_won": True}), 409, field="is_won")
    assert LeadStage.objects.filter(name="Qualified", is_won=False).exists()


def test_created_event_is_the_apis_staff_view(api_as, sales):
    client = api_as(sales)
    body = client.post(URL, {"first_name": "Efe", "company": "Efe Farms", "expected_monthly_value": "100.10"}).json()
    (event,) = OutboxEvent.objects.filter(event="crm.lead.created")
    assert event.data == body == client.get(f"{URL}{body['id']}/").json()
    assert event.permission == "crm.view_lead" and event.actor_id == sales.pk
    assert event.url.endswith(f"/leads/{body['id']}/")


def test_patching_the_stage_follows_the_move_rules(api_as, sales):
    lead = LeadFactory()
    client = api_as(sales)
    url = f"{URL}{lead.pk}/"
    assert_error(client.patch(url, {"stage": str(stage("Lost").pk)}), 400, field="lost_reason")
    response = client.patch(url, {"stage": str(stage("Lost").pk), "lost_reason": "Budget"})
    assert response.status_code == 200 and response.json()["lost_reason"] == "Budget"
    response = client.patch(url, {"stage": str(stage("Qualified").pk)})
    assert response.json()["stage"]["name"] == "Qualified" and response.json()["lost_reason"] == ""
    assert client.post(f"{url}convert/", {}).status_code == 200
    body = assert_error(client.patch(url, {"stage": str(stage("New").pk)}), 409, field="stage")
    assert "was converted" in body["detail"]
    assert client.patch(url, {"notes": "Installed on Monday"}).status_code == 200  # other fields stay editable
    assert_error(client.delete(url), 409)


def test_a_staff_user_without_staff_access_sees_no_leads(db):
    from crm.selectors import lead_list_visible_to

    LeadFactory()
    admin = StaffFactory(roles=["Admin"])
    unstaffed = StaffFactory(roles=["Admin"], is_staff=False)
    assert lead_list_visible_to(user=admin).exists()
    assert not lead_list_visible_to(user=unstaffed).exists()


def test_the_catalogue_lists_the_payloads_fields(db):
    from crm.events import LEAD_PAYLOAD
    from crm.selectors import lead_payload

    lead = LeadFactory()
    assert list(lead_payload(lead.pk)) == list(LEAD_PAYLOAD)
