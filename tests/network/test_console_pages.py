"""The staff console's plant pages: lists with search, filters and pages in a fixed number of queries (10 and 200
rows), the cable page's strand table (TIA-598 colours, capacity), the enclosure's splice matrix, OLT utilisation on
the demo plant, and who may see them."""

import random

import pytest
from django.contrib.gis.geos import Point

from network import services
from network.choices import ConnectionKind
from network.models import Cable, Enclosure, Olt, ServicePoint, Structure
from network.services import paths
from portals.staff.management.commands._seed_network import seed_network
from tests.crm.factories import AccountFactory
from tests.omni.factories import StaffFactory

from . import factories
from .plant import Plant

LISTS = ["structures", "cables", "enclosures", "olts", "service-points"]


@pytest.fixture
def dispatcher(db):
    return StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"])


@pytest.fixture
def staff(client_as, dispatcher):
    return client_as(dispatcher)


@pytest.fixture
def demo(db):
    local = random.Random(3)
    for _ in range(6):
        AccountFactory(location=Point(3.4219 + local.uniform(-0.01, 0.01), 6.4281 + local.uniform(-0.01, 0.01)))
    return seed_network()


def _rows(n: int) -> None:
    """n rows of each listed model (plus what the first adds)."""
    cable_type = factories.cable_type(tubes=1, per_tube=12)
    for i in range(n):
        enclosure = factories.enclosure(at=factories.structure(lon=3.3 + i / 1e4, name=f"S{i}"), trays=1)
        factories.cable(a=enclosure, b=enclosure, type_=cable_type, name=f"C{i}")
        olt = services.olt_create(name=f"OLT {i}", pon_ports=2)
        del olt
        services.service_point_create(name=f"SP {i}", geom=Point(3.3, 6.5), account=AccountFactory())


@pytest.mark.parametrize("rows", [10, 200])
@pytest.mark.parametrize("page", LISTS)
def test_each_list_runs_a_fixed_number_of_queries(staff, page, rows, django_assert_max_num_queries):
    if rows == 200:
        # Bulk rows for the big case (the services would take minutes): the list reads the same columns.
        _rows(10)
        base = Structure.objects.first()
        Structure.objects.bulk_create([Structure(kind="pole", geom=base.geom) for _ in range(190)])
        Enclosure.objects.bulk_create([Enclosure(kind="mst", structure=base) for _ in range(190)])
        Cable.objects.bulk_create([Cable(cable_type=Cable.objects.first().cable_type, role="drop") for _ in range(190)])
        Olt.objects.bulk_create([Olt(name=f"Bulk {i}") for i in range(190)])
        ServicePoint.objects.bulk_create([ServicePoint(geom=base.geom) for _ in range(190)])
    else:
        _rows(rows)
    with django_assert_max_num_queries(12):
        response = staff.get(f"/network/{page}/")
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert staff.get(f"/network/{page}/?page=2").status_code == 200


def test_search_and_filters(staff, db):
    factories.structure(kind="pole", name="Market pole")
    factories.structure(kind="manhole", name="Bridge manhole")
    body = staff.get("/network/structures/?search=market").content.decode()
    assert "Market pole" in body and "Bridge manhole" not in body
    body = staff.get("/network/structures/?kind=manhole").content.decode()
    assert "Bridge manhole" in body and "Market pole" not in body
    assert staff.get("/network/structures/?kind=tree").status_code == 400
    assert staff.get("/network/structures/?sort=nope").status_code == 400


def test_the_cable_page_shows_strands_in_tia_598_colours_and_capacity(staff, db):
    cable = factories.cable(type_=factories.cable_type(tubes=12, per_tube=12))
    services.strand_update(strand_id=cable.strands.get(number=3).pk, reserved=True)  # recounts the cable
    body = staff.get(f"/network/cables/{cable.pk}/").content.decode()
    assert body.count('<tr data-state="') == 144
    assert "0 lit / 1 reserved / 143 dark" in body
    # Strand 19: tube 2 (orange), position 7 (red).
    row = body.split('<tr data-state="')[19]
    assert "2 orange" in row and "red" in row


def test_the_cable_page_shows_lit_strands_on_a_pon_ports_path(staff, db):
    plant = Plant()
    odf, home = factories.enclosure(), factories.enclosure()
    cable = factories.cable(a=odf, b=home)
    cable.strands.filter(number=2).update(reserved=True)
    port = plant.olt(odf)[0]
    plant.join(odf, plant.pon(port), plant.end(cable, 1, "a"), ConnectionKind.PATCH)
    plant.customer(home, plant.end(cable, 1, "b"), "Home")
    paths.paths_rebuild(port.pk)
    body = staff.get(f"/network/cables/{cable.pk}/").content.decode()
    assert "1 lit / 1 reserved / 10 dark" in body
    assert body.split('<tr data-state="')[1].startswith("lit")
    assert body.count('<tr data-state="lit"') == 1


def test_the_enclosure_page_has_a_splice_matrix_per_tray(staff, db):
    a = factories.enclosure(trays=2)
    one, two = factories.cable(b=a), factories.cable(a=a)
    tray = a.trays.get(number=2)
    services.connection_create(
        enclosure_id=a.pk, a_id=one.strands.get(number=1).endpoints.get(side="b").pk,
        b_id=two.strands.get(number=1).endpoints.get(side="a").pk, tray_id=tray.pk, position=1,
    )  # fmt: skip
    body = staff.get(f"/network/enclosures/{a.pk}/").content.decode()
    assert "Tray 2" in body and 'class="table splice-matrix"' in body


def test_olt_utilisation_on_the_demo_plant(staff, demo):
    body = staff.get("/network/olts/").content.decode()
    assert "1/1: 6/64" in body and "1/2: 0/64" in body


def test_the_structure_page(staff, demo):
    structure = Structure.objects.get(kind="cabinet")
    body = staff.get(f"/network/structures/{structure.pk}/").content.decode()
    assert "FDH VI-1" in body and "Feeder VI exchange" in body


@pytest.mark.parametrize("page", LISTS)
def test_who_sees_the_lists(client_as, agent, customer, reseller, vendor, admin_user, page):
    url = f"/network/{page}/"
    assert client_as(admin_user).get(url).status_code == 200
    assert client_as(StaffFactory(email="t@example.com", roles=["Technician"])).get(url).status_code == 200
    assert client_as(agent).get(url).status_code == 403
    assert client_as(customer).get(url).status_code == 403
    assert client_as(customer, host="portal.localhost").get(url).status_code == 404
    assert client_as(reseller, host="reseller.localhost").get(url).status_code == 404
    assert client_as(vendor, host="vendor.localhost").get(url).status_code == 404


def test_who_sees_the_detail_pages(client_as, agent, customer, demo):
    pages = [
        f"/network/cables/{Cable.objects.first().pk}/",
        f"/network/enclosures/{Enclosure.objects.first().pk}/",
        f"/network/structures/{Structure.objects.first().pk}/",
    ]
    for url in pages:
        assert client_as(agent).get(url).status_code == 403
        assert client_as(customer).get(url).status_code == 403
        assert client_as(customer, host="portal.localhost").get(url).status_code == 404
    assert (
        client_as(StaffFactory(email="d2@example.com", roles=["Dispatcher"]))
        .get("/network/cables/00000000-0000-0000-0000-000000000000/")
        .status_code
        == 404
    )
