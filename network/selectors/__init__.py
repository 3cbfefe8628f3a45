"""Reads of network (STYLE.md section 4). plant.py: the plant lists and the strand table, staff only. The trace and
impact reads live beside it (trace.py)."""

from .plant import cable_strands, plant_list_visible_to, strand_state

__all__ = ["cable_strands", "plant_list_visible_to", "strand_state"]
