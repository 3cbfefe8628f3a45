"""The database engine: Django's PostGIS backend, registering its geometry adapters once per connection.

Django's PostGIS backend registers the geometry and geography adapters in `get_new_connection`, which with the
pool runs on every checkout: each request and task that touches the database built two dumper classes and
registered them again on a connection that already had them (a tenth of a webhook's own time). The adapters live
on the psycopg connection, so once is enough; `clear_caches` (PostGIS created on that connection) still
registers again. settings.DATABASES uses this engine wherever the URL says postgis://."""

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

_REGISTERED = "_omni_geometry_adapters"


class DatabaseWrapper(PostGISDatabaseWrapper):
    def register_geometry_adapters(self, pg_connection, clear_caches=False):
        if clear_caches or not getattr(pg_connection, _REGISTERED, False):
            super().register_geometry_adapters(pg_connection, clear_caches)
            setattr(pg_connection, _REGISTERED, True)
