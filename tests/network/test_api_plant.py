"""What is particular to the network resources: the strand table of a cable, cable routes, connections (one per
endpoint, 409 naming the closure), splice plans (atomic apply, a fibre in two open plans refused), the spatial
filters and the GiST indexes they use, the events in the outbox, and the admin pages."""

from decimal import Decimal

import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import connection

from network import services
from network.choices import ConnectionKind, SplicePlanStatus
from network.models import Cable, Connection, Endpoint, Pathway, SplicePlan, Strand, Structure
from network.services import paths
from notifications.models import OutboxEvent
from omni.exceptions import Conflict
from tests.omni.api_contract import assert_error

from . import factories
from .plant import Plant

API = "/api/v1/network/"


@pytest.fixture
def admin(api_as, admin_user):
    return api_as(admin_user)


def _ends(cable, side):
    return list(Endpoint.objects.filter(strand__cable=cable, side=side).order_by("strand__number"))


# ---- strands -------------------------------------------------------------------------------------------------------


def test_the_strand_table_has_colours_and_states(admin):
    """lit = on a PON port's path (a cached service path crosses it); spliced at both ends without reaching a PON
    port is dark."""
    plant = Plant()
    closure = factories.enclosure()
    feeder = factories.cable(type_=factories.cable_type(tubes=12, per_tube=12), b=closure)
    drop = factories.cable(a=closure)
    feeder_a = factories.enclosure(at=feeder.a_structure)
    services.cable_update(cable_id=feeder.pk, a_enclosure=feeder_a)
    drop_b = factories.enclosure(at=drop.b_structure)
    services.cable_update(cable_id=drop.pk, b_enclosure=drop_b)
    # Strand 1: spliced at both ends (an ONT patched on its A end, the drop on its B end) but no PON port: dark.
    patch = services.ont_create(serial="X", enclosure=feeder_a)
    one = Strand.objects.get(cable=feeder, number=1)
    services.connection_create(
        enclosure_id=feeder_a.pk, a_id=Endpoint.objects.get(ont=patch).pk, b_id=_ends(feeder, "a")[0].pk, kind="patch"
    )
    services.connection_create(enclosure_id=closure.pk, a_id=_ends(feeder, "b")[0].pk, b_id=_ends(drop, "a")[0].pk)
    # Strand 3: PON port -> strand 3 -> drop strand 2 -> a customer's ONT: lit (once the path cache has it).
    port = plant.olt(feeder_a)[0]
    plant.join(feeder_a, plant.pon(port), _ends(feeder, "a")[2], ConnectionKind.PATCH)
    plant.join(closure, _ends(feeder, "b")[2], _ends(drop, "a")[1])
    plant.customer(drop_b, _ends(drop, "b")[1], "Home")
    Strand.objects.filter(cable=feeder, number=2).update(reserved=True)
    assert admin.get(f"{API}cables/{feeder.pk}/strands/").json()[2]["state"] == "dark"  # the cache is not built
    paths.paths_rebuild(port.pk)
    rows = admin.get(f"{API}cables/{feeder.pk}/strands/").json()
    assert len(rows) == 144 and [row["number"] for row in rows] == list(range(1, 145))
    nineteen = rows[18]
    assert (nineteen["tube"], nineteen["tube_colour"], nineteen["position"], nineteen["colour"]) == (
        2, "orange", 7, "red",
    )  # fmt: skip
    assert nineteen["stripe"] == "" and nineteen["state"] == "dark"
    assert rows[0]["id"] == str(one.pk) and rows[0]["state"] == "dark"  # spliced at both ends, no PON port
    assert rows[1]["state"] == "reserved"
    assert rows[2]["state"] == "lit"  # on the PON port's path
    assert [row["number"] for row in rows if row["state"] == "lit"] == [3]
    assert [row["state"] for row in admin.get(f"{API}cables/{drop.pk}/strands/").json()] == ["dark", "lit"] + [
        "dark"
    ] * 10
    assert rows[0]["a_endpoint"] == str(_ends(feeder, "a")[0].pk)


