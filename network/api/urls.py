from omni.api.routers import Router

from . import views

router = Router()
router.register("structures", views.StructureViewSet, basename="structure")
router.register("pathways", views.PathwayViewSet, basename="pathway")
router.register("cable-segments", views.CableSegmentViewSet, basename="cable-segment")
router.register("slack-loops", views.SlackLoopViewSet, basename="slack-loop")
router.register("cable-types", views.CableTypeViewSet, basename="cable-type")
router.register("cables", views.CableViewSet, basename="cable")
router.register("enclosures", views.EnclosureViewSet, basename="enclosure")
router.register("olts", views.OltViewSet, basename="olt")
router.register("pon-ports", views.PonPortViewSet, basename="pon-port")
router.register("splitters", views.SplitterViewSet, basename="splitter")
router.register("onts", views.OntViewSet, basename="ont")
router.register("connections", views.ConnectionViewSet, basename="connection")
router.register("splice-plans", views.SplicePlanViewSet, basename="splice-plan")
router.register("service-points", views.ServicePointViewSet, basename="service-point")

urlpatterns = router.urls
