"""/api/v1/crm/accounts/: the ApiContract plus what is particular to accounts."""

import re

import pytest
from django.contrib.gis.geos import Point

from crm.choices import AccountStatus
from crm.models import Account
from tests.crm.factories import AccountFactory, ResellerFactory
from tests.omni.api_contract import ApiContract, assert_error

URL = "/api/v1/crm/accounts/"
NUMBER = re.compile(r"^ACC-\d{6}$")


class TestAccountApi(ApiContract):
    url = URL
    model = Account
    # token + user, last_used_at stamp, COUNT, the page (reseller joined, coordinates computed in SQL)
    list_queries = 4
    ordering_fields = ["number", "name", "status", "kind", "created_at", "updated_at"]

    def make_rows(self, n):
        reseller = ResellerFactory()
        rows = AccountFactory.build_batch(n)
        for i, row in enumerate(rows):
            row.reseller = reseller if i % 2 else None
            row.location = None if i % 3 == 0 else row.location
        Account.objects.bulk_create(rows)

    @pytest.fixture
    def obj(self, account):
        return account

    @pytest.fixture
    def outside_obj(self, other_account, other_customer):
        return other_account

    @pytest.fixture
    def create_payload(self):
        return {
            "name": "Acme Fibre Ltd",
            "kind": "business",
            "status": "prospect",
            "email": "ops@acme.example.com",
            "phone": "+2348031234567",
            "service_address": "12 Marina Road, Lagos",
            "location": {"type": "Point", "coordinates": [3.4, 6.45]},
            "tags": ["Fiber", " VIP  Gold ", "fiber"],
            "notes": "Gate code 1234",
        }

    @pytest.fixture
    def update_payload(self):
        return {"name": "Renamed Ltd", "email": "new@acme.example.com", "service_address": "1 New Street"}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("phone", {"name": "X", "phone": "12345"}),
            ("phone", {"name": "X", "phone": "not a phone"}),
            ("email", {"name": "X", "email": "not-an-email"}),
            ("location", {"name": "X", "location": {"type": "Point", "coordinates": [3.4]}}),
            ("location", {"name": "X", "location": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}),
            ("location", {"name": "X", "location": {"type": "Point", "coordinates": [200, 6.4]}}),
            ("location", {"name": "X", "location": {"type": "Point", "coordinates": ["3.4", "6.4"]}}),
            ("location", {"name": "X", "location": "POINT(3.4 6.4)"}),
            ("kind", {"name": "X", "kind": "alien"}),
            ("status", {"name": "X", "status": "vanished"}),
            ("reseller", {"name": "X", "reseller": "00000000-0000-0000-0000-000000000000"}),
            ("reseller", {"name": "X", "reseller": "nope"}),
            ("tags", {"name": "X", "tags": ["x" * 51]}),
            ("tags", {"name": "X", "tags": "fiber"}),
            ("name", {"name": ""}),
            ("name", {"name": "x" * 201}),
        ]


# ---- create, read, update ------------------------------------------------------------------------------


