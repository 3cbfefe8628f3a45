"""The test suite's database backend: PostGIS's, with a cheaper flush.

A transactional test (live_server, the Celery and concurrency tests) is cleaned up by `flush`, which empties every
table with one `TRUNCATE` of all ~140 tables: PostgreSQL then makes new files for each table and index, about
0.8 s on this 2-core box (10 s under load), after every such test. Most of those tables are empty or hold a few
rows, and `DELETE FROM` each one, in one transaction with the foreign keys (all DEFERRABLE INITIALLY DEFERRED)
checked at commit, takes about 0.1 s. A flush that resets sequences keeps the TRUNCATE (RESTART IDENTITY).
Dead rows are left for VACUUM, as a rolled-back test's are."""

from django.contrib.gis.db.backends.postgis import base
from django.contrib.gis.db.backends.postgis.operations import PostGISOperations


class DatabaseOperations(PostGISOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences:
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [
            "SET CONSTRAINTS ALL DEFERRED;",
            *(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables),
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
