"""Every write to network (STYLE.md section 3). plant.py: the plant records and cable instantiation; capacity.py:
the stored strand counts of each cable and the strand flags;
connections.py: joining endpoints; splice_plans.py: plans and their atomic apply; protection.py: the hook that
refuses to retire or delete plant carrying a lit path (filled by the trace/impact work)."""

from .capacity import cable_capacity_refresh, cable_capacity_refresh_all, strand_update
from .connections import connection_check, connection_create, connection_delete, connection_update
from .plant import (
    cable_create,
    cable_route_set,
    cable_segment_create,
    cable_segment_update,
    cable_update,
    enclosure_create,
    olt_create,
    ont_create,
    pon_port_create,
    record_create,
    record_delete,
    record_update,
    service_point_create,
    slack_loop_create,
    splitter_create,
    splitter_update,
)
from .protection import plant_guard, plant_lit_services
from .splice_plans import (
    splice_plan_apply,
    splice_plan_create,
    splice_plan_delete,
    splice_plan_transition,
    splice_plan_update,
)

__all__ = [
    "cable_capacity_refresh",
    "cable_capacity_refresh_all",
    "cable_create",
    "cable_route_set",
    "cable_segment_create",
    "cable_segment_update",
    "cable_update",
    "connection_check",
    "connection_create",
    "connection_delete",
    "connection_update",
    "enclosure_create",
    "olt_create",
    "ont_create",
    "plant_guard",
    "plant_lit_services",
    "pon_port_create",
    "record_create",
    "record_delete",
    "record_update",
    "service_point_create",
    "slack_loop_create",
    "splice_plan_apply",
    "splice_plan_create",
    "splice_plan_delete",
    "splice_plan_transition",
    "splice_plan_update",
    "splitter_create",
    "splitter_update",
    "strand_update",
]
