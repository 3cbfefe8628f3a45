"""The trace (DOMAIN.md A.6 3, 4, 6, 11): one SQL query from a PON port down through closures and a splitter to
every ONT, a single chain up from an ONT, cumulative loss and the budget, loops reported and never followed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from network.choices import ConnectionKind, EnclosureKind, PlantStatus
from network.models import Endpoint
from network.services import trace
from network.services.trace import loss_budget, trace_run

from .plant import Plant, pon_with_splitter

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    return Plant()


def test_downstream_from_a_pon_port_through_three_closures_and_a_1_32_splitter_in_one_query(
    plant, django_assert_num_queries
):
    built = pon_with_splitter(plant, closures=3, customers=32)
    with django_assert_num_queries(1):
        result = trace_run(start_kind="pon_port", start_id=built["port"].pk)
    kinds = [hop["kind"] for hop in result.hops]
    # port -> connector -> feeder strand -> splice (closure 1) -> strand -> ... -> connector -> splitter
    assert kinds[:10] == ["pon_port", "connection", "strand", "connection", "strand", "connection", "strand",
                          "connection", "strand", "connection"]  # fmt: skip
    assert kinds[10] == "splitter"
    closures = [hop["name"] for hop in result.hops[:10] if hop["kind"] == "connection"][1:4]
    assert [name.split(" in ")[1] for name in closures] == [
        f"{b.number} {b.name}" for b in built["closures"]
    ]  # closure 1, 2, 3 in order
    assert result.hops[2]["id"] == built["feeders"][0].strands.get(number=1).pk
    chain = result.hops[:11]
    assert [h["cumulative_loss_db"] for h in chain] == sorted(h["cumulative_loss_db"] for h in chain)
    assert chain[2]["cumulative_length_m"] == Decimal("1000.0")
    assert chain[2]["loss_db"] == Decimal("0.250")  # 1 km at 0.25 dB/km (1490 nm)
    assert result.ont_ids == {p.ont_id for p in built["points"]}
    assert len(result.onts) == 32
    assert {o["service_point"] for o in result.onts} == {p.pk for p in built["points"]}
    # 5 km of fibre (1.25 dB) + 3 splices + 4 connector mates (1.2) + the splitter (17.0)
    assert {o["loss_db"] for o in result.onts} == {Decimal("19.75")}
    assert result.total_loss_db == Decimal("19.75") and result.total_length_m == Decimal("5000.0")
    assert result.budget.as_dict() == {"class": "B+", "max_loss_db": Decimal("28"), "margin_db": Decimal("8.25"),
                                       "over": False}  # fmt: skip
    assert result.anomalies == []


def test_upstream_from_one_ont_is_a_single_chain_to_the_same_port(plant, django_assert_num_queries):
    built = pon_with_splitter(plant, closures=3, customers=32)
    one = built["points"][4]
    with django_assert_num_queries(1):
        result = trace_run(start_kind="ont", start_id=one.ont_id, direction="upstream")
    assert [h["depth"] for h in result.hops] == list(range(len(result.hops)))  # a chain: one hop per depth
    assert result.hops[-1]["endpoint_kind"] == "pon_port"
    assert [p["id"] for p in result.pon_ports] == [built["port"].pk]
    outputs = [h for h in result.hops if h["endpoint_kind"] == "splitter_out"]
    assert len(outputs) == 1 and outputs[0]["endpoint"] == plant.split_out(built["splitter"], 5).pk
    assert result.onts == []  # the start is not an ONT found
    assert result.total_loss_db == Decimal("19.75")


def test_loss_budget_of_5_2_km_four_splices_two_connectors_and_a_1_32_splitter(plant):
    """A.6 11: 5.2 km x 0.25 dB/km + 4 x 0.1 + 2 x 0.3 + 17.0 = 19.3 dB, margin 8.7 against B+."""
    built = pon_with_splitter(plant, closures=2, customers=2, lengths=[2000, 2000, 1000, 200], join="splice")
    down = trace_run(start_kind="pon_port", start_id=built["port"].pk)
    assert {o["loss_db"] for o in down.onts} == {Decimal("19.30")}
    assert down.total_length_m == Decimal("5200.0")
    assert down.budget.as_dict() == {"class": "B+", "max_loss_db": Decimal("28"), "margin_db": Decimal("8.70"),
                                     "over": False}  # fmt: skip
    up = trace_run(start_kind="ont", start_id=built["points"][0].ont_id, direction="upstream")
    assert (up.total_loss_db, up.budget.margin_db) == (Decimal("19.30"), Decimal("8.70"))
    # at 1310 nm the same fibre loses 0.35 dB/km: 5.2 x 0.35 = 1.82
    assert trace_run(start_kind="pon_port", start_id=built["port"].pk, wavelength=1310).total_loss_db == Decimal(
        "19.82"
    )


def test_a_path_over_the_class_budget_is_flagged():
    assert loss_budget(loss_db=28.4, optical_class="B+").as_dict() == {
        "class": "B+", "max_loss_db": Decimal("28"), "margin_db": Decimal("-0.40"), "over": True,
    }  # fmt: skip
    assert loss_budget(loss_db=28.4, optical_class="C+").over is False
    assert loss_budget(loss_db=10, optical_class=None).margin_db is None


def test_a_long_path_over_budget_is_flagged_by_the_trace(plant):
    built = pon_with_splitter(plant, closures=1, customers=1, lengths=[30000, 10000, 500])  # 40.5 km
    result = trace_run(start_kind="pon_port", start_id=built["port"].pk)
    assert result.budget.over is True and result.budget.margin_db < 0


def test_a_splice_loop_is_reported_and_not_followed(plant, django_assert_num_queries):
    """A.6 6: A -> B -> C -> A (three cables spliced in a ring) stops and reports the loop."""
    e1, e2, e3 = plant.enclosure("E1"), plant.enclosure("E2"), plant.enclosure("E3")
    x, y, z = plant.cable(e1, e2), plant.cable(e2, e3), plant.cable(e3, e1)
    plant.join(e2, plant.end(x, 1, "b"), plant.end(y, 1, "a"))
    plant.join(e3, plant.end(y, 1, "b"), plant.end(z, 1, "a"))
    loop = plant.join(e1, plant.end(z, 1, "b"), plant.end(x, 1, "a"))
    start = plant.end(x, 1, "a")
    with django_assert_num_queries(1):
        result = trace_run(start_kind="strand_end", start_id=start.pk)
    assert [h["kind"] for h in result.hops] == ["strand_end", "strand", "connection", "strand", "connection", "strand"]
    assert len(result.anomalies) == 1
    anomaly = result.anomalies[0]
    assert (anomaly["kind"], anomaly["endpoint"], anomaly["element_id"]) == ("loop", start.pk, loop.pk)


def test_a_loop_behind_a_splitter_does_not_hang_a_pon_trace(plant):
    """A splitter output fed back into the splitter's second input: downstream from the port stops there."""
    odf, fdh = plant.enclosure("ODF", EnclosureKind.ODF), plant.enclosure("FDH", EnclosureKind.FDH)
    (port,) = plant.olt(odf)
    (feeder,) = plant.feeder_chain(port, odf, [], fdh, lengths=[1000])
    splitter = plant.splitter(fdh, 4, "S")
    splitter.input_count = 2
    splitter.save(update_fields=["input_count"])
    second = Endpoint.objects.create(kind="splitter_in", splitter=splitter, port=2, enclosure=fdh)
    plant.join(fdh, plant.end(feeder, 1, "b"), plant.split_in(splitter), ConnectionKind.CONNECTOR_MATE)
    plant.join(fdh, plant.split_out(splitter, 1), second, ConnectionKind.PATCH)
    result = trace_run(start_kind="pon_port", start_id=port.pk)
    assert [(a["kind"], a["endpoint"]) for a in result.anomalies] == [("loop", plant.split_out(splitter, 1).pk)]


