from omni.api.routers import Router

from .views import AccountViewSet, ContactViewSet, ResellerViewSet

router = Router()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("resellers", ResellerViewSet, basename="reseller")

urlpatterns = router.urls
