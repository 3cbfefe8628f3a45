from rest_framework.routers import DefaultRouter

from .views import VendorViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("vendors", VendorViewSet, basename="vendor")

urlpatterns = router.urls
