"""The database engine: Django's PostGIS backend, registering its geometry adapters once per connection.

Django's PostGIS backend registers the geometry and geography adapters in `get_new_connection`, which with the
pool runs on every checkout: each request and task that touches the database built two dumper classes and
registered them again on a connection that already had them (a tenth of a webhook's own time). The adapters live
on the psycopg connection, so once is enough; `clear_caches` (PostGIS created on that connection) still
registers again. settings.DATABASES uses this engine wherever the URL says postgis://.

Test databases are dropped WITH (FORCE) (PostgreSQL 13+): a session left open at the end of a test run (a pooled
connection of another thread, a helper's own) no longer keeps the database from being dropped."""

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.db.backends.postgresql.creation import DatabaseCreation as PostgreSQLCreation

_REGISTERED = "_omni_geometry_adapters"


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
