"""Database helpers shared by every app: people-facing numbers, constraint names, timestamps as text, prepared
statements, the replica router."""

from contextvars import ContextVar
from datetime import datetime

import psycopg
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models
from django.db.models import Func, Value
from django.db.models.functions import Cast


class NextNumber(Func):
    """`ACC-000001`-style numbers drawn from a PostgreSQL sequence, used as a column's `db_default`.

    The database fills the column on every insert path (ORM, bulk_create, raw SQL), so two writers can never
    get the same number. `omni_next_number()` is created by omni's migration 0001; the sequence by the owning
    app's migration (`CREATE SEQUENCE <app>_<model>_number_seq`). Past 10**width the number just grows longer.
    """

    function = "omni_next_number"
    output_field = models.CharField()

    def __init__(self, prefix: str, sequence: str, width: int = 6):
        super().__init__(Value(prefix), Value(sequence), Value(width))


NEXT_NUMBER_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION omni_next_number(prefix text, seq text, width integer) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT prefix || CASE WHEN n < 10 ^ width THEN lpad(n::text, width, '0') ELSE n::text END
    FROM nextval(seq::regclass) AS n
$$;
"""


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint an IntegrityError broke (PostgreSQL reports it), or None."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def create_sequence_sql(name: str) -> str:
    return f"CREATE SEQUENCE IF NOT EXISTS {name};"


def drop_sequence_sql(name: str) -> str:
    return f"DROP SEQUENCE IF EXISTS {name};"


TIMESTAMP_FIELDS = ("created_at", "updated_at", "deleted_at")


def timestamps_as_text(*fields: str) -> dict[str, Cast]:
    """values() annotations reading timestamps as text (`<field>__text`). With the session in UTC (Django's
    default with USE_TZ), `datetime.fromisoformat` parses them 30x faster than the loader Django installs
    in psycopg: a third of the Python time of a 100-row API page (bench/api_list.py)."""
    return {f"{field}__text": Cast(field, models.TextField()) for field in fields or TIMESTAMP_FIELDS}


def parse_timestamps(row: dict, *fields: str) -> dict:
    """Turns the `<field>__text` values of a row back into aware datetimes under their own names."""
    for field in fields or TIMESTAMP_FIELDS:
        value = row.pop(f"{field}__text")
        row[field] = None if value is None else datetime.fromisoformat(value)
    return row


# Set once this request (or task) has written: its reads then go to the primary, which already holds the write
# (the replica may lag behind it). A ContextVar, so it follows a request across the ASGI handler's threads.
_wrote: ContextVar[bool] = ContextVar("omni_db_wrote", default=False)


# ---- prepared statements --------------------------------------------------------------------------------------
# Django binds parameters client-side (psycopg's ClientCursor, which never prepares) and connects with psycopg's
# prepared statements off (`prepare_threshold` None, for external poolers; ours is psycopg's own pool). So every
# statement is planned again on every execution. For a hot statement whose planning costs more than its run (the
# dispatch candidate query: ~1 ms of planning for ~0.5 ms of work; the inbound webhook's INSERT), fetch_prepared
# binds server-side and prepares it on its connection at first use: PostgreSQL keeps it for the connection's life
# (pooled connections live on across requests). PostgreSQL's own choice (five custom plans, then the generic plan
# only when its estimate is no worse) kept re-planning the candidate query on every call, so the connection asks
# for the generic plan of every prepared statement (`plan_cache_mode = force_generic_plan`, set once per connection,
# outside any transaction so that no rollback undoes it): a statement is planned once per connection. Only
# statements fetch_prepared prepares are affected (Django's never are); one whose best plan depends on its values
# (the soft-territory candidate query, which reads every technician) is run through Django's cursor instead.

_GENERIC_PLANS = "_omni_generic_plans"


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding, every statement prepared (the connection's prepare_threshold only has to be set)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _plan_generically(raw: psycopg.Connection) -> None:
    """Once per connection, when no transaction is open (a SET inside one would be undone by its rollback)."""
    if getattr(raw, _GENERIC_PLANS, False) or raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return
    raw.execute("SET plan_cache_mode = force_generic_plan")
    setattr(raw, _GENERIC_PLANS, True)


def fetch_prepared(sql: str, params: dict | list, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """cursor.execute(sql, params).fetchall() through a prepared statement of the connection, planned once: the same
    rows, one query for Django (counted and logged as any other; DEBUG logs it with $n placeholders). The SQL takes
    psycopg's server-side placeholders as written (%s or %(name)s, each a typed expression: `%(start)s::timestamptz`).
    """
    connection = connections[using]
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # only server-side binding cursors ever prepare: Django's client-side ones stay as they are
        raw.prepare_threshold = 5
    with connection.wrap_database_errors:
        _plan_generically(raw)
        cursor = _PreparingCursor(raw)
    wrapped = connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    with wrapped:
        wrapped.execute(sql, params)
        return wrapped.fetchall()


def replica_unpin() -> None:
    """A new unit of work (request, task) starts reading from the replica again."""
    _wrote.set(False)


class ReplicaRouter:
    """With DATABASE_REPLICA_URL: writes and migrations go to the primary ("default"); reads go to the replica
    unless they must see the primary's latest state: inside a transaction on the primary (a read there may
    decide a write), or after this request or task has written (it reads its own writes). Token lookups ask for
    the primary themselves (omni.tokens)."""

    def db_for_read(self, model, **hints):
        if _wrote.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return "replica"

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaPinMiddleware:
    """First in MIDDLEWARE: each request starts reading from the replica, whatever the thread's last request wrote
    (WSGI threads and ASGI's thread pool serve many requests). Celery tasks reset it in omni.celery."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _wrote.set(False)
        try:
            return self.get_response(request)
        finally:
            _wrote.reset(token)
