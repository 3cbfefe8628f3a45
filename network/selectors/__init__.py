"""Reads of network (STYLE.md section 4). plant.py: the plant lists and the strand table, staff only. The trace and
impact reads live beside it (trace.py)."""

from .plant import (
    CAPACITY_SQL,
    LIT_STRANDS_SQL,
    cable_capacity_live,
    cable_strands,
    capacity_sql,
    lit_strand_sql,
    lit_strands_join,
    plant_list_visible_to,
    strand_is_lit,
    strand_state,
)

__all__ = [
    "CAPACITY_SQL",
    "LIT_STRANDS_SQL",
    "cable_capacity_live",
    "cable_strands",
    "capacity_sql",
    "lit_strand_sql",
    "lit_strands_join",
    "plant_list_visible_to",
    "strand_is_lit",
    "strand_state",
]
