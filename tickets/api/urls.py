from omni.api.routers import Router

from .views import BusinessCalendarViewSet, SLAPolicyViewSet, TeamViewSet, TicketViewSet

router = Router()
router.register("calendars", BusinessCalendarViewSet, basename="calendar")
router.register("sla-policies", SLAPolicyViewSet, basename="sla-policy")
router.register("teams", TeamViewSet, basename="team")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = router.urls