def test_planned_plant_is_skipped_unless_asked(plant):
    built = pon_with_splitter(plant, closures=1, customers=2)
    planned = plant.cable(built["closures"][0], plant.enclosure("Spur"), status=PlantStatus.PLANNED)
    plant.join(built["closures"][0], plant.end(built["feeders"][0], 2, "b"), plant.end(planned, 2, "a"))
    spur = plant.end(built["feeders"][0], 2, "a")
    assert len(trace_run(start_kind="strand_end", start_id=spur.pk).hops) == 3  # strand, splice, (stop)
    assert len(trace_run(start_kind="strand_end", start_id=spur.pk, include_planned=True).hops) == 4


def test_bad_arguments_name_their_field():
    with pytest.raises(ValidationError) as bad:
        trace_run(start_kind="cable", start_id="x")
    assert "from" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        trace_run(start_kind="ont", start_id="x", direction="sideways")
    assert "direction" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        trace.attenuation_column(1625)
    assert "wavelength" in bad.value.message_dict


def test_the_walks_lateral_edges_are_the_edge_view(plant):
    """The walks inline network_edge per endpoint (trace.EDGES_SQL): the same rows as the view, for every endpoint."""
    pon_with_splitter(plant, closures=1, customers=3, join="splice")
    columns = "dst_id, kind, ref_id, direction, length_m, loss_db, attenuation_1490_db_km, planned"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT src_id, {columns} FROM network_edge ORDER BY 1, 2, 3")
        view = cursor.fetchall()
        qualified = ", ".join("e." + c for c in columns.split(", "))
        cursor.execute(
            f"SELECT p.id, {qualified} FROM network_endpoint p CROSS JOIN LATERAL ("
            + trace.EDGES_SQL.replace("@src", "p.id")
            + ") e ORDER BY 1, 2, 3"
        )
        assert cursor.fetchall() == view and len(view) > 50


