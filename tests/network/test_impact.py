"""Cut impact (DOMAIN.md A.6 7, 8, 9, 10, 15): the service points downstream of the lit strands of what is cut, in
one query; dark strands and other PON ports' customers absent; root cause; plant on a lit path cannot be retired
or deleted."""

import pytest
from django.contrib.gis.geos import LineString, Point
from django.core.exceptions import ValidationError

from network import services
from network.choices import ConnectionKind, EnclosureKind, PathwayKind, PlantStatus, StructureKind
from network.models import Cable, Pathway, Splitter
from network.services.impact import impact_at_point, impact_run, root_cause
from omni.exceptions import Conflict

from . import factories
from .plant import LAT, Plant

pytestmark = pytest.mark.django_db

METRE_LAT = 1 / 111_320  # degrees of latitude per metre


def span_city(plant: Plant) -> dict:
    """Three PON ports. P1 and P2 light strands 1 (tube 1) and 27 (tube 3) of a 48F feeder that runs, with a 12F
    distribution cable, through one aerial span; P1's splitter S1 feeds customers A1-A3 over the distribution
    cable, P2's splitter S2 customers B1-B3 over another. Feeder strand 40 is dark but spliced on to customer Z.
    P3 feeds C1-C2 over a feeder elsewhere."""
    conn = ConnectionKind.CONNECTOR_MATE
    odf = plant.enclosure("ODF", EnclosureKind.ODF, lon=3.300)
    p1, p2, p3 = plant.olt(odf, ports=3)
    fdh = plant.enclosure("FDH", EnclosureKind.FDH, lon=3.320)
    mst1, mst2 = plant.enclosure("MST1", EnclosureKind.MST, lon=3.325), plant.enclosure("MST2", lon=3.321)
    pole_a = factories.structure(kind=StructureKind.POLE, lon=3.305, lat=LAT, status=PlantStatus.IN_SERVICE)
    pole_b = factories.structure(kind=StructureKind.POLE, lon=3.315, lat=LAT, status=PlantStatus.IN_SERVICE)
    span = services.record_create(
        Pathway, kind=PathwayKind.AERIAL_SPAN, a_structure=pole_a, b_structure=pole_b, status=PlantStatus.IN_SERVICE,
        geom=LineString(pole_a.geom.coords, pole_b.geom.coords, srid=4326),
    )  # fmt: skip
    detour = LAT + 200 * METRE_LAT  # the cables' drawn routes run 200 m north: only the span is near the cut
    feeder = plant.cable(odf, fdh, fibres=(4, 12), length_m=2000, geom=LineString((3.300, detour), (3.320, detour)))
    dist = plant.cable(fdh, mst1, length_m=500, role="distribution", geom=LineString((3.320, detour), (3.325, detour)))
    dist2 = plant.cable(fdh, mst2, length_m=300, role="distribution")
    services.cable_route_set(cable_id=feeder.pk, pathway_ids=[span.pk])
    services.cable_route_set(cable_id=dist.pk, pathway_ids=[span.pk])
    plant.join(odf, plant.pon(p1), plant.end(feeder, 1, "a"), conn)
    plant.join(odf, plant.pon(p2), plant.end(feeder, 27, "a"), conn)
    s1, s2 = plant.splitter(fdh, 8, "S1"), plant.splitter(fdh, 8, "S2")
    plant.join(fdh, plant.end(feeder, 1, "b"), plant.split_in(s1), conn)
    plant.join(fdh, plant.end(feeder, 27, "b"), plant.split_in(s2), conn)
    for n in (1, 2, 3):
        plant.join(fdh, plant.split_out(s1, n), plant.end(dist, n, "a"), conn)
        plant.customer(mst1, plant.end(dist, n, "b"), f"A{n}")
        plant.join(fdh, plant.split_out(s2, n), plant.end(dist2, n, "a"), conn)
        plant.customer(mst2, plant.end(dist2, n, "b"), f"B{n}")
    plant.join(fdh, plant.end(feeder, 40, "b"), plant.end(dist2, 10, "a"))  # dark: nothing lights strand 40
    plant.customer(mst2, plant.end(dist2, 10, "b"), "Z")
    # P3: elsewhere (a kilometre south)
    fdh3 = plant.enclosure("FDH3", EnclosureKind.FDH, lon=3.310)
    south = LAT - 1000 * METRE_LAT
    other = plant.cable(odf, fdh3, geom=LineString((3.300, south), (3.310, south)))
    plant.join(odf, plant.pon(p3), plant.end(other, 1, "a"), conn)
    s3 = plant.splitter(fdh3, 4, "S3")
    plant.join(fdh3, plant.end(other, 1, "b"), plant.split_in(s3), conn)
    for n in (1, 2):
        plant.customer(fdh3, plant.split_out(s3, n), f"C{n}")
    return {"ports": (p1, p2, p3), "feeder": feeder, "dist": dist, "dist2": dist2, "span": span, "fdh": fdh}


