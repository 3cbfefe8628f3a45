from .crews import Crew
from .orders import APPOINTMENT_NO_DOUBLE_BOOKING, Appointment, WorkOrder, WorkOrderSkill, WorkType, WorkTypeSkill
from .people import (
    ServiceTerritory,
    Shift,
    ShiftPattern,
    Skill,
    Technician,
    TechnicianSkill,
    TerritoryMembership,
    TimeOff,
)
from .vendors import Vendor, VendorUser

__all__ = [
    "APPOINTMENT_NO_DOUBLE_BOOKING",
    "Appointment",
    "Crew",
    "ServiceTerritory",
    "Shift",
    "ShiftPattern",
    "Skill",
    "Technician",
    "TechnicianSkill",
    "TerritoryMembership",
    "TimeOff",
    "Vendor",
    "VendorUser",
    "WorkOrder",
    "WorkOrderSkill",
    "WorkType",
    "WorkTypeSkill",
]
