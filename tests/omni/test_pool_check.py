"""Pooled connections are checked on checkout only after they sat idle (omni.postgis, as HikariCP's bypass window):
one handed back a moment ago goes out without the extra round trip, one idle for longer is checked, and a session
that died while idle (PostgreSQL restarted, the backend killed) is replaced without an error."""

import time

import pytest
from django.conf import settings
from django.db import connection
from psycopg_pool import ConnectionPool

from omni.postgis import base as engine
from tests.db_template import maintenance_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def one_connection_pool():
    """A new pool (min_size 1): its one connection is the one every checkout gets."""
    assert connection.pool is not None and settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is False
    connection.close()
    connection.close_pool()
    connection.pool.open(wait=True)  # its one connection ready: the first checkout does not grow the pool
    yield
    connection.close()
    connection.close_pool()


@pytest.fixture
def checks(monkeypatch):
    made = []
    original = ConnectionPool.check_connection

    def counted(conn):
        made.append(conn.info.backend_pid)
        original(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    return made


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    connection.close()  # handed back to the pool
    return pid


def test_a_connection_handed_back_a_moment_ago_goes_out_unchecked(one_connection_pool, checks):
    pid = _backend_pid()
    assert checks == [pid]  # never used before: checked
    assert _backend_pid() == pid
    assert _backend_pid() == pid
    assert checks == [pid]  # handed back within the window: no round trip
    time.sleep(engine.CHECK_AFTER_IDLE + 0.1)
    assert _backend_pid() == pid
    assert checks == [pid, pid]  # idle past the window: checked, alive, kept


def test_a_session_that_died_while_idle_is_replaced_on_checkout(one_connection_pool, checks):
    pid = _backend_pid()
    with maintenance_connection(settings.DATABASES["default"]) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    time.sleep(engine.CHECK_AFTER_IDLE + 0.1)
    replacement = _backend_pid()  # no error: the dead one was found, discarded and replaced
    assert replacement != pid
    assert checks[:2] == [pid, pid]