def test_the_strand_table_costs_the_same_queries_for_12_and_144_fibres(admin, django_assert_num_queries):
    small = factories.cable(type_=factories.cable_type(tubes=1, per_tube=12))
    large = factories.cable(type_=factories.cable_type(tubes=12, per_tube=12))
    admin.get(f"{API}cables/{small.pk}/strands/")  # the token's last_used stamp settles
    with django_assert_num_queries(3) as small_queries:  # token + user, the cable, the strands
        assert len(admin.get(f"{API}cables/{small.pk}/strands/").json()) == 12
    with django_assert_num_queries(len(small_queries)):
        assert len(admin.get(f"{API}cables/{large.pk}/strands/").json()) == 144


def test_a_24_fibre_tube_shows_fibre_13_blue_with_a_black_stripe(admin):
    cable = factories.cable(type_=factories.cable_type(tubes=1, per_tube=24))
    row = admin.get(f"{API}cables/{cable.pk}/strands/").json()[12]
    assert (row["number"], row["colour"], row["stripe"], row["stripe_count"]) == (13, "blue", "black", 1)


def test_creating_a_cable_through_the_api_makes_its_strands(admin):
    cable_type = factories.cable_type(tubes=4, per_tube=12)
    body = {"cable_type": str(cable_type.pk), "role": "distribution"}
    created = admin.post(f"{API}cables/", body).json()
    assert created["fiber_count"] == 48 and created["number"].startswith("CBL-")
    assert Strand.objects.filter(cable_id=created["id"]).count() == 48
    assert Endpoint.objects.filter(strand__cable_id=created["id"]).count() == 96
    other = factories.cable_type(tubes=1, per_tube=12)
    response = admin.patch(f"{API}cables/{created['id']}/", {"cable_type": str(other.pk)})
    assert_error(response, 400, field="cable_type")


# ---- routes --------------------------------------------------------------------------------------------------------


def _span(a, b, kind="aerial_span"):
    return services.record_create(
        Pathway, kind=kind, a_structure=a, b_structure=b, geom=LineString(a.geom.coords, b.geom.coords)
    )


def test_a_route_is_the_pathways_in_order_and_they_must_meet(admin):
    a, b, c = factories.structure(lon=3.40), factories.structure(lon=3.41), factories.structure(lon=3.42)
    far = factories.structure(lon=3.5)
    first, second, stray = _span(a, b), _span(b, c), _span(far, factories.structure(lon=3.51))
    cable = factories.cable()
    body = admin.post(f"{API}cables/{cable.pk}/route/", {"pathways": [str(first.pk), str(second.pk)]}).json()
    assert body["pathways"] == [str(first.pk), str(second.pk)]
    assert [row["id"] for row in admin.get(f"{API}cables/", {"pathway": str(second.pk)}).json()["results"]] == [
        str(cable.pk)
    ]
    response = admin.post(f"{API}cables/{cable.pk}/route/", {"pathways": [str(first.pk), str(stray.pk)]})
    assert_error(response, 400, field="pathways")
    assert admin.get(f"{API}cables/{cable.pk}/").json()["pathways"] == [str(first.pk), str(second.pk)]


def test_pathway_length_is_geography_unless_measured(admin):
    a, b = factories.structure(lon=3.0, lat=0.0), factories.structure(lon=3.0, lat=0.01)
    body = {"kind": "conduit", "a_structure": str(a.pk), "b_structure": str(b.pk)}
    body["geom"] = {"type": "LineString", "coordinates": [[3.0, 0.0], [3.0, 0.01]]}
    created = admin.post(f"{API}pathways/", body).json()
    assert created["geo_length_m"] == pytest.approx(1105.7, abs=1) and created["length_m"] == created["geo_length_m"]
    changed = admin.patch(f"{API}pathways/{created['id']}/", {"measured_length_m": "1200.00"}).json()
    assert changed["length_m"] == 1200.0