def test_create_assigns_number_and_stores_everything(api_as, admin_user):
    response = api_as(admin_user).post(
        URL,
        {
            "name": "Acme",
            "kind": "business",
            "status": "prospect",
            "phone": "08031234567",  # national format: stored as E.164 (PHONENUMBER_DEFAULT_REGION=NG)
            "location": {"type": "Point", "coordinates": [3.4, 6.45]},
            "tags": ["Fiber", " VIP  Gold ", "fiber"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert NUMBER.match(body["number"])
    account = Account.objects.get(pk=body["id"])
    assert account.number == body["number"]
    assert (account.name, account.kind, account.status) == ("Acme", "business", "prospect")
    assert str(account.phone) == "+2348031234567" == body["phone"]
    assert (account.location.x, account.location.y) == (3.4, 6.45)
    assert body["location"] == {"type": "Point", "coordinates": [3.4, 6.45]}
    assert account.tags == ["fiber", "vip gold"] == body["tags"]
    assert account.deleted_at is None


def test_numbers_are_sequential_and_read_only(api_as, admin_user):
    client = api_as(admin_user)
    first = client.post(URL, {"name": "One", "number": "ACC-999999"}).json()
    second = client.post(URL, {"name": "Two"}).json()
    assert first["number"] != "ACC-999999"
    assert int(second["number"][4:]) == int(first["number"][4:]) + 1
    response = client.patch(f"{URL}{first['id']}/", {"number": "ACC-000000", "name": "One renamed"})
    assert response.status_code == 200
    assert response.json()["number"] == first["number"]
    assert Account.objects.get(pk=first["id"]).number == first["number"]
    assert Account.objects.get(pk=first["id"]).name == "One renamed"


def test_put_replaces_every_writable_field(api_as, admin_user, account):
    account.notes = "old notes"
    account.save()
    reseller = ResellerFactory()
    body = {
        "name": "Replaced",
        "kind": "residential",
        "status": "active",
        "email": "",
        "phone": "",
        "service_address": "2 Other Road",
        "location": None,
        "reseller": str(reseller.pk),
        "tags": [],
    }
    response = api_as(admin_user).put(f"{URL}{account.pk}/", body)
    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.name == "Replaced" and account.kind == "residential"
    assert account.email == "" and not account.phone and account.location is None
    assert account.reseller_id == reseller.pk and account.tags == []
    assert account.notes == ""  # PUT without notes clears them
    assert response.json()["reseller"] == {"id": str(reseller.pk), "name": reseller.name}


def test_put_needs_the_required_fields(api_as, admin_user, account):
    assert_error(api_as(admin_user).put(f"{URL}{account.pk}/", {"kind": "business"}), 400, field="name")
    account.refresh_from_db()
    assert account.kind == "business"


def test_put_without_status_keeps_the_status(api_as, admin_user, account):
    """A suspended account is not switched back on by a PUT that only meant to fix the address."""
    account.status = "suspended"
    account.save()
    response = api_as(admin_user).put(f"{URL}{account.pk}/", {"name": account.name, "service_address": "Fixed"})
    assert response.status_code == 200, response.content
    account.refresh_from_db()
    assert account.status == "suspended" and account.service_address == "Fixed"


def test_staff_see_notes_customers_do_not(api_as, admin_user, customer, account):
    account.notes = "Owes us money"
    account.save()
    assert api_as(admin_user).get(f"{URL}{account.pk}/").json()["notes"] == "Owes us money"
    assert "notes" not in api_as(customer).get(f"{URL}{account.pk}/").json()
    assert "notes" not in api_as(customer).get(URL).json()["results"][0]


def test_location_is_geojson_and_can_be_cleared(api_as, admin_user, account):
    client = api_as(admin_user)
    assert client.get(f"{URL}{account.pk}/").json()["location"] == {"type": "Point", "coordinates": [3.3792, 6.5244]}
    response = client.patch(f"{URL}{account.pk}/", {"location": {"type": "Point", "coordinates": [-0.1276, 51.5072]}})
    assert response.json()["location"] == {"type": "Point", "coordinates": [-0.1276, 51.5072]}
    account.refresh_from_db()
    assert account.location.equals(Point(-0.1276, 51.5072, srid=4326))
    assert client.patch(f"{URL}{account.pk}/", {"location": None}).json()["location"] is None
    account.refresh_from_db()
    assert account.location is None
    located = client.get(URL, {"has_location": "true"}).json()["results"]
    assert located == []


# ---- status transitions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "to", "status"),
    [
        ("prospect", "active", 200),
        ("active", "suspended", 200),
        ("suspended", "active", 200),
        ("closed", "active", 200),
        ("prospect", "suspended", 409),
        ("closed", "suspended", 409),
        ("active", "prospect", 409),
    ],
)
def test_status_transition_allowed_or_409(api_as, admin_user, account, start, to, status):
    Account.objects.filter(pk=account.pk).update(status=start)
    client = api_as(admin_user)
    for response in (
        client.patch(f"{URL}{account.pk}/", {"status": to}),
        client.post(f"{URL}{account.pk}/transition/", {"status": to}),
    ):
        account.refresh_from_db()
        if status == 200:
            assert response.status_code == 200, response.content
            assert response.json()["status"] == to == account.status
        else:
            body = assert_error(response, 409, field="status", code="invalid_transition")
            assert str(AccountStatus(start).label) in body["detail"] and str(AccountStatus(to).label) in body["detail"]
            assert account.status == start


def test_transition_to_unknown_status_is_400(api_as, admin_user, account):
    assert_error(api_as(admin_user).post(f"{URL}{account.pk}/transition/", {"status": "gone"}), 400, field="status")


# ---- filters and search --------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    partner = ResellerFactory(name="Partner One")
    return {
        "acme": AccountFactory(name="Acme Fibre", status="active", kind="business", tags=["fiber", "vip"]),
        "bolt": AccountFactory(name="Bolt Home", status="suspended", kind="residential", tags=["wireless"]),
        "cora": AccountFactory(name="Cora Shop", status="prospect", kind="business", tags=[], reseller=partner),
        "dead": AccountFactory(name="Dead Co", status="closed", kind="business", phone="+2348099999999"),
    }


def _names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_filters_by_status_kind_tag_reseller(api_as, admin_user, catalogue):
    client = api_as(admin_user)
    assert _names(client.get(URL, {"status": "active"})) == {"Acme Fibre"}
    assert _names(client.get(f"{URL}?status=active&status=prospect")) == {"Acme Fibre", "Cora Shop"}
    assert _names(client.get(URL, {"kind": "residential"})) == {"Bolt Home"}
    assert _names(client.get(URL, {"tag": "VIP"})) == {"Acme Fibre"}
    assert _names(client.get(URL, {"reseller": str(catalogue["cora"].reseller_id)})) == {"Cora Shop"}
    assert _names(client.get(URL, {"kind": "business", "status": "closed"})) == {"Dead Co"}
    assert client.get(URL, {"status": "active"}).json()["count"] == 1


def test_search_matches_name_number_email_phone(api_as, admin_user, catalogue):
    client = api_as(admin_user)
    assert _names(client.get(URL, {"search": "fibre"})) == {"Acme Fibre"}
    assert _names(client.get(URL, {"search": catalogue["bolt"].number.lower()})) == {"Bolt Home"}
    assert _names(client.get(URL, {"search": catalogue["cora"].email.upper()})) == {"Cora Shop"}
    assert _names(client.get(URL, {"search": "08099999999"})) == {"Dead Co"}
    assert _names(client.get(URL, {"search": "no such thing"})) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "vanished"}, "status"),
        ({"kind": "alien"}, "kind"),
        ({"reseller": "nope"}, "reseller"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"search": "a\x00b"}, "search"),
    ],
)
def test_bad_filter_is_400_naming_it(api_as, admin_user, account, params, field):
    assert_error(api_as(admin_user).get(URL, params), 400, field=field)


