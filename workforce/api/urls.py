from omni.api.routers import Router

from .views import VendorViewSet

router = Router()
router.register("vendors", VendorViewSet, basename="vendor")

urlpatterns = router.urls
