"""What is searched uses an index: the delivery log's search and the follower lookup every domain event runs.
Each query is EXPLAINed with sequential scans priced out (enable_seqscan off): a query no index can serve still
shows a Seq Scan, so these fail when the index is missing or the query stops matching it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.api.filters import DeliveryFilterSet
from notifications.models import Delivery, Preference

pytestmark = pytest.mark.django_db


def _plan(sql: str, params=None) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("term", ["ada@example", "OBI", "+23480"])
def test_the_delivery_log_search_uses_the_trigram_indexes(term):
    queryset = DeliveryFilterSet({"q": term}, queryset=Delivery.objects.all()).qs.order_by()
    sql, params = queryset.query.sql_with_params()
    plan = _plan(sql, params)
    assert "Seq Scan" not in plan, plan
    assert "notifications_dlv_address_trgm" in plan and "notifications_dlv_name_trgm" in plan, plan
    assert "notifications_delivery_person" in plan, plan  # the exact recipient key


def test_the_follower_lookup_of_every_domain_event_uses_its_index():
    # A populated table, analysed: on an empty, never-analysed one the planner may walk any index (the unique
    # one included) at the same guessed cost, and the plan would say nothing about this lookup.
    Preference.objects.bulk_create(
        Preference(recipient_key=f"omni.user:{person}", event=f"crm.event_{event}", channel="email")
        for person in range(60)
        for event in range(40)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_preference")
    with CaptureQueriesContext(connection) as queries:
        assert services.notify_followers("crm.account.updated", {"name": "X"}) == []
    [query] = queries.captured_queries  # nobody follows: this one query is all it costs
    plan = _plan(query["sql"])
    assert "Seq Scan" not in plan, plan
    assert "using notifications_pref_followers" in plan, plan