@pytest.mark.parametrize("direction", ["down", "up"])
@pytest.mark.parametrize("planned", [False, True])
def test_the_trace_step_is_the_edge_view_minus_the_edge_it_arrived_by(plant, direction, planned):
    """trace.TRACE_STEP_SQL, from every endpoint arrived at by each of its edges (or by none): the view's edges out of
    it in the direction, planned plant only if asked, never the edge it arrived by; with what the next step reads
    of each destination endpoint (its row)."""
    built = pon_with_splitter(plant, closures=1, customers=3, join="splice")
    spur = plant.cable(built["closures"][0], plant.enclosure("Spur"), status=PlantStatus.PLANNED)
    plant.join(built["closures"][0], plant.end(built["feeders"][0], 2, "b"), plant.end(spur, 2, "a"))
    planned_splitter = plant.splitter(plant.enclosure("FDH 2", EnclosureKind.FDH), 2, "S2", PlantStatus.PLANNED)
    plant.join(plant.at["FDH 2"], plant.end(spur, 2, "b"), plant.split_in(planned_splitter))
    arrivals = """
        SELECT p.id AS endpoint_id, p.kind::text AS ep_kind, p.strand_id, p.side::text AS side, p.splitter_id,
               v.via_kind, v.via_ref, 1 AS depth
        FROM network_endpoint p
        CROSS JOIN LATERAL (SELECT NULL::text, NULL::uuid UNION SELECT kind, ref_id FROM network_edge
                            WHERE src_id = p.id) v(via_kind, via_ref)"""
    params = {"dir": direction, "planned": planned, "kind": "pon_port"}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT w.endpoint_id, w.via_kind, w.via_ref, e.dst_id, e.kind, e.ref_id, e.length_m, e.loss_db,
                       e.attenuation_1490_db_km, d.kind, d.strand_id, d.side, d.splitter_id, d.pon_port_id, d.ont_id
                FROM ({arrivals}) w JOIN network_edge e ON e.src_id = w.endpoint_id
                JOIN network_endpoint d ON d.id = e.dst_id
                WHERE e.direction IN ('both', %(dir)s) AND (%(planned)s OR NOT e.planned)
                  AND (e.kind, e.ref_id) IS DISTINCT FROM (w.via_kind, w.via_ref)
                ORDER BY 1, 2, 3, 4, 5, 6""",
            params,
        )
        view = cursor.fetchall()
        cursor.execute(
            f"""SELECT w.endpoint_id, w.via_kind, w.via_ref, e.dst_id, e.kind, e.ref_id, e.length_m, e.loss_db, e.att,
                       e.dst_kind, e.dst_strand_id, e.dst_side, e.dst_splitter_id, e.dst_pon_port_id, e.dst_ont_id
                FROM ({arrivals}) w CROSS JOIN LATERAL ("""
            + trace.TRACE_STEP_SQL.replace("{att}", "attenuation_1490_db_km")
            + ") e ORDER BY 1, 2, 3, 4, 5, 6",
            params,
        )
        assert cursor.fetchall() == view and len(view) > 100
    assert {row[4] for row in view} == {"strand", "connection", "splitter"}
    assert (spur.strands.get(number=2).pk in {row[5] for row in view}) is planned
