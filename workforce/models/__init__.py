from .crews import Crew
from .dispatch import DispatchAssignment, DispatchRun, SchedulingPolicy
from .field import (
    TIME_ENTRY_NO_OVERLAP,
    ChecklistItem,
    CustomerSignature,
    MaterialUsed,
    SyncOperation,
    TimeEntry,
    WorkOrderNote,
    WorkOrderPhoto,
    WorkOrderStatusChange,
)
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
    "TIME_ENTRY_NO_OVERLAP",
    "Appointment",
    "ChecklistItem",
    "CustomerSignature",
    "MaterialUsed",
    "SyncOperation",
    "TimeEntry",
    "WorkOrderNote",
    "WorkOrderPhoto",
    "WorkOrderStatusChange",
    "DispatchAssignment",
    "DispatchRun",
    "SchedulingPolicy",
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
