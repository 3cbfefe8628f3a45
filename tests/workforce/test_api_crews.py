"""/api/v1/workforce/crews/: a vendor's named crews of its technicians. Staff read with workforce.view_crew
(Dispatcher, Technician, Admin), Dispatcher and Admin write; a vendor user reads its own vendor's crews (another
vendor's: 404); customers and resellers get 403. Members are technicians of the crew's vendor (400 on `members`).
The admin writes through the same services."""

import pytest

from tests.admin_support import admin_form_data
from tests.omni.api_contract import MISSING_ID, HardDeleteContract, PortalScopeContract, assert_error
from workforce.choices import TechnicianKind
from workforce.models import Crew, Vendor

from .api_support import API, WorkforceContract, bulk_technicians
from .factories import TechnicianFactory

URL = f"{API}crews/"


def crew_member(vendor):
    return TechnicianFactory(kind=TechnicianKind.VENDOR, vendor=vendor)


class TestCrewApi(WorkforceContract, PortalScopeContract, HardDeleteContract):
    url = URL
    model = Crew
    list_queries = 5  # token + user, last_used_at stamp, COUNT, the page, the page's members
    ordering_fields = ["name", "created_at", "updated_at"]

    def make_rows(self, n):
        vendor = Vendor.objects.create(name="Bulk Crews Ltd")
        technicians = bulk_technicians(2, kind=TechnicianKind.VENDOR, vendor=vendor)
        crews = Crew.objects.bulk_create([Crew(vendor=vendor, name=f"Crew {i:04d}") for i in range(n)])
        Crew.members.through.objects.bulk_create(
            [Crew.members.through(crew=c, technician=t) for c in crews for t in technicians]
        )

    @pytest.fixture
    def portal_user(self, vendor):
        return vendor

    @pytest.fixture
    def obj(self, vendor_org):
        crew = Crew.objects.create(vendor=vendor_org, name="Splicing crew")
        crew.members.set([crew_member(vendor_org)])
        return crew

    @pytest.fixture
    def outside_obj(self, obj):
        return Crew.objects.create(vendor=Vendor.objects.create(name="Rival Cables"), name="Rival crew")

    @pytest.fixture
    def create_payload(self, vendor_org):
        return {"vendor": str(vendor_org.pk), "name": "Night crew", "members": [str(crew_member(vendor_org).pk)]}

    @pytest.fixture
    def update_payload(self):
        return {"name": "Day crew"}

    @pytest.fixture
    def bad_payloads(self, obj, vendor_org):
        Crew.objects.create(vendor=vendor_org, name="Taken")
        base = {"vendor": str(vendor_org.pk)}
        return [
            ("members", {**base, "name": "X", "members": [str(TechnicianFactory().pk)]}),
            ("members", {**base, "name": "X", "members": [MISSING_ID]}),
            ("name", {**base, "name": ""}),
        ]


def test_crew_members_and_a_taken_name(api_as, admin_user, vendor_org):
    one, two = crew_member(vendor_org), crew_member(vendor_org)
    client = api_as(admin_user)
    body = client.post(URL, {"vendor": str(vendor_org.pk), "name": "A", "members": [str(one.pk), str(two.pk)]}).json()
    assert sorted(body["members"]) == sorted([str(one.pk), str(two.pk)])
    assert client.patch(f"{URL}{body['id']}/", {"members": [str(two.pk)]}).json()["members"] == [str(two.pk)]
    assert_error(client.post(URL, {"vendor": str(vendor_org.pk), "name": "A"}), 400, code="invalid")
    other = Vendor.objects.create(name="Other")
    response = client.patch(f"{URL}{body['id']}/", {"vendor": str(other.pk)})  # its members are not the other's
    assert_error(response, 400, field="members")


def test_crews_refuse_customers_resellers_and_agents(api_as, customer, reseller, agent, vendor_org):
    crew = Crew.objects.create(vendor=vendor_org, name="Crew")
    for user in (customer, reseller, agent):
        assert_error(api_as(user).get(URL), 403, code="permission_denied")
        assert_error(api_as(user).get(f"{URL}{crew.pk}/"), 403, code="permission_denied")


def test_the_admin_writes_crews_through_the_services(admin_user, client_as, vendor_org):
    member, stranger = crew_member(vendor_org), TechnicianFactory()
    admin = client_as(admin_user)
    page = admin.get("/admin/workforce/crew/add/")
    data = admin_form_data(page, vendor=str(vendor_org.pk), name="Crew A", members=[str(stranger.pk)])
    response = admin.post("/admin/workforce/crew/add/", data)
    assert response.status_code == 200 and "Not a technician of this vendor" in response.content.decode()
    data = admin_form_data(page, vendor=str(vendor_org.pk), name="Crew A", members=[str(member.pk)])
    assert admin.post("/admin/workforce/crew/add/", data).status_code == 302
    crew = Crew.objects.get()
    assert list(crew.members.all()) == [member]
    listing = admin.get("/admin/workforce/crew/", {"q": "crew a"})
    assert listing.status_code == 200 and "Crew A" in listing.content.decode()
    assert admin.get("/admin/workforce/crew/", {"vendor__id__exact": str(vendor_org.pk)}).status_code == 200