def names(plant, impact) -> set[str]:
    by_id = {point.pk: name for name, point in plant.at.items() if hasattr(point, "ont_id")}
    return {by_id[s["id"]] for s in impact.service_points}


@pytest.fixture
def plant():
    return Plant()


def test_a_cut_5_m_from_an_aerial_span_hits_exactly_the_customers_of_its_lit_strands(plant, django_assert_num_queries):
    """A.6 7: the feeder and the distribution cable run in the span; dark strand 40 (customer Z) and P3's
    customers are absent."""
    city = span_city(plant)
    cut = Point(3.310, LAT + 5 * METRE_LAT, srid=4326)
    with django_assert_num_queries(2):  # the cables near the point, then the impact
        impact = impact_at_point(point=cut, radius_m=15)
    assert names(plant, impact) == {"A1", "A2", "A3", "B1", "B2", "B3"}
    assert impact.count == 6
    assert {a["id"] for a in impact.accounts} == {plant.at[n].account_id for n in ("A1", "A2", "A3", "B1", "B2", "B3")}
    assert all(a["number"] for a in impact.accounts)
    assert {c["id"] for c in impact.cables} == {city["feeder"].pk, city["dist"].pk}
    assert all(4.5 < c["distance_m"] < 5.5 and c["pathways"] == [city["span"].pk] for c in impact.cables)
    # only the distribution cable, chosen among those hit
    assert names(plant, impact_at_point(point=cut, cables=[city["dist"].pk])) == {"A1", "A2", "A3"}


def test_a_partial_cut_of_tube_3_affects_only_tube_3_customers(plant):
    """A.6 8: strand 27 (tube 3) carries P2's splitter; strand 1 (tube 1) is uncut."""
    city = span_city(plant)
    tube3 = city["feeder"].tubes.get(position=3)
    assert names(plant, impact_run(tubes=[tube3.pk])) == {"B1", "B2", "B3"}
    cut = Point(3.310, LAT + 5 * METRE_LAT, srid=4326)
    assert names(plant, impact_at_point(point=cut, tubes=[tube3.pk])) == {"B1", "B2", "B3"}
    tube2 = city["feeder"].tubes.get(position=2)
    assert impact_run(tubes=[tube2.pk]).count == 0  # all dark
    assert impact_run(strands=[city["feeder"].strands.get(number=40).pk]).count == 0  # dark, though spliced on


def test_a_cut_farther_than_the_radius_returns_nothing_and_the_nearest_cable(plant):
    """A.6 9."""
    city = span_city(plant)
    far = Point(3.310, LAT + 100 * METRE_LAT, srid=4326)  # 100 m north of the span, 100 m south of the routes
    impact = impact_at_point(point=far, radius_m=15)
    assert impact.count == 0 and impact.service_points == [] and impact.cables == []
    assert impact.nearest["id"] in (city["feeder"].pk, city["dist"].pk)
    assert impact.nearest["distance_m"] == pytest.approx(100, abs=1.5)


def test_maintenance_on_elements_hits_only_what_they_carry(plant, django_assert_num_queries):
    city = span_city(plant)
    p1, p2, p3 = city["ports"]
    with django_assert_num_queries(1):
        assert names(plant, impact_run(pon_ports=[p3.pk])) == {"C1", "C2"}
    assert names(plant, impact_run(splitters=[Splitter.objects.get(name="S2").pk])) == {"B1", "B2", "B3"}
    assert names(plant, impact_run(enclosures=[city["fdh"].pk])) == {"A1", "A2", "A3", "B1", "B2", "B3"}
    assert names(plant, impact_run(cables=[city["dist2"].pk])) == {"B1", "B2", "B3"}
    assert names(plant, impact_run(pathways=[city["span"].pk])) == {"A1", "A2", "A3", "B1", "B2", "B3"}
    assert names(plant, impact_run(onts=[plant.at["A2"].ont_id, plant.at["Z"].ont_id])) == {"A2"}
    assert names(plant, impact_run(olts=[p1.olt_id])) == {"A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2"}
    assert impact_run().count == 0


