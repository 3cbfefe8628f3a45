from omni.api.routers import Router

from .views import BusinessCalendarViewSet

router = Router()
router.register("calendars", BusinessCalendarViewSet, basename="calendar")

urlpatterns = router.urls
