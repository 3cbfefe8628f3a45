"""Writes of the workforce app: every entry point (API, admin, console) calls these."""

from .board import appointment_place
from .jeopardy import appointments_flag_at_risk
from .orders import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    work_order_create,
    work_order_skills_set,
    work_order_transition,
    work_order_update,
    work_type_create,
    work_type_skills_set,
    work_type_update,
)
from .people import (
    membership_create,
    membership_update,
    shift_create,
    shift_pattern_create,
    shifts_generate,
    skill_create,
    skill_update,
    technician_create,
    technician_skills_set,
    technician_update,
    territory_create,
    territory_update,
    time_off_decide,
    time_off_request,
)
from .vendors import vendor_user_create

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_place",
    "appointment_reschedule",
    "appointments_flag_at_risk",
    "membership_create",
    "membership_update",
    "shift_create",
    "shift_pattern_create",
    "shifts_generate",
    "skill_create",
    "skill_update",
    "technician_create",
    "technician_skills_set",
    "technician_update",
    "territory_create",
    "territory_update",
    "time_off_decide",
    "time_off_request",
    "vendor_user_create",
    "work_order_create",
    "work_order_skills_set",
    "work_order_transition",
    "work_order_update",
    "work_type_create",
    "work_type_skills_set",
    "work_type_update",
]
