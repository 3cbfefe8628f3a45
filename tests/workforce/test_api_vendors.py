"""/api/v1/workforce/vendors/: staff with workforce.view_vendor see every vendor and write with
add/change/delete_vendor (POST <id>/deactivate/ and <id>/activate/ need change); a vendor user reads only its own;
everyone else is refused. The same viewset as resellers (omni.api.partners.PartnerViewSet)."""

import pytest

from omni.models import User
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
from workforce.models import Vendor

URL = "/api/v1/workforce/vendors/"


class TestVendorApi(
    ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    """Staff with workforce.view_vendor read, add/change/delete_vendor write; a vendor user reads its own only."""

    url = URL
    model = Vendor
    list_queries = 4  # token + user, last_used_at stamp, COUNT, the page
    ordering_fields = ["name", "created_at"]

    def make_rows(self, n):
        Vendor.objects.bulk_create([Vendor(name=f"Bulk Vendor {i:04d}") for i in range(n)])

    @pytest.fixture
    def obj(self, vendor_org):
        return vendor_org

    @pytest.fixture
    def portal_user(self, vendor):
        return vendor

    @pytest.fixture
    def outside_obj(self, vendor_org):
        return Vendor.objects.create(name="Rival Cables")

    @pytest.fixture
    def create_payload(self):
        return {"name": "Acme Towers", "email": "ops@acme.example.com", "phone": "+2348031234567"}

    @pytest.fixture
    def update_payload(self):
        return {"notes": "Night work only", "email": "night@fiberworks.example.com"}

    @pytest.fixture
    def bad_payloads(self, vendor_org):
        Vendor.objects.create(name="Taken Cables")
        return [
            ("name", {"name": "   "}),
            ("name", {"name": "taken CABLES"}),
            ("email", {"name": "Fine", "email": "nope@"}),
            ("phone", {"name": "Fine", "phone": "+999"}),
        ]


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_vendor_token_sees_only_its_vendor(api_as, vendor, vendor_org):
    rival = Vendor.objects.create(name="Rival Cables")
    client = api_as(vendor)
    response = client.get(URL)
    assert _ids(response) == {str(vendor_org.pk)}
    row = response.json()["results"][0]
    assert row == client.get(f"{URL}{vendor_org.pk}/").json()
    assert row["name"] == "FiberWorks Ltd" and "notes" not in row
    assert_error(client.get(f"{URL}{rival.pk}/"), 404)
    assert _ids(client.get(URL, {"ordering": "-name"})) == {str(vendor_org.pk)}


def test_staff_see_every_vendor_ordered(api_as, vendor_org):
    dispatcher = api_as(StaffFactory(roles=["Dispatcher"]))
    Vendor.objects.create(name="Acme Towers")
    names = [row["name"] for row in dispatcher.get(URL).json()["results"]]
    assert names == ["Acme Towers", "FiberWorks Ltd"]
    names = [row["name"] for row in dispatcher.get(URL, {"ordering": "-name"}).json()["results"]]
    assert names == ["FiberWorks Ltd", "Acme Towers"]
    assert_error(dispatcher.get(URL, {"ordering": "notes"}), 400, field="ordering")


def test_staff_without_view_vendor_are_refused(api_as, agent, vendor_org):
    body = assert_error(api_as(agent).get(URL), 403)
    assert body["detail"] == "Your role may not view vendors."
    assert_error(api_as(agent).get(f"{URL}{vendor_org.pk}/"), 403)


def test_customers_and_resellers_are_refused(api_as, customer, reseller, vendor_org):
    for user in (customer, reseller):
        assert_error(api_as(user).get(URL), 403)
        assert_error(api_as(user).get(f"{URL}{vendor_org.pk}/"), 403)


def test_anonymous_is_401(anon_api, vendor_org):
    assert_error(anon_api.get(URL), 401)
    assert_error(anon_api.post(f"{URL}{vendor_org.pk}/deactivate/"), 401)


def test_dispatchers_change_and_switch_but_neither_add_nor_delete(api_as, vendor_org):
    client = api_as(StaffFactory(roles=["Dispatcher"]))
    assert_error(client.post(URL, {"name": "New"}), 403, code="permission_denied")
    assert_error(client.delete(f"{URL}{vendor_org.pk}/"), 403, code="permission_denied")
    assert client.patch(f"{URL}{vendor_org.pk}/", {"name": "FiberWorks Nigeria"}).json()["name"] == "FiberWorks Nigeria"
    assert client.post(f"{URL}{vendor_org.pk}/deactivate/").json()["is_active"] is False
    assert Vendor.objects.get().is_active is False


def test_a_switched_off_vendors_users_lose_the_api(
    api_as, vendor, vendor_org, admin_user, django_capture_on_commit_callbacks
):
    portal = api_as(vendor)
    assert portal.get(URL).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert api_as(admin_user).post(f"{URL}{vendor_org.pk}/deactivate/").status_code == 200
    assert_error(portal.get(URL), 401)
    assert User.objects.get(pk=vendor.pk).suspended_with_org
    with django_capture_on_commit_callbacks(execute=True):
        assert api_as(admin_user).post(f"{URL}{vendor_org.pk}/activate/").json()["is_active"] is True
    assert portal.get(f"{URL}{vendor_org.pk}/").json()["is_active"] is True


def test_a_vendor_user_cannot_write_its_own_vendor(api_as, vendor, vendor_org):
    client = api_as(vendor)
    for response in (
        client.patch(f"{URL}{vendor_org.pk}/", {"name": "Mine"}),
        client.post(f"{URL}{vendor_org.pk}/deactivate/"),
        client.delete(f"{URL}{vendor_org.pk}/"),
    ):
        body = assert_error(response, 403, code="permission_denied")
        assert body["detail"] == "Portal users have read-only API access."
    assert Vendor.objects.get().name == "FiberWorks Ltd"
