from omni.api.routers import Router

from .inbox_channels import ChannelViewSet
from .inbox_config import CannedReplyViewSet, InboxTeamViewSet, LabelViewSet
from .inbox_conversations import ConversationViewSet
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
router.register("channels", ChannelViewSet, basename="channel")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("canned-replies", CannedReplyViewSet, basename="cannedreply")
router.register("labels", LabelViewSet, basename="label")
router.register("inbox-teams", InboxTeamViewSet, basename="inboxteam")

urlpatterns = router.urls
