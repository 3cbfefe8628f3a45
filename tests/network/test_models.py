"""The plant's data rules: TIA-598 colours, cable instantiation in a fixed number of queries, numbers from
sequences, lengths from geography, the edge view, and one connection per endpoint under concurrency."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.contrib.gis.geos import LineString
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from network import services
from network.choices import EndpointKind, PathwayKind
from network.colours import colour_of, strand_place
from network.models import BufferTube, Cable, Connection, ConnectionEnd, Endpoint, Pathway, Strand
from omni.exceptions import Conflict

from . import factories

pytestmark = pytest.mark.django_db


def test_tia598_colours_and_stripes():
    assert colour_of(2).colour == "orange" and colour_of(7).colour == "red"
    assert (colour_of(13).colour, colour_of(13).stripe, colour_of(13).stripe_count) == ("blue", "black", 1)
    assert (colour_of(20).colour, colour_of(20).stripe) == ("black", "yellow")
    assert (colour_of(25).colour, colour_of(25).stripe_count) == ("blue", 2)
    assert colour_of(12).stripe == "" and colour_of(12).colour == "aqua"
    assert strand_place(19, fibers_per_tube=12) == (2, 7)


def _create_counting(type_):
    a, b = factories.structure(), factories.structure(lon=3.39)
    with CaptureQueriesContext(connection) as queries:
        cable = services.cable_create(cable_type=type_, role="feeder", a_structure=a, b_structure=b)
    return cable, len(queries.captured_queries)


def test_144f_cable_creates_tubes_strands_endpoints_in_the_same_queries_as_12f():
    cable_144, count_144 = _create_counting(factories.cable_type(tubes=12, per_tube=12))
    cable_12, count_12 = _create_counting(factories.cable_type(tubes=1, per_tube=12))
    cable_288, count_288 = _create_counting(factories.cable_type(tubes=24, per_tube=12))
    assert count_144 == count_12 == count_288
    assert BufferTube.objects.filter(cable=cable_144).count() == 12
    assert Strand.objects.filter(cable=cable_144).count() == 144
    assert Endpoint.objects.filter(strand__cable=cable_144).count() == 288
    assert Endpoint.objects.filter(strand__cable=cable_12).count() == 24
    strand = Strand.objects.select_related("tube").get(cable=cable_144, number=19)
    assert (strand.tube.position, strand.tube.colour, strand.position, strand.colour) == (2, "orange", 7, "red")


def test_in_a_24_fibre_tube_fibre_13_is_blue_with_a_black_stripe():
    cable = services.cable_create(cable_type=factories.cable_type(tubes=2, per_tube=24), role="distribution")
    thirteen = Strand.objects.get(cable=cable, number=13)
    assert (thirteen.colour, thirteen.stripe, thirteen.stripe_count) == ("blue", "black", 1)
    twenty = Strand.objects.get(cable=cable, number=20)
    assert (twenty.colour, twenty.stripe) == ("black", "yellow")
    assert Strand.objects.get(cable=cable, number=25).tube.position == 2


def test_numbers_come_from_sequences_and_lengths_from_geography():
    a, b = factories.structure(lon=3.0, lat=6.5), factories.structure(lon=3.01, lat=6.5)
    assert a.number.startswith("STR-") and a.number != b.number
    pathway = services.record_create(
        Pathway, kind=PathwayKind.AERIAL_SPAN, a_structure=a, b_structure=b,
        geom=LineString(a.geom.coords, b.geom.coords, srid=4326),
    )  # fmt: skip
    pathway.refresh_from_db()
    assert pathway.number.startswith("PTH-")
    assert pathway.geo_length_m == pytest.approx(1106.5, abs=2)  # 0.01 degree of longitude at 6.5 N
    assert pathway.length_m == pathway.geo_length_m
    pathway = services.record_update(Pathway, pk=pathway.pk, measured_length_m=1200)
    assert pathway.length_m == 1200
    cable = factories.cable()
    assert cable.number.startswith("CBL-")


def test_cable_ends_take_the_enclosures_and_the_edge_view_walks_strands_and_connections():
    closure = factories.enclosure()
    feeder = factories.cable(b=closure)
    drop = factories.cable(a=closure, role="distribution")
    f1 = Endpoint.objects.get(strand__cable=feeder, strand__number=1, side="b")
    d1 = Endpoint.objects.get(strand__cable=drop, strand__number=1, side="a")
    assert f1.enclosure_id == d1.enclosure_id == closure.pk
    splice = services.connection_create(enclosure_id=closure.pk, a_id=f1.pk, b_id=d1.pk)
    assert sorted(ConnectionEnd.objects.filter(connection=splice).values_list("side", flat=True)) == ["a", "b"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, direction, loss_db FROM network_edge WHERE src_id = %s ORDER BY kind", [f1.pk])
        assert cursor.fetchall() == [("connection", "both", 0.1), ("strand", "both", 0.0)]


def test_splitter_edges_go_down_to_every_output_and_up_only_to_the_input():
    closure = factories.enclosure(kind="fdh")
    splitter = services.splitter_create(enclosure=closure, output_count=8)
    assert splitter.insertion_loss_db == Decimal("10.5")
    inp = Endpoint.objects.get(splitter=splitter, kind=EndpointKind.SPLITTER_IN)
    out3 = Endpoint.objects.get(splitter=splitter, kind=EndpointKind.SPLITTER_OUT, port=3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM network_edge WHERE src_id = %s AND direction = 'down'", [inp.pk])
        assert cursor.fetchone() == (8,)
        cursor.execute("SELECT dst_id, direction FROM network_edge WHERE src_id = %s", [out3.pk])
        assert cursor.fetchall() == [(inp.pk, "up")]


def test_the_database_refuses_a_second_connection_of_an_endpoint_on_any_path():
    closure = factories.enclosure()
    one, two = factories.cable(b=closure), factories.cable(a=closure)
    x = Endpoint.objects.get(strand__cable=one, strand__number=1, side="b")
    y, z = Endpoint.objects.filter(strand__cable=two, side="a").order_by("strand__number")[:2]
    Connection.objects.create(enclosure=closure, a=x, b=y)
    with pytest.raises(IntegrityError, match="network_connectionend_pkey"), transaction.atomic():
        Connection.objects.create(enclosure=closure, a=z, b=x)  # the ORM, not the service: the trigger decides


def test_splicing_a_connected_endpoint_is_a_conflict_naming_the_field_and_the_closure():
    closure = factories.enclosure()
    one, two = factories.cable(b=closure), factories.cable(a=closure)
    x = Endpoint.objects.get(strand__cable=one, strand__number=1, side="b")
    y, z = Endpoint.objects.filter(strand__cable=two, side="a").order_by("strand__number")[:2]
    services.connection_create(enclosure_id=closure.pk, a_id=x.pk, b_id=y.pk)
    with pytest.raises(Conflict) as refused:
        services.connection_create(enclosure_id=closure.pk, a_id=z.pk, b_id=x.pk)
    assert closure.number in refused.value.fields["b"][0]
    assert Connection.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_splices_of_the_same_fibre_end_one_commits():
    closure = factories.enclosure()
    one, two = factories.cable(b=closure), factories.cable(a=closure)
    x = Endpoint.objects.get(strand__cable=one, strand__number=1, side="b")
    partners = list(Endpoint.objects.filter(strand__cable=two, side="a").order_by("strand__number")[:2])
    barrier = threading.Barrier(2)

    def splice(partner):
        try:
            with transaction.atomic():
                barrier.wait()
                services.connection_create(enclosure_id=closure.pk, a_id=x.pk, b_id=partner.pk)
            return "ok"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(splice, partners)) == ["conflict", "ok"]
    assert Connection.objects.count() == 1
    assert ConnectionEnd.objects.filter(endpoint=x).count() == 1


def test_cable_delete_with_connections_is_a_conflict():
    closure = factories.enclosure()
    one, two = factories.cable(b=closure), factories.cable(a=closure)
    x = Endpoint.objects.get(strand__cable=one, strand__number=1, side="b")
    y = Endpoint.objects.get(strand__cable=two, strand__number=1, side="a")
    services.connection_create(enclosure_id=closure.pk, a_id=x.pk, b_id=y.pk)
    with pytest.raises(Conflict):
        services.record_delete(Cable, pk=one.pk)
    assert Cable.objects.filter(pk=one.pk).exists()


def _pon_to_four_onts():
    """A PON port patched to a feeder in an ODF, the feeder mated to a 1:4 splitter in an FDH, four drops from its
    outputs to four ONT boxes, an ONT in each."""
    from network.choices import EnclosureKind

    office = factories.structure(kind="central_office")
    odf = factories.enclosure(kind=EnclosureKind.ODF, at=office)
    fdh = factories.enclosure(kind=EnclosureKind.FDH)
    olt = services.olt_create(name="OLT 1", pon_ports=1, enclosure=odf)
    pon = Endpoint.objects.get(pon_port__olt=olt)
    feeder = factories.cable(a=odf, b=fdh)
    splitter = services.splitter_create(enclosure=fdh, output_count=4)
    splitter_in = Endpoint.objects.get(splitter=splitter, kind=EndpointKind.SPLITTER_IN)
    f1 = {side: Endpoint.objects.get(strand__cable=feeder, strand__number=1, side=side) for side in "ab"}
    services.connection_create(enclosure_id=odf.pk, a_id=pon.pk, b_id=f1["a"].pk, kind="patch")
    services.connection_create(enclosure_id=fdh.pk, a_id=f1["b"].pk, b_id=splitter_in.pk, kind="connector_mate")
    onts = []
    for port in range(1, 5):
        box = factories.enclosure(kind=EnclosureKind.ONT_BOX)
        drop = factories.cable(a=fdh, b=box, role="drop")
        ont = services.ont_create(serial=f"ONT{port}", enclosure=box)
        out = Endpoint.objects.get(splitter=splitter, kind=EndpointKind.SPLITTER_OUT, port=port)
        d1 = {side: Endpoint.objects.get(strand__cable=drop, strand__number=1, side=side) for side in "ab"}
        services.connection_create(enclosure_id=fdh.pk, a_id=out.pk, b_id=d1["a"].pk, kind="patch")
        services.connection_create(
            enclosure_id=box.pk, a_id=d1["b"].pk, b_id=Endpoint.objects.get(ont=ont).pk, kind="connector_mate"
        )
        onts.append(ont)
    return pon, splitter, onts


WALK = """
WITH RECURSIVE walk(endpoint_id, depth, loss_db) AS (
    SELECT %(seed)s::uuid, 0, 0::float8
    UNION ALL
    SELECT e.dst_id, w.depth + 1, w.loss_db + e.length_m / 1000 * e.attenuation_1490_db_km + e.loss_db
    FROM walk w JOIN network_edge e ON e.src_id = w.endpoint_id
    WHERE e.direction IN ('both', %(way)s) AND w.depth < 64
) CYCLE endpoint_id SET is_cycle USING visited
SELECT ep.id, ep.kind, ep.ont_id, ep.port, w.loss_db FROM walk w JOIN network_endpoint ep ON ep.id = w.endpoint_id
WHERE NOT w.is_cycle
"""


def test_the_edge_view_answers_a_trace_in_one_recursive_query():
    """Not the trace itself (issue 13 part 3): proof that the graph the models keep is walked by one query,
    downstream to every ONT behind a splitter, upstream as one chain that never meets a sibling output."""
    pon, splitter, onts = _pon_to_four_onts()
    with connection.cursor() as cursor:
        cursor.execute(WALK, {"seed": pon.pk, "way": "down"})
        down = cursor.fetchall()
        cursor.execute(WALK, {"seed": Endpoint.objects.get(ont=onts[2]).pk, "way": "up"})
        up = cursor.fetchall()
    assert {row[2] for row in down if row[2]} == {ont.pk for ont in onts}
    loss_at_ont = {row[2]: row[4] for row in down if row[2]}
    # Patch 0.6 + mate 0.3 + 1:4 splitter 7.3 + patch 0.6 + mate 0.3 (these cables' ends stand on one point).
    assert loss_at_ont[onts[0].pk] == pytest.approx(9.1)
    assert pon.pk in {row[0] for row in up}
    outputs = [row for row in up if row[1] == EndpointKind.SPLITTER_OUT]
    assert [row[3] for row in outputs] == [3]  # its own splitter output only
    assert not [row for row in up if row[2] and row[2] != onts[2].pk]
