"""/api/v1/crm/resellers/: read-only; staff with crm.view_reseller see every reseller, a reseller user only its own,
customers and vendor users are refused."""

import pytest

from crm.models import Reseller
from tests.crm.factories import ResellerFactory
from tests.omni.api_contract import (
    LimitOffsetListContract,
    PortalScopeContract,
    ReadContract,
    RoleReadContract,
    assert_error,
)

URL = "/api/v1/crm/resellers/"


class TestResellerApi(ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract):
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


def test_customers_and_vendor_users_are_refused(api_as, customer, vendor, reseller_org):
    for user in (customer, vendor):
        assert_error(api_as(user).get(URL), 403, code="permission_denied")
        assert_error(api_as(user).get(f"{URL}{reseller_org.pk}/"), 403, code="permission_denied")


def test_resellers_are_read_only(api_as, admin_user, reseller_org):
    before = list(Reseller.objects.order_by("pk").values())
    assert_error(api_as(admin_user).post(URL, {"name": "New"}), 405, code="method_not_allowed")
    assert_error(api_as(admin_user).patch(f"{URL}{reseller_org.pk}/", {"name": "X"}), 405)
    assert_error(api_as(admin_user).delete(f"{URL}{reseller_org.pk}/"), 405)
    assert list(Reseller.objects.order_by("pk").values()) == before