def test_ordering_by_name_both_ways(api_as, admin_user, catalogue):
    client = api_as(admin_user)
    names = [row["name"] for row in client.get(URL, {"ordering": "name"}).json()["results"]]
    assert names == ["Acme Fibre", "Bolt Home", "Cora Shop", "Dead Co"]
    names = [row["name"] for row in client.get(URL, {"ordering": "-name"}).json()["results"]]
    assert names == ["Dead Co", "Cora Shop", "Bolt Home", "Acme Fibre"]


# ---- permissions ---------------------------------------------------------------------------------------


def test_agent_may_edit_but_not_delete(api_as, agent, account):
    client = api_as(agent)
    assert client.patch(f"{URL}{account.pk}/", {"name": "Agent edit"}).status_code == 200
    body = assert_error(client.delete(f"{URL}{account.pk}/"), 403)
    assert "may not delete" in body["detail"]
    assert_error(client.post(f"{URL}{account.pk}/restore/"), 403)
    account.refresh_from_db()
    assert account.name == "Agent edit" and account.deleted_at is None


def test_sales_may_delete(api_as, sales, account):
    assert api_as(sales).delete(f"{URL}{account.pk}/").status_code == 204
    account.refresh_from_db()
    assert account.deleted_at is not None


def test_deleted_account_detail_stays_reachable_for_staff_only(api_as, admin_user, customer, account):
    api_as(admin_user).delete(f"{URL}{account.pk}/")
    assert api_as(admin_user).get(f"{URL}{account.pk}/").json()["deleted_at"] is not None
    assert_error(api_as(customer).get(f"{URL}{account.pk}/"), 404)
    assert api_as(customer).get(URL).json()["count"] == 0


def test_times_are_utc_and_list_equals_detail_in_any_time_zone(api_as, admin_user, account, settings):
    settings.TIME_ZONE = "Africa/Lagos"
    client = api_as(admin_user)
    row = client.get(URL).json()["results"][0]
    detail = client.get(f"{URL}{account.pk}/").json()
    assert row == detail
    assert detail["created_at"].endswith("Z")
