"""The stored capacity of each cable (Cable.lit_strands, reserved_strands, damaged_strands; dark the rest): kept by
the path-cache rebuild, the strand flags and the deletes that take cached paths with them, always equal to the live
rule (network.selectors.cable_capacity_live, lit as LIT_STRANDS_SQL says); the cables tile reads it in one query
whatever the number of cables."""

from datetime import timedelta

import mapbox_vector_tile
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from network import selectors, services, tiles
from network.choices import ConnectionKind
from network.models import Cable, ServicePath, ServicePoint, Splitter, Strand
from network.services import paths
from tests.omni.factories import StaffFactory

from .plant import LAT, Plant
from .test_impact import span_city
from .test_tiles import tile_of

pytestmark = pytest.mark.django_db


def rebuild_due():
    return paths.paths_rebuild_due(now=timezone.now() + timedelta(minutes=5))


def stored() -> dict:
    return {
        c.pk: {"lit": c.lit_strands, "reserved": c.reserved_strands, "damaged": c.damaged_strands,
               "dark": c.dark_strands}
        for c in Cable.objects.select_related("cable_type")
    }  # fmt: skip


def live() -> dict:
    """The live rule, twice: the capacity query the counts are written from, and the strand table's per-strand
    `lit` (lit_strand_sql), counted here; both must agree."""
    answer = selectors.cable_capacity_live(Cable.objects.values_list("pk", flat=True))
    for cable_id, counted in answer.items():
        per_strand = {"lit": 0, "reserved": 0, "damaged": 0, "dark": 0}
        for fibre in selectors.cable_strands(cable_id=cable_id):
            state = "damaged" if fibre.damaged else selectors.strand_state(reserved=fibre.reserved, lit=fibre.lit)
            per_strand[state] += 1
        assert per_strand == counted, cable_id
    return answer


def strand(cable, number: int) -> Strand:
    return cable.strands.get(number=number)


@pytest.fixture
def city(django_capture_on_commit_callbacks):
    plant = Plant()
    with django_capture_on_commit_callbacks(execute=True):  # the edits' hooks queue their ports
        built = span_city(plant)
    rebuild_due()
    return plant, built


def test_the_stored_counts_equal_the_live_rule_after_plant_edits_and_rebuilds(city, django_capture_on_commit_callbacks):
    plant, built = city
    feeder, dist, dist2 = built["feeder"], built["dist"], built["dist2"]
    assert stored() == live()
    # Feeder strands 1 and 27 carry P1 and P2; 40 is spliced on to Z but reaches no PON port: dark.
    assert stored()[feeder.pk] == {"lit": 2, "reserved": 0, "damaged": 0, "dark": 46}
    assert stored()[dist2.pk] == {"lit": 3, "reserved": 0, "damaged": 0, "dark": 9}

    # Strand flags: counted at once (no rebuild involved). A reserved lit strand stays lit; a damaged one is damaged.
    services.strand_update(strand_id=strand(feeder, 5).pk, reserved=True)
    services.strand_update(strand_id=strand(feeder, 27).pk, reserved=True)
    services.strand_update(strand_id=strand(dist, 1).pk, damaged=True)
    assert stored()[feeder.pk] == {"lit": 2, "reserved": 1, "damaged": 0, "dark": 45}
    assert stored()[dist.pk] == {"lit": 2, "reserved": 0, "damaged": 1, "dark": 9}
    assert stored() == live()

    # A new customer: lit once the debounced rebuild has cached its path, not before (as the live rule says).
    with django_capture_on_commit_callbacks(execute=True):
        plant.join(
            built["fdh"], plant.split_out(Splitter.objects.get(name="S1"), 4), plant.end(dist, 4, "a"),
            ConnectionKind.CONNECTOR_MATE,
        )  # fmt: skip
        plant.customer(plant.at["MST1"], plant.end(dist, 4, "b"), "A4")
    assert stored() == live() and stored()[dist.pk]["lit"] == 2
    assert rebuild_due() == 1
    assert stored() == live() and stored()[dist.pk]["lit"] == 3

    # A service point deleted: its cached path goes with it (CASCADE) and its cables are recounted at once.
    with django_capture_on_commit_callbacks(execute=True):
        services.record_delete(ServicePoint, pk=plant.at["B3"].pk)
    assert stored() == live() and stored()[dist2.pk]["lit"] == 2
    rebuild_due()
    assert stored() == live()

    # Releasing and repairing count back.
    services.strand_update(strand_id=strand(feeder, 27).pk, reserved=False)
    services.strand_update(strand_id=strand(dist, 1).pk, damaged=False)
    assert stored() == live()
    assert stored()[feeder.pk] == {"lit": 2, "reserved": 1, "damaged": 0, "dark": 45}
    assert stored()[dist.pk] == {"lit": 4, "reserved": 0, "damaged": 0, "dark": 8}


