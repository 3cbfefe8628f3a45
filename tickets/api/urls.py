from omni.api.routers import Router

from .views import BusinessCalendarViewSet, SLAPolicyViewSet

router = Router()
router.register("calendars", BusinessCalendarViewSet, basename="calendar")
router.register("sla-policies", SLAPolicyViewSet, basename="sla-policy")

urlpatterns = router.urls