# ---- connections ---------------------------------------------------------------------------------------------------


def test_splicing_a_taken_endpoint_is_a_409_naming_it_and_the_closure(admin):
    closure = factories.enclosure(name="Closure North")
    feeder, drop = factories.cable(b=closure), factories.cable(a=closure)
    f, d = _ends(feeder, "b"), _ends(drop, "a")
    body = {"enclosure": str(closure.pk), "a": str(f[0].pk), "b": str(d[0].pk), "kind": "splice"}
    created = admin.post(f"{API}connections/", body)
    assert created.status_code == 201 and created.json()["calculated_loss_db"] == "0.10"
    event = OutboxEvent.objects.get(event="network.connection.created")
    assert event.data["a"] == str(f[0].pk) and event.data["enclosure"] == str(closure.pk)
    again = admin.post(f"{API}connections/", {**body, "a": str(d[0].pk), "b": str(f[1].pk)})
    error = assert_error(again, 409, field="a", code="conflict")
    assert closure.number in error["fields"]["a"][0]
    assert Connection.objects.count() == 1


def test_a_connection_joins_endpoints_of_its_enclosure_only(admin):
    closure, elsewhere = factories.enclosure(), factories.enclosure()
    feeder, drop = factories.cable(b=closure), factories.cable(a=elsewhere)
    body = {"enclosure": str(closure.pk), "a": str(_ends(feeder, "b")[0].pk), "b": str(_ends(drop, "a")[0].pk)}
    error = assert_error(admin.post(f"{API}connections/", body), 400, field="b")
    assert elsewhere.number in error["fields"]["b"][0]
    splitter = services.splitter_create(enclosure=closure, output_count=2)
    port = Endpoint.objects.filter(splitter=splitter).first()
    spliced = {**body, "b": str(port.pk), "kind": "splice"}
    assert_error(admin.post(f"{API}connections/", spliced), 400, field="b")  # splitter ports are patched
    assert admin.post(f"{API}connections/", {**spliced, "kind": "connector_mate"}).status_code == 201


def test_a_made_connection_changes_only_its_loss_and_notes(admin):
    closure = factories.enclosure()
    feeder, drop = factories.cable(b=closure), factories.cable(a=closure)
    made = services.connection_create(
        enclosure_id=closure.pk, a_id=_ends(feeder, "b")[0].pk, b_id=_ends(drop, "a")[0].pk
    )
    assert_error(admin.patch(f"{API}connections/{made.pk}/", {"b": str(_ends(drop, "a")[1].pk)}), 400, field="b")
    body = admin.patch(f"{API}connections/{made.pk}/", {"loss_db": "0.04"}).json()
    assert (body["loss_db"], body["calculated_loss_db"]) == ("0.04", "0.10")


# ---- splice plans --------------------------------------------------------------------------------------------------


def _plan_world():
    closure = factories.enclosure(trays=2)
    feeder = factories.cable(type_=factories.cable_type(tubes=2, per_tube=12), b=closure)
    drop = factories.cable(type_=factories.cable_type(tubes=2, per_tube=12), a=closure)
    return closure, _ends(feeder, "b"), _ends(drop, "a")


