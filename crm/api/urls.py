from omni.api.routers import Router

from .quotes import QuoteViewSet
from .views import AccountViewSet, ContactViewSet, ResellerViewSet

router = Router()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("resellers", ResellerViewSet, basename="reseller")
router.register("quotes", QuoteViewSet, basename="quote")

urlpatterns = router.urls
