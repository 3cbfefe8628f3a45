from rest_framework.routers import DefaultRouter

from .views import AccountViewSet, ContactViewSet, ResellerViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("resellers", ResellerViewSet, basename="reseller")

urlpatterns = router.urls
