"""/api/v1/crm/resellers/: staff with crm.view_reseller see every reseller and write with add/change/delete_reseller
(switching one off or on through POST <id>/deactivate/ and <id>/activate/ needs change); a reseller user reads only
its own; customers and vendor users are refused. A reseller with accounts is not deleted (409)."""

import pytest

from crm.models import Account, Reseller
from omni.models import User
from omni.tokens import api_token_create
from tests.conftest import ApiClient
from tests.crm.factories import AccountFactory, ResellerFactory
from tests.omni.api_contract import (
    HardDeleteContract,
    LimitOffsetListContract,
    PortalScopeContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    assert_error,
)
from tests.omni.factories import StaffFactory

URL = "/api/v1/crm/resellers/"


class TestResellerApi(
    ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    url = URL
    model = Reseller
    list_queries = 4  # token + user, last_used_at stamp, COUNT, the page
    ordering_fields = ["name", "created_at"]

    def make_rows(self, n):
        Reseller.objects.bulk_create(ResellerFactory.build_batch(n))

    @pytest.fixture
    def obj(self, reseller_org):
        return reseller_org

    @pytest.fixture
    def portal_user(self, reseller):
        return reseller

    @pytest.fixture
    def outside_obj(self, reseller_org):
        return ResellerFactory(name="Rival Networks")

    @pytest.fixture
    def create_payload(self):
        return {"name": "Abuja Fibre", "email": "sales@abuja.example.com", "phone": "+2348031234567", "notes": "x"}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Lagos Connect Ltd", "notes": "Renamed"}

    @pytest.fixture
    def bad_payloads(self, reseller_org):
        taken = ResellerFactory(name="Taken Networks")
        return [
            ("name", {"name": ""}),
            ("name", {"name": taken.name.upper()}),  # unique whatever the case
            ("name", {"name": "x" * 201}),
            ("email", {"name": "Fine", "email": "not-an-email"}),
            ("phone", {"name": "Fine", "phone": "12"}),
            ("notes", {"name": "Fine", "notes": 5 * "x" * 5000}),
        ]


def _client(user) -> ApiClient:
    _token, raw = api_token_create(user=user, name="t", scopes=["read", "write"])
    return ApiClient(raw)


def test_customers_and_vendor_users_are_refused(api_as, customer, vendor, reseller_org):
    before = list(Reseller.objects.order_by("pk").values())
    for user in (customer, vendor):
        client = api_as(user)
        assert_error(client.get(URL), 403, code="permission_denied")
        assert_error(client.get(f"{URL}{reseller_org.pk}/"), 403, code="permission_denied")
        assert_error(client.post(URL, {"name": "Mine"}), 403, code="permission_denied")
        assert_error(client.post(f"{URL}{reseller_org.pk}/deactivate/"), 403, code="permission_denied")
    assert list(Reseller.objects.order_by("pk").values()) == before


def test_staff_see_notes_and_a_reseller_user_does_not(api_as, admin_user, reseller, reseller_org):
    Reseller.objects.filter(pk=reseller_org.pk).update(notes="Pays late")
    staff_row = api_as(admin_user).get(f"{URL}{reseller_org.pk}/").json()
    own_row = api_as(reseller).get(f"{URL}{reseller_org.pk}/").json()
    assert staff_row["notes"] == "Pays late"
    assert "notes" not in own_row and own_row == {k: v for k, v in staff_row.items() if k != "notes"}


def test_the_name_is_unique_whatever_the_case_on_create_and_rename(api_as, sales, reseller_org):
    client = api_as(sales)
    body = assert_error(client.post(URL, {"name": f"  {reseller_org.name.lower()} "}), 400, field="name")
    assert body["fields"] == {"name": [f"A reseller named {reseller_org.name.lower()} already exists."]}
    other = client.post(URL, {"name": "Abuja Fibre"}).json()
    assert_error(client.patch(f"{URL}{other['id']}/", {"name": reseller_org.name.upper()}), 400, field="name")
    # its own name in another case is a rename, not a clash
    renamed = client.patch(f"{URL}{other['id']}/", {"name": "ABUJA FIBRE"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "ABUJA FIBRE"
    assert Reseller.objects.count() == 2


def test_put_replaces_and_patch_keeps_what_it_leaves_out(api_as, sales, reseller_org):
    client = api_as(sales)
    url = f"{URL}{reseller_org.pk}/"
    client.patch(url, {"phone": "08031234567", "notes": "VIP"})  # national, in PHONENUMBER_DEFAULT_REGION
    body = client.patch(url, {"email": "new@example.com"}).json()
    assert (body["phone"], body["notes"], body["email"]) == ("+2348031234567", "VIP", "new@example.com")
    body = client.put(url, {"name": "Replaced"}).json()
    assert (body["name"], body["email"], body["phone"], body["notes"]) == ("Replaced", "", "", "")
    # is_active is not written by PATCH: the actions switch it
    assert client.patch(url, {"is_active": False}).json()["is_active"] is True


def test_deactivate_cuts_the_portal_users_off_and_activate_brings_them_back(
    api_as, sales, reseller, reseller_org, django_capture_on_commit_callbacks
):
    staff = api_as(sales)
    portal = _client(reseller)
    assert portal.get(URL).status_code == 200  # the token's lookup is now cached
    with django_capture_on_commit_callbacks(execute=True):  # the cached lookups are dropped after commit
        response = staff.post(f"{URL}{reseller_org.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert staff.post(f"{URL}{reseller_org.pk}/deactivate/").json()["is_active"] is False  # twice: a no-op
    assert_error(portal.get(URL), 401)
    assert_error(portal.get("/api/v1/crm/accounts/"), 401)
    assert_error(_client(User.objects.get(pk=reseller.pk)).get(URL), 401)  # a new token is no better
    assert User.objects.filter(pk=reseller.pk, is_active=False, suspended_with_org=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"{URL}{reseller_org.pk}/activate/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert portal.get(URL).status_code == 200


def test_switching_needs_change_reseller(api_as, agent, reseller_org):
    body = assert_error(api_as(agent).post(f"{URL}{reseller_org.pk}/deactivate/"), 403, code="permission_denied")
    assert body["detail"] == "Your role may not change resellers."
    assert Reseller.objects.get(pk=reseller_org.pk).is_active


def test_a_reseller_with_accounts_is_not_deleted(api_as, admin_user, reseller, reseller_org):
    AccountFactory(reseller=reseller_org)
    body = assert_error(api_as(admin_user).delete(f"{URL}{reseller_org.pk}/"), 409, code="conflict")
    assert body["detail"] == f"{reseller_org.name} still has accounts; move them to another reseller first."
    assert Reseller.objects.filter(pk=reseller_org.pk).exists()
    assert User.objects.get(pk=reseller.pk).is_active


def test_deleting_a_reseller_deactivates_its_portal_users(api_as, admin_user, reseller, reseller_org):
    assert api_as(admin_user).delete(f"{URL}{reseller_org.pk}/").status_code == 204
    assert not User.objects.get(pk=reseller.pk).is_active


def test_sales_create_and_change_but_do_not_delete(api_as):
    client = api_as(StaffFactory(roles=["Sales"]))
    created = client.post(URL, {"name": "Kano Wireless"})
    assert created.status_code == 201
    assert_error(client.delete(f"{URL}{created.json()['id']}/"), 403, code="permission_denied")
    assert Reseller.objects.filter(name="Kano Wireless").exists()


# ---- assigning accounts ---------------------------------------------------------------------------------------


def test_an_account_is_assigned_to_an_active_reseller_only(
    api_as, agent, reseller_org, django_capture_on_commit_callbacks
):
    client = api_as(agent)
    off = ResellerFactory(name="Dormant Networks", is_active=False)
    created = client.post("/api/v1/crm/accounts/", {"name": "Ada Home", "reseller": str(reseller_org.pk)})
    assert created.status_code == 201 and created.json()["reseller"]["id"] == str(reseller_org.pk)
    account_url = f"/api/v1/crm/accounts/{created.json()['id']}/"
    count = Account.objects.count()
    body = assert_error(
        client.post("/api/v1/crm/accounts/", {"name": "Bo", "reseller": str(off.pk)}), 400, field="reseller"
    )
    assert body["fields"]["reseller"] == ["This reseller is switched off; choose another one."]
    assert Account.objects.count() == count
    assert_error(client.patch(account_url, {"reseller": str(off.pk)}), 400, field="reseller")
    assert Account.objects.get(pk=created.json()["id"]).reseller_id == reseller_org.pk
    # switched off later, the reseller keeps its accounts, and editing them leaves it in place
    with django_capture_on_commit_callbacks(execute=True):
        api_as(StaffFactory(roles=["Sales"])).post(f"{URL}{reseller_org.pk}/deactivate/")
    renamed = client.patch(account_url, {"name": "Ada Home Ltd"})
    assert renamed.status_code == 200 and renamed.json()["reseller"]["id"] == str(reseller_org.pk)
    assert client.patch(account_url, {"reseller": None}).json()["reseller"] is None


def test_search_and_is_active_filter_the_list(api_as, agent, reseller_org):
    off = ResellerFactory(name="Dormant Networks", email="hi@dormant.example.com", is_active=False)
    client = api_as(agent)

    def names(params):
        return [row["name"] for row in client.get(URL, params).json()["results"]]

    assert names({"search": " DORMANT.example "}) == [off.name]
    assert names({"is_active": "false"}) == [off.name]
    assert names({"is_active": "true"}) == [reseller_org.name]
    assert_error(client.get(URL, {"is_active": "maybe"}), 400, field="is_active")