def test_a_plan_adding_12_and_removing_2_applies_atomically(admin):
    closure, f, d = _plan_world()
    for i in (20, 21):
        services.connection_create(enclosure_id=closure.pk, a_id=f[i].pk, b_id=d[i].pk)
    entries = [{"a": str(f[i].pk), "b": str(d[i].pk)} for i in range(12)]
    entries += [{"action": "remove", "a": str(f[i].pk), "b": str(d[i].pk)} for i in (20, 21)]
    plan = admin.post(f"{API}splice-plans/", {"name": "Cutover", "enclosure": str(closure.pk), "entries": entries})
    plan = plan.json()
    assert plan["status"] == "draft" and len(plan["entries"]) == 14
    assert_error(admin.post(f"{API}splice-plans/{plan['id']}/apply/"), 409, code="invalid_transition")
    assert admin.post(f"{API}splice-plans/{plan['id']}/transition/", {"status": "approved"}).json()["status"] == (
        "approved"
    )
    # Someone splices fibre 12's pair by hand meanwhile: the plan's 12th add fails, and nothing of it is applied.
    services.connection_create(enclosure_id=closure.pk, a_id=d[11].pk, b_id=f[23].pk)
    before = sorted(Connection.objects.values_list("pk", flat=True))
    assert_error(admin.post(f"{API}splice-plans/{plan['id']}/apply/"), 409, code="conflict")
    assert sorted(Connection.objects.values_list("pk", flat=True)) == before
    assert SplicePlan.objects.get(pk=plan["id"]).status == SplicePlanStatus.APPROVED
    Connection.objects.filter(a=d[11]).delete()
    applied = admin.post(f"{API}splice-plans/{plan['id']}/apply/").json()
    assert applied["status"] == "applied" and applied["applied_at"]
    assert Connection.objects.filter(splice_plan_id=plan["id"]).count() == 12
    assert not Connection.objects.filter(a__in=[f[20], f[21]]).exists()


def test_a_fibre_in_two_open_plans_is_refused_naming_the_other_plan(admin):
    closure, f, d = _plan_world()
    first = services.splice_plan_create(enclosure=closure, name="Tray 1", entries=[{"a": f[0], "b": d[0]}])
    body = {"name": "Tray 1 again", "enclosure": str(closure.pk), "entries": [{"a": str(d[0].pk), "b": str(f[5].pk)}]}
    error = assert_error(admin.post(f"{API}splice-plans/", body), 409, field="entries")
    assert first.number in error["fields"]["entries"][0]
    services.splice_plan_transition(plan_id=first.pk, to=SplicePlanStatus.ARCHIVED)
    assert admin.post(f"{API}splice-plans/", body).status_code == 201  # an archived plan holds nothing


# ---- spatial filters and their indexes -----------------------------------------------------------------------------


def test_bbox_and_near_filters(admin):
    inside = factories.structure(lon=3.40, lat=6.45)
    factories.structure(lon=3.60, lat=6.45)
    found = admin.get(f"{API}structures/", {"bbox": "3.39,6.44,3.41,6.46"}).json()["results"]
    assert [row["id"] for row in found] == [str(inside.pk)]
    near = admin.get(f"{API}structures/", {"near": "3.4001,6.45,20"}).json()["results"]  # ~11 m away
    assert [row["id"] for row in near] == [str(inside.pk)]
    assert admin.get(f"{API}structures/", {"near": "3.4003,6.45,20"}).json()["results"] == []  # ~33 m away
    cable = factories.cable(geom=LineString((3.40, 6.45), (3.41, 6.45), srid=4326))
    rows = admin.get(f"{API}cables/", {"near": "3.405,6.45005,15"}).json()["results"]  # ~5.5 m off the line
    assert [row["id"] for row in rows] == [str(cable.pk)]
    assert_error(admin.get(f"{API}structures/", {"bbox": "3,6,nope"}), 400, field="bbox")
    assert_error(admin.get(f"{API}cables/", {"near": "3.4,6.4,99999999"}), 400, field="near")


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a small test table: show the index can serve it
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_spatial_filters_use_the_gist_indexes(db):
    from django.contrib.gis.geos import Polygon

    from network.db import WithinMetres

    for i in range(50):
        factories.structure(lon=3.3 + i / 100, lat=6.45)
    box = Polygon.from_bbox((3.39, 6.44, 3.41, 6.46))
    box.srid = 4326
    sql, params = Structure.objects.filter(geom__bboverlaps=box).values("pk").query.sql_with_params()
    plan = _plan(sql, params)
    assert "Index Scan using network_structure_geom_" in plan, plan  # GeoDjango's GiST on geom
    near = Cable.objects.filter(WithinMetres("geom", Point(3.4, 6.45, srid=4326), 15)).values("pk")
    sql, params = near.query.sql_with_params()
    plan = _plan(sql, params)
    assert "Index Scan using network_cable_geog" in plan, plan  # the GiST on (geom)::geography


