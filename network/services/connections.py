"""Joining and parting fibre endpoints. Each endpoint is in at most one connection: the database decides
(ConnectionEnd's primary key, written by a trigger), so two concurrent splices of one fibre end cannot both
commit; the loser gets Conflict (409)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from omni.db import violated_constraint
from omni.exceptions import Conflict
from omni.models import User

from .. import events
from ..choices import CONNECTION_LOSS_DB, ConnectionKind, ConnectionStatus, EndpointKind
from ..models import ENDPOINT_TAKEN_CONSTRAINT, Connection, ConnectionEnd, Enclosure, Endpoint, SpliceTray
from .paths import paths_mark_dirty_for
from .protection import plant_guard

# Splices fuse two bare fibres: only strand ends. Patches and connector mates join any two ports.
_SPLICE_KINDS = (ConnectionKind.SPLICE, ConnectionKind.MECHANICAL_SPLICE, ConnectionKind.EXPRESS)


def _endpoint(pk, field: str) -> Endpoint:
    try:
        return Endpoint.objects.select_related("enclosure").get(pk=pk)
    except (Endpoint.DoesNotExist, ValidationError, ValueError):
        raise ValidationError({field: [_("Unknown endpoint.")]}) from None


def _taken_message(endpoint: Endpoint) -> str:
    end = ConnectionEnd.objects.select_related("connection__enclosure").filter(endpoint=endpoint).first()
    where = end.connection.enclosure if end else None
    return _("This endpoint is already connected in %(enclosure)s.") % {"enclosure": where or _("another enclosure")}


def connection_check(
    *, enclosure: Enclosure, a: Endpoint, b: Endpoint, kind: str, tray: SpliceTray | None, position: int | None
) -> None:
    """The rules of one connection that need no lock: two different endpoints, both in the enclosure, splices
    between strand ends, the tray in the enclosure. ValidationError keyed by field."""
    if kind not in ConnectionKind.values:
        raise ValidationError({"kind": [_("Unknown connection kind.")]})
    if a.pk == b.pk:
        raise ValidationError({"b": [_("A connection joins two different endpoints.")]})
    for field, endpoint in (("a", a), ("b", b)):
        if endpoint.enclosure_id != enclosure.pk:
            where = endpoint.enclosure or _("no enclosure")
            raise ValidationError(
                {
                    field: [
                        _("This endpoint is in %(where)s, not in %(enclosure)s.")
                        % {"where": where, "enclosure": enclosure}
                    ]
                }
            )
        if kind in _SPLICE_KINDS and endpoint.kind != EndpointKind.STRAND:
            raise ValidationError({field: [_("Only fibre (strand) ends are spliced; use a patch or connector mate.")]})
    if tray is not None and tray.enclosure_id != enclosure.pk:
        raise ValidationError({"tray": [_("This tray is in another enclosure.")]})
    if position is not None and tray is None:
        raise ValidationError({"tray": [_("A position needs its tray.")]})


def connection_create(
    *,
    enclosure_id: UUID,
    a_id: UUID,
    b_id: UUID,
    kind: str = ConnectionKind.SPLICE,
    status: str = ConnectionStatus.AS_BUILT,
    tray_id: UUID | None = None,
    position: int | None = None,
    loss_db: Decimal | None = None,
    notes: str = "",
    splice_plan_id: UUID | None = None,
    by: User | None = None,
) -> Connection:
    """Join endpoints a and b in an enclosure. ValidationError keyed by field; Conflict (409, naming the field and
    the enclosure holding it) when either endpoint is already connected, even by a concurrent transaction."""
    try:
        enclosure = Enclosure.objects.get(pk=enclosure_id)
    except (Enclosure.DoesNotExist, ValidationError, ValueError):
        raise ValidationError({"enclosure": [_("Unknown enclosure.")]}) from None
    a, b = _endpoint(a_id, "a"), _endpoint(b_id, "b")
    tray = None
    if tray_id is not None:
        tray = SpliceTray.objects.filter(pk=tray_id).first()
        if tray is None:
            raise ValidationError({"tray": [_("Unknown tray.")]})
    connection_check(enclosure=enclosure, a=a, b=b, kind=kind, tray=tray, position=position)
    connection = Connection(
        kind=kind, status=status, enclosure=enclosure, tray=tray, position=position, a=a, b=b, loss_db=loss_db,
        calculated_loss_db=CONNECTION_LOSS_DB[kind], notes=notes, splice_plan_id=splice_plan_id,
    )  # fmt: skip
    connection.full_clean(validate_constraints=False)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives the refusal
                connection.save()
        except IntegrityError as exc:
            constraint = violated_constraint(exc)
            if constraint == ENDPOINT_TAKEN_CONSTRAINT:
                field = "a" if ConnectionEnd.objects.filter(endpoint=a).exists() else "b"
                raise Conflict(
                    _taken_message(a if field == "a" else b), fields={field: [_taken_message(a if field == "a" else b)]}
                ) from exc
            if constraint == "network_connection_tray_position_unique":
                msg = _("This tray position is taken.")
                raise Conflict(msg, fields={"position": [msg]}) from exc
            raise
        events.connection_created(connection, by_id=by.pk if by else None)
        paths_mark_dirty_for(connection)
    return connection


def connection_update(*, connection_id: UUID, by: User | None = None, **fields) -> Connection:
    """Record a measured loss (OTDR, power meter; None clears it) beside the calculated one, or notes. Its ends,
    kind and place never change (ValidationError naming the field)."""
    fixed = set(fields) - {"loss_db", "notes"}
    if fixed:
        raise ValidationError(
            {name: [_("This cannot change: part the connection and make a new one.")] for name in fixed}
        )
    if fields.get("loss_db") is not None and fields["loss_db"] < 0:
        raise ValidationError({"loss_db": [_("Loss cannot be negative.")]})
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        changed = [name for name, value in fields.items() if getattr(connection, name) != value]
        if changed:
            for name in changed:
                setattr(connection, name, fields[name])
            connection.save(update_fields=[*changed, "updated_at"])
            events.plant_changed(connection, "updated", by_id=by.pk if by else None)
            paths_mark_dirty_for(connection)
    return connection


def connection_delete(*, connection_id: UUID, by: User | None = None) -> None:
    """Part a connection. Conflict (409) when it carries a lit path (protection hook)."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        plant_guard(connections=[connection.pk])
        events.plant_changed(connection, "deleted", by_id=by.pk if by else None)
        paths_mark_dirty_for(connection)
        connection.delete()
