from omni.api.routers import Router

from .crews import CrewViewSet
from .dispatch import DispatchRunViewSet, work_order_paths
from .orders import AppointmentViewSet, WorkOrderViewSet, WorkTypeViewSet
from .people import MembershipViewSet, SkillViewSet, TechnicianViewSet, TerritoryViewSet
from .shifts import ShiftPatternViewSet, ShiftViewSet, TimeOffViewSet
from .views import VendorViewSet

router = Router()
router.register("vendors", VendorViewSet, basename="vendor")
router.register("dispatch-runs", DispatchRunViewSet, basename="dispatch-run")
router.register("skills", SkillViewSet, basename="skill")
router.register("technicians", TechnicianViewSet, basename="technician")
router.register("territories", TerritoryViewSet, basename="territory")
router.register("territory-memberships", MembershipViewSet, basename="territorymembership")
router.register("shift-patterns", ShiftPatternViewSet, basename="shiftpattern")
router.register("shifts", ShiftViewSet, basename="shift")
router.register("time-off", TimeOffViewSet, basename="timeoff")
router.register("work-types", WorkTypeViewSet, basename="worktype")
router.register("crews", CrewViewSet, basename="crew")
router.register("work-orders", WorkOrderViewSet, basename="workorder")
router.register("appointments", AppointmentViewSet, basename="appointment")

urlpatterns = [*router.urls, *work_order_paths]