def test_planned_plant_carries_no_light_unless_asked(plant):
    city = span_city(plant)
    services.record_update(Splitter, pk=Splitter.objects.get(name="S1").pk, status=PlantStatus.PLANNED)
    assert names(plant, impact_run(cables=[city["feeder"].pk])) == {"B1", "B2", "B3"}
    assert impact_run(cables=[city["feeder"].pk], include_planned=True).count == 6


def test_bad_ids_name_their_field():
    with pytest.raises(ValidationError) as bad:
        impact_run(cables=["not-a-uuid"])
    assert "cables" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        impact_at_point(point=Point(3.3, 6.5, srid=4326), radius_m=0)
    assert "radius_m" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        root_cause(down=[])
    assert "down" in bad.value.message_dict


def test_root_cause_names_the_deepest_element_common_to_the_down_set(plant, django_assert_num_queries):
    """A.6 10: all 32 ONTs behind S2 down, S1's own customers up: S2 (then its input feed), never S1 or the
    feeder."""
    conn = ConnectionKind.CONNECTOR_MATE
    odf, fdh = plant.enclosure("ODF", EnclosureKind.ODF), plant.enclosure("FDH", EnclosureKind.FDH)
    mst = plant.enclosure("MST", EnclosureKind.MST)
    (port,) = plant.olt(odf)
    (feeder,) = plant.feeder_chain(port, odf, [], fdh, lengths=[2000])
    s1, s2 = plant.splitter(fdh, 4, "S1"), plant.splitter(mst, 32, "S2")
    plant.join(fdh, plant.end(feeder, 1, "b"), plant.split_in(s1), conn)
    feed = plant.cable(fdh, mst, length_m=300, role="distribution")
    plant.join(fdh, plant.split_out(s1, 1), plant.end(feed, 1, "a"), conn)
    plant.join(mst, plant.end(feed, 1, "b"), plant.split_in(s2), conn)
    down = [plant.customer(mst, plant.split_out(s2, n), f"D{n}").ont_id for n in range(1, 33)]
    up = [plant.customer(fdh, plant.split_out(s1, n), f"U{n}").ont_id for n in (2, 3)]
    with django_assert_num_queries(1):
        answer = root_cause(down=down, up=up)
    assert (answer["element"]["kind"], answer["element"]["id"]) == ("splitter", s2.pk)
    found = {(c["kind"], c["id"]) for c in answer["candidates"]}
    assert ("strand", feed.strands.get(number=1).pk) in found  # S2's input feed
    assert ("splitter", s1.pk) not in found and ("strand", feeder.strands.get(number=1).pk) not in found
    # one ONT down, its neighbours up: its own drop
    single = root_cause(down=[down[0]], up=down[1:])
    assert single["element"]["kind"] == "connection" and ("splitter", s2.pk) not in {
        (c["kind"], c["id"]) for c in single["candidates"]
    }


def test_deleting_or_retiring_a_cable_on_a_lit_path_is_a_conflict_listing_the_services(plant):
    """A.6 15, through the services' protection hook."""
    city = span_city(plant)
    with pytest.raises(Conflict) as refused:
        services.record_delete(Cable, pk=city["dist"].pk)
    assert sorted(refused.value.fields["services"]) == sorted(plant.at[n].number for n in ("A1", "A2", "A3"))
    with pytest.raises(Conflict):
        services.cable_update(cable_id=city["feeder"].pk, status=PlantStatus.RETIRED)
    with pytest.raises(Conflict):
        services.record_delete(Splitter, pk=Splitter.objects.get(name="S2").pk)
    assert Cable.objects.get(pk=city["feeder"].pk).status == PlantStatus.IN_SERVICE
    # a planned cable that carries nothing is deleted; a dark one retired
    spare = plant.cable(city["fdh"], plant.enclosure("Spare"), status=PlantStatus.PLANNED)
    services.record_delete(Cable, pk=spare.pk)
    assert not Cable.objects.filter(pk=spare.pk).exists()
    dark = plant.cable(city["fdh"], plant.enclosure("Dark"))
    assert services.cable_update(cable_id=dark.pk, status=PlantStatus.RETIRED).status == PlantStatus.RETIRED
