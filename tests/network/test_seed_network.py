"""The demo plant (portals/staff/management/commands/_seed_network.py): built through the services around the
located demo accounts, connected end to end (the optical graph leads from PON port 1 to every demo ONT), and not
built twice."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from network.models import Cable, Connection, Endpoint, Olt, ServicePoint, Splitter
from portals.staff.management.commands._seed_network import OLT_NAME, seed_network
from tests.crm.factories import AccountFactory

# Downstream over the edge view (trace semantics: both-way edges and splitter input -> outputs), cycle-safe.
REACH = """
WITH RECURSIVE walk(endpoint_id) AS (
    SELECT %s::uuid
    UNION
    SELECT e.dst_id FROM walk w JOIN network_edge e ON e.src_id = w.endpoint_id AND e.direction IN ('both', 'down')
)
SELECT ep.ont_id FROM walk JOIN network_endpoint ep ON ep.id = walk.endpoint_id WHERE ep.ont_id IS NOT NULL
"""


@pytest.fixture
def demo_accounts(db):
    local = random.Random(7)
    return [
        AccountFactory(location=Point(3.4219 + local.uniform(-0.01, 0.01), 6.4281 + local.uniform(-0.01, 0.01)))
        for _ in range(10)
    ]


def test_the_demo_plant_reaches_every_demo_customer_from_the_pon_port(demo_accounts):
    olt = seed_network()
    assert olt.name == OLT_NAME and olt.pon_ports.count() == 8
    splitter = Splitter.objects.get()
    assert (splitter.output_count, splitter.enclosure.kind) == (32, "fdh")
    roles = sorted(Cable.objects.values_list("role", flat=True))
    assert roles.count("feeder") == 1 and roles.count("distribution") == 2 and roles.count("drop") == 10
    points = ServicePoint.objects.select_related("ont")
    assert {p.account_id for p in points} == {a.pk for a in demo_accounts}
    assert all(p.ont is not None and p.geom == p.account.location for p in points)
    port = Endpoint.objects.get(pon_port=olt.pon_ports.get(port=1))
    with connection.cursor() as cursor:
        cursor.execute(REACH, [port.pk])
        reached = {row[0] for row in cursor.fetchall()}
    assert reached == {p.ont_id for p in points}
    # PON port 2 is dark: it reaches nobody.
    with connection.cursor() as cursor:
        cursor.execute(REACH, [Endpoint.objects.get(pon_port=olt.pon_ports.get(port=2)).pk])
        assert cursor.fetchall() == []


def test_seeding_again_adds_nothing(demo_accounts):
    seed_network()
    counts = (Cable.objects.count(), Connection.objects.count(), ServicePoint.objects.count(), Olt.objects.count())
    assert seed_network() is None
    assert counts == (
        Cable.objects.count(),
        Connection.objects.count(),
        ServicePoint.objects.count(),
        Olt.objects.count(),
    )


def test_no_located_account_no_plant(db):
    AccountFactory(location=None)
    assert seed_network() is None
    assert not Olt.objects.exists()
