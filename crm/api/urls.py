from omni.api.routers import Router

from .leads import LeadStageViewSet, LeadViewSet
from .quotes import QuoteViewSet
from .views import AccountViewSet, ContactViewSet, ResellerViewSet

router = Router()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("resellers", ResellerViewSet, basename="reseller")
router.register("leads", LeadViewSet, basename="lead")
router.register("lead-stages", LeadStageViewSet, basename="leadstage")
router.register("quotes", QuoteViewSet, basename="quote")

urlpatterns = router.urls
