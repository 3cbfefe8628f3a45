"""/api/v1/workforce/vendors/: staff with workforce.view_vendor see every vendor, a vendor user only its own,
everyone else is refused."""

import pytest

from tests.omni.api_contract import (
    LimitOffsetListContract,
    PortalScopeContract,
    ReadContract,
    RoleReadContract,
    assert_error,
)
from tests.omni.factories import StaffFactory
from workforce.models import Vendor

URL = "/api/v1/workforce/vendors/"


class TestVendorApi(ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract):
    """Read-only: staff with workforce.view_vendor, and a vendor user (its own vendor only)."""

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


def test_vendors_are_read_only_and_need_a_token(api_as, anon_api, admin_user, vendor_org):
    assert_error(anon_api.get(URL), 401)
    response = api_as(admin_user).post(URL, {"name": "New"})
    assert_error(response, 405)
    assert_error(api_as(admin_user).delete(f"{URL}{vendor_org.pk}/"), 405)
    assert Vendor.objects.count() == 1
