"""The database engine: Django's PostGIS backend, registering its geometry adapters once per connection, checking
pooled connections only after they sat idle, and dropping test databases WITH (FORCE).

Django's PostGIS backend registers the geometry and geography adapters in `get_new_connection`, which with the
pool runs on every checkout: each request and task that touches the database built two dumper classes and
registered them again on a connection that already had them (a tenth of a webhook's own time). The adapters live
on the psycopg connection, so once is enough; `clear_caches` (PostGIS created on that connection) still
registers again. settings.DATABASES uses this engine wherever the URL says postgis://.

Health checks with the pool: Django's CONN_HEALTH_CHECKS makes psycopg's pool check every connection it hands out
(an empty query: one more round trip for every request and task that touches the database). Here, as HikariCP
does (aliveBypassWindowMs), a connection handed back to the pool less than CHECK_AFTER_IDLE seconds ago goes out
unchecked: it was working a moment ago. One idle for longer, or never used, is checked; a dead one (PostgreSQL
restarted, the session killed) is discarded and another taken. settings.DATABASES turns Django's
CONN_HEALTH_CHECKS off for this engine where the pool is on (omni.settings.data).

Test databases are dropped WITH (FORCE) (PostgreSQL 13+): a session left open at the end of a test run (a pooled
connection of another thread, a helper's own) no longer keeps the database from being dropped."""

import time

import psycopg
from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.db.backends.postgresql.creation import DatabaseCreation as PostgreSQLCreation
from psycopg_pool import ConnectionPool

_REGISTERED = "_omni_geometry_adapters"
_RETURNED = "_omni_returned_at"
CHECK_AFTER_IDLE = 1.0  # seconds since a connection was handed back, past which it is checked on checkout


class DatabaseCreation(PostgreSQLCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        with self._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {self.connection.ops.quote_name(test_database_name)} WITH (FORCE)")


class DatabaseWrapper(PostGISDatabaseWrapper):
    creation_class = DatabaseCreation

    def register_geometry_adapters(self, pg_connection, clear_caches=False):
        if clear_caches or not getattr(pg_connection, _REGISTERED, False):
            super().register_geometry_adapters(pg_connection, clear_caches)
            setattr(pg_connection, _REGISTERED, True)

    def get_new_connection(self, conn_params):
        attempts = self.pool.max_size + 1 if self.pool else 1  # every pooled connection dead, then a new one
        for attempt in range(attempts):
            connection = super().get_new_connection(conn_params)
            if not self.pool:
                return connection
            returned = getattr(connection, _RETURNED, None)
            if returned is not None and time.monotonic() - returned < CHECK_AFTER_IDLE:
                return connection
            try:
                ConnectionPool.check_connection(connection)
            except psycopg.Error:
                connection.close()
                connection._pool.putconn(connection)  # a closed connection is discarded, and replaced
                if attempt == attempts - 1:
                    raise
                continue
            return connection

    def _close(self):
        if self.pool and self.connection is not None:
            setattr(self.connection, _RETURNED, time.monotonic())
        super()._close()
