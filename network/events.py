"""The events network emits (catalogue entries) and the functions its services call, inside their transaction, to
record them in the outbox (notifications.outbox: webhooks go out after commit)."""

from notifications import outbox, registry

PLANT_PAYLOAD = ("kind", "id", "number", "name", "status", "verb")
CONNECTION_PAYLOAD = ("id", "kind", "status", "enclosure", "a", "b", "loss_db", "calculated_loss_db", "splice_plan")

registry.register(
    "network.plant.changed",
    "Fibre plant was created, changed or deleted (structures, pathways, cables, enclosures, equipment, service points)",
    payload=PLANT_PAYLOAD,
    channels=(),
)
registry.register(
    "network.plant.retired",
    "A piece of fibre plant was retired (taken out of service)",
    payload=PLANT_PAYLOAD,
    channels=(),
)
registry.register(
    "network.connection.created",
    "Two fibre endpoints were joined (splice, patch, connector mate)",
    payload=CONNECTION_PAYLOAD,
    channels=(),
)


def _plant_data(record, verb: str) -> dict:
    return {
        "kind": record._meta.model_name,
        "id": str(record.pk),
        "number": getattr(record, "number", "") if isinstance(getattr(record, "number", ""), str) else "",
        "name": str(getattr(record, "name", "") or getattr(record, "serial", "") or ""),
        "status": getattr(record, "status", ""),
        "verb": verb,
    }


def plant_changed(record, verb: str, *, by_id=None) -> None:
    """In the caller's transaction: network.plant.changed for a created, updated or deleted record (the tile
    and path-cache consumers listen to it)."""
    outbox.event_record(
        "network.plant.changed", _plant_data(record, verb), permission="network.view_cable", by_id=by_id
    )


def plant_retired(record, *, by_id=None) -> None:
    outbox.event_record(
        "network.plant.retired", _plant_data(record, "retired"), permission="network.view_cable", by_id=by_id
    )


def connection_created(connection, *, by_id=None) -> None:
    data = {
        "id": str(connection.pk),
        "kind": connection.kind,
        "status": connection.status,
        "enclosure": str(connection.enclosure_id),
        "a": str(connection.a_id),
        "b": str(connection.b_id),
        "loss_db": None if connection.loss_db is None else str(connection.loss_db),
        "calculated_loss_db": str(connection.calculated_loss_db),
        "splice_plan": None if connection.splice_plan_id is None else str(connection.splice_plan_id),
    }
    outbox.event_record("network.connection.created", data, permission="network.view_connection", by_id=by_id)
