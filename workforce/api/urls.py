from omni.api.routers import Router

from .dispatch import DispatchRunViewSet, work_order_paths
from .views import VendorViewSet

router = Router()
router.register("vendors", VendorViewSet, basename="vendor")
router.register("dispatch-runs", DispatchRunViewSet, basename="dispatch-run")

urlpatterns = [*router.urls, *work_order_paths]
