"""The path cache: rebuilt per PON port from a debounced queue after plant edits, and never the source of truth:
its answer equals the impact query's (A.6 7 and 8). EXPLAIN: the point search uses the geography GiST indexes,
the cache its GIN index."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from network.choices import ConnectionKind
from network.models import ServicePath, ServicePathQueue, Splitter
from network.services import impact as impact_services
from network.services import paths
from network.services.impact import impact_at_point, impact_run
from network.tasks import paths_rebuild_due

from .plant import LAT, Plant
from .test_impact import METRE_LAT, span_city

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=5)


@pytest.fixture
def city(django_capture_on_commit_callbacks):
    plant = Plant()
    with django_capture_on_commit_callbacks(execute=True):  # the plant edits' hooks queue the ports
        built = span_city(plant)
    paths_rebuild_due_now()
    return plant, built


def paths_rebuild_due_now():
    return paths.paths_rebuild_due(now=timezone.now() + LATER)


def test_plant_edits_queue_their_ports_and_the_rebuild_caches_every_lit_customer(city):
    plant, built = city
    p1, p2, p3 = built["ports"]
    assert ServicePathQueue.objects.count() == 0  # all rebuilt
    cached = {(row.pon_port_id, row.service_point_id) for row in ServicePath.objects.all()}
    expected = {(p1.pk, plant.at[f"A{n}"].pk) for n in (1, 2, 3)}
    expected |= {(p2.pk, plant.at[f"B{n}"].pk) for n in (1, 2, 3)} | {(p3.pk, plant.at[f"C{n}"].pk) for n in (1, 2)}
    assert cached == expected  # Z's dark strand: no path
    path = ServicePath.objects.get(service_point=plant.at["B2"])
    assert {built["feeder"].pk, built["feeder"].tubes.get(position=3).pk, built["fdh"].pk, p2.olt_id} <= set(
        path.elements
    )
    assert path.length_m == pytest.approx(2300)


def test_the_cache_answers_a_cut_as_the_query_does(city, django_assert_num_queries):
    """A.6 7 and 8: the span cut, the partial cut of tube 3, and other element sets."""
    plant, built = city
    cut = Point(3.310, LAT + 5 * METRE_LAT, srid=4326)
    query = impact_at_point(point=cut, radius_m=15)
    with django_assert_num_queries(1):
        cached = paths.impact_from_cache(cables=[c["id"] for c in query.cables])
    assert cached.service_points == query.service_points and query.count == 6
    assert cached.accounts == query.accounts
    tube3 = built["feeder"].tubes.get(position=3).pk
    assert paths.impact_from_cache(tubes=[tube3]).service_points == impact_run(tubes=[tube3]).service_points
    for elements in (
        {"pathways": [built["span"].pk]},
        {"enclosures": [built["fdh"].pk]},
        {"splitters": [Splitter.objects.get(name="S2").pk]},
        {"pon_ports": [built["ports"][2].pk]},
        {"strands": [built["feeder"].strands.get(number=40).pk]},
    ):
        assert paths.impact_from_cache(**elements).service_points == impact_run(**elements).service_points, elements


def test_a_new_splice_queues_its_port_debounced_and_the_rebuild_follows(city, django_capture_on_commit_callbacks):
    plant, built = city
    fdh, dist = built["fdh"], built["dist"]
    s1 = Splitter.objects.get(name="S1")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        plant.join(fdh, plant.split_out(s1, 4), plant.end(dist, 4, "a"), ConnectionKind.CONNECTOR_MATE)
        point = plant.customer(plant.at["MST1"], plant.end(dist, 4, "b"), "A4")
    queued = ServicePathQueue.objects.get()
    assert queued.pon_port_id == built["ports"][0].pk and queued.due_at > now
    assert paths.paths_rebuild_due(now=now) == 0  # not yet: debounced
    assert not ServicePath.objects.filter(service_point=point).exists()
    paths_rebuild_due_now()
    assert ServicePath.objects.filter(service_point=point, pon_port=built["ports"][0]).exists()
    cached = paths.impact_from_cache(splitters=[s1.pk])
    assert cached.service_point_ids == impact_run(splitters=[s1.pk]).service_point_ids


def test_marking_again_pushes_the_rebuild_later():
    plant = Plant()
    odf = plant.enclosure("ODF")
    (port,) = plant.olt(odf)
    now = timezone.now()
    assert paths.paths_mark_dirty(pon_ports=[port.pk], now=now) == 1
    assert paths.paths_mark_dirty(pon_ports=[port.pk], now=now + timedelta(seconds=20)) == 1
    assert ServicePathQueue.objects.get().due_at == now + timedelta(seconds=20) + paths.DEBOUNCE
    assert paths.paths_rebuild_due(now=now + paths.DEBOUNCE) == 0
    paths_rebuild_due.apply()  # the task: due_at has not come in real time either
    assert ServicePathQueue.objects.count() == 1
    assert paths.paths_reconcile() == 1
    assert paths.paths_rebuild_due() == 1 and ServicePathQueue.objects.count() == 0


def test_the_beat_sweeps_are_scheduled():
    assert settings.CELERY_BEAT_SCHEDULE["network-paths-rebuild"]["task"] == "network.tasks.paths_rebuild_due"
    assert settings.CELERY_BEAT_SCHEDULE["network-paths-reconcile"]["task"] == "network.tasks.paths_reconcile"


def _plan(sql: str, params) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_point_search_uses_the_geography_gist_indexes_and_the_cache_its_gin_index():
    point = {"point": "SRID=4326;POINT(3.31 6.5)", "radius": 15.0, "planned": False}
    plan = _plan(impact_services.POINT_SQL, point)
    assert "network_cable_geog" in plan and "network_pathway_geog" in plan, plan
    plan = _plan(impact_services.NEAREST_SQL, point)
    assert "network_cable_geog" in plan, plan
    elements = {key: [] for key in impact_services.ELEMENT_KEYS} | {"all": ["0b6e8d4c-9f0e-4a51-9a53-1ee2ab2a3c11"]}
    plan = _plan(paths.CACHE_IMPACT_SQL, elements)
    assert "network_servicepath_elements" in plan, plan