def test_a_rebuild_that_empties_a_port_counts_its_cables_back_to_dark(city):
    plant, built = city
    p3 = built["ports"][2]
    (other,) = Cable.objects.filter(pk__in=ServicePath.objects.get(service_point=plant.at["C1"]).elements)
    assert other.lit_strands == 1
    ServicePoint.objects.filter(pk__in=[plant.at["C1"].pk, plant.at["C2"].pk]).update(ont=None)  # unplugged
    assert paths.paths_rebuild(p3.pk) == 0
    other.refresh_from_db()
    assert other.lit_strands == 0
    assert stored() == live()


def test_the_nightly_reconcile_repairs_counts_written_behind_the_services_back(city):
    _plant, built = city
    feeder = built["feeder"]
    Cable.objects.filter(pk=feeder.pk).update(lit_strands=40, damaged_strands=3)
    Strand.objects.filter(cable=built["dist"], number__in=(7, 8)).update(reserved=True)
    assert stored() != live()
    paths.paths_reconcile()
    assert stored() == live()
    assert stored()[built["dist"].pk]["reserved"] == 2


def test_a_strand_update_changes_only_its_flags_and_unchanged_values_write_nothing(city, django_assert_num_queries):
    _plant, built = city
    fibre = strand(built["feeder"], 5)
    with pytest.raises(ValidationError) as refused:
        services.strand_update(strand_id=fibre.pk, colour="red", reserved=True)
    assert set(refused.value.message_dict) == {"colour"}
    # A savepoint, the cable id, the cable locked, the strand locked, the release: nothing written.
    with django_assert_num_queries(5):
        services.strand_update(strand_id=fibre.pk, reserved=False)


def test_the_admin_sets_strand_flags_through_the_service(city, client_as, admin_user):
    _plant, built = city
    feeder = built["feeder"]
    fibre = strand(feeder, 9)
    response = client_as(admin_user).post(
        f"/admin/network/strand/{fibre.pk}/change/", {"reserved": "on", "damaged": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fibre.refresh_from_db()
    assert fibre.reserved is True
    assert Cable.objects.get(pk=feeder.pk).reserved_strands == 1
    assert stored() == live()


def test_a_rebuild_recounts_in_a_fixed_number_of_queries(city):
    _plant, built = city
    p1, _p2, p3 = built["ports"]  # P1: 3 customers over 2 cables; P3: 2 customers over 1 cable
    counts = []
    for port in (p1, p3):
        with CaptureQueriesContext(connection) as queries:
            paths.paths_rebuild(port.pk)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---- the tile ---------------------------------------------------------------------------------------------------


def many_cables(plant: Plant, n: int):
    odf = plant.enclosure("ODF-T", lon=3.40)
    fdh = plant.enclosure("FDH-T", lon=3.401)
    return [plant.cable(odf, fdh) for _ in range(n)]


@pytest.mark.parametrize("n", [2, 12])
def test_the_cables_tile_is_one_query_whatever_the_number_of_cables(n, client_as, django_assert_num_queries):
    plant = Plant()
    cables = many_cables(plant, n)
    services.strand_update(strand_id=strand(cables[0], 3).pk, reserved=True)
    z, x, y = tile_of(14, lon=3.4005, lat=LAT)
    with django_assert_num_queries(1):
        data = tiles.tile("cables", z, x, y)
    features = mapbox_vector_tile.decode(data)["cables"]["features"]
    assert len(features) == n
    first = next(f["properties"] for f in features if f["properties"]["id"] == str(cables[0].pk))
    assert (first["lit"], first["reserved"], first["dark"], first["damaged"]) == (0, 1, 11, 0)
    # The page: the session, the user, their permissions, the layer's version, the tile; for 2 and for 12 cables.
    client = client_as(StaffFactory(email=f"dispatcher{n}@example.com", roles=["Dispatcher"]))
    with django_assert_num_queries(5):
        response = client.get(f"/tiles/cables/{z}/{x}/{y}.mvt")
    assert response.status_code == 200


def test_the_cables_tile_reads_no_strand_and_no_path():
    sql = tiles.tile_sql("cables", 14)
    assert "network_strand" not in sql and "network_servicepath" not in sql
    assert tiles.LAYERS["cables"].tables == ("network_cable", "network_cabletype")


def test_a_strand_flag_changes_the_cables_layer_etag(client_as):
    plant = Plant()
    (cable,) = many_cables(plant, 1)
    z, x, y = tile_of(14, lon=3.4005, lat=LAT)
    client = client_as(StaffFactory(email="dispatcher@example.com", roles=["Dispatcher"]))
    before = client.get(f"/tiles/cables/{z}/{x}/{y}.mvt")["ETag"]
    services.strand_update(strand_id=strand(cable, 1).pk, damaged=True)
    assert client.get(f"/tiles/cables/{z}/{x}/{y}.mvt", HTTP_IF_NONE_MATCH=before).status_code == 200