# ---- events and retirement -----------------------------------------------------------------------------------------


def test_plant_writes_record_events(admin):
    created = admin.post(f"{API}structures/", {"kind": "pole", "geom": {"type": "Point", "coordinates": [3.4, 6.4]}})
    pk = created.json()["id"]
    admin.patch(f"{API}structures/{pk}/", {"status": "retired"})
    events = list(OutboxEvent.objects.filter(data__id=pk).order_by("created_at").values_list("event", "data__verb"))
    assert events == [
        ("network.plant.changed", "created"),
        ("network.plant.changed", "updated"),
        ("network.plant.retired", "retired"),
    ]


def test_deleting_a_cable_with_splices_is_a_409_and_a_bare_one_goes(admin):
    closure = factories.enclosure()
    feeder, drop = factories.cable(b=closure), factories.cable(a=closure)
    services.connection_create(enclosure_id=closure.pk, a_id=_ends(feeder, "b")[0].pk, b_id=_ends(drop, "a")[0].pk)
    assert_error(admin.delete(f"{API}cables/{feeder.pk}/"), 409, code="conflict")
    bare = factories.cable()
    assert admin.delete(f"{API}cables/{bare.pk}/").status_code == 204
    assert not Strand.objects.filter(cable_id=bare.pk).exists()


def test_the_protection_hook_refuses_with_the_services(monkeypatch):
    """The hook's contract for the impact work: a non-empty answer is a Conflict listing the services."""
    from network.services import protection

    monkeypatch.setattr(protection, "plant_lit_services", lambda **kw: [{"id": "x", "number": "SP-000001"}])
    with pytest.raises(Conflict) as refused:
        protection.plant_guard(cables=["c"])
    assert refused.value.fields == {"services": ["SP-000001"]}


# ---- admin ---------------------------------------------------------------------------------------------------------


def test_every_network_admin_page_renders(client_as, admin_user):
    from django.apps import apps
    from django.contrib import admin as django_admin

    closure = factories.enclosure()
    factories.cable(b=closure)
    services.splitter_create(enclosure=closure, output_count=4)
    services.olt_create(name="OLT A", pon_ports=2)
    client = client_as(admin_user)
    for model in apps.get_app_config("network").get_models():
        assert model in django_admin.site._registry, model
        base = f"/admin/network/{model._meta.model_name}/"
        response = client.get(base, {"q": "x"})
        assert response.status_code == 200, base
        row = model.objects.first()
        if row is not None:
            assert client.get(f"{base}{row.pk}/change/").status_code == 200, base
    page = client.get("/admin/network/structure/add/")
    assert page.status_code == 200 and b"gis" in page.content.lower()


def test_the_admin_creates_a_cable_with_its_strands(client_as, admin_user):
    from tests.admin_support import admin_form_data

    cable_type = factories.cable_type(tubes=2, per_tube=12)
    client = client_as(admin_user)
    page = client.get("/admin/network/cable/add/")
    data = admin_form_data(page, cable_type=str(cable_type.pk), role="feeder", status="planned")
    data.update({k: v for k, v in data.items() if not k.endswith("TOTAL_FORMS")})
    response = client.post("/admin/network/cable/add/", data)
    assert response.status_code == 302, response.content[:2000]
    cable = Cable.objects.get()
    assert Strand.objects.filter(cable=cable).count() == 24
    assert Decimal(cable.cable_type.attenuation_1490_db_km) == Decimal("0.25")
