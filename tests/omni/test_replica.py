"""omni.db.ReplicaRouter with a replica configured (tests/settings.py: a "replica" alias mirroring the test database,
as DATABASE_REPLICA_URL sets it up). Every query is recorded with the alias it ran on."""

import contextlib

import pytest
from celery import shared_task
from django.db import connections, transaction

from crm.models import Account
from omni import tokens
from omni.db import replica_unpin
from omni.models import ApiToken
from tests.crm.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def _router_on(settings):
    settings.DATABASE_ROUTERS = ["omni.db.ReplicaRouter"]
    yield
    replica_unpin()
    replica = connections["replica"]
    replica.close()
    replica.close_pool()  # its connections would keep the test database from being dropped at the end


class Queries(list):
    """(alias, sql) of every query this thread runs on either alias, in order."""

    def ran_on(self, alias: str, table: str) -> int:
        return sum(1 for on, sql in self if on == alias and f'"{table}"' in sql)


@pytest.fixture
def queries():
    log = Queries()
    with contextlib.ExitStack() as stack:
        for alias in ("default", "replica"):

            def record(execute, sql, params, many, context, alias=alias):
                log.append((alias, sql))
                return execute(sql, params, many, context)

            stack.enter_context(connections[alias].execute_wrapper(record))
        yield log


@pytest.fixture
def saved_account():
    account = AccountFactory()
    replica_unpin()  # the factory wrote; what follows is a new request or task
    return account


def test_reads_outside_a_transaction_go_to_the_replica(saved_account, queries):
    assert list(Account.objects.values_list("pk", flat=True)) == [saved_account.pk]
    assert queries.ran_on("replica", "crm_account") == 1
    assert queries.ran_on("default", "crm_account") == 0


def test_reads_inside_a_transaction_go_to_the_primary(saved_account, queries):
    with transaction.atomic():
        assert Account.objects.get(pk=saved_account.pk).name == saved_account.name
    assert queries.ran_on("default", "crm_account") == 1
    assert queries.ran_on("replica", "crm_account") == 0


def test_after_a_write_reads_go_to_the_primary(saved_account, queries):
    Account.objects.filter(pk=saved_account.pk).update(name="Renamed")
    assert Account.objects.get(pk=saved_account.pk).name == "Renamed"
    assert [alias for alias, sql in queries if '"crm_account"' in sql] == ["default", "default"]


def test_an_api_write_reads_back_from_the_primary_and_the_next_request_starts_on_the_replica(api_as, agent, queries):
    client = api_as(agent)
    replica_unpin()
    response = client.post("/api/v1/crm/accounts/", {"name": "Read your writes Ltd"})
    assert response.status_code == 201, response.content
    first_write = next(i for i, (alias, sql) in enumerate(queries) if sql.startswith(("INSERT", "UPDATE")))
    assert queries[first_write][0] == "default"
    assert [sql for alias, sql in queries[first_write:] if alias == "replica"] == []
    assert any('"crm_account"' in sql and sql.startswith("SELECT") for _alias, sql in queries[first_write:])

    queries.clear()
    response = client.get("/api/v1/crm/accounts/")  # the token lookup is cached now: this request writes nothing
    assert [row["name"] for row in response.json()["results"]] == ["Read your writes Ltd"]
    assert queries.ran_on("replica", "crm_account") == 2  # COUNT and the page
    assert queries.ran_on("default", "crm_account") == 0


def test_token_lookups_always_read_the_primary(agent, queries):
    _token, raw = tokens.api_token_create(user=agent, name="t", scopes=["read"])
    replica_unpin()
    queries.clear()
    assert tokens.api_token_resolve(raw).user == agent
    assert queries.ran_on("default", ApiToken._meta.db_table) == 2  # the lookup, then last_used_at
    assert queries.ran_on("replica", ApiToken._meta.db_table) == 0


@shared_task
def _account_count() -> int:
    return Account.objects.count()


def test_each_task_starts_on_the_replica(saved_account, queries):
    Account.objects.filter(pk=saved_account.pk).update(name="Written before the task")
    queries.clear()
    assert _account_count.apply().get() == 1  # Celery's task_prerun resets the pin, as for each task a worker runs
    assert queries.ran_on("replica", "crm_account") == 1
    assert queries.ran_on("default", "crm_account") == 0
