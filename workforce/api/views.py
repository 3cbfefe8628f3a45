from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import selectors
from .serializers import VendorOut


@extend_schema_view(
    list=extend_schema(summary="List vendors", responses={200: VendorOut(many=True)}),
    retrieve=extend_schema(summary="Get a vendor", responses={200: VendorOut}),
)
class VendorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Contractor companies. Staff with workforce.view_vendor see all; a vendor user their own."""

    serializer_class = VendorOut
    portal_audiences = (Audience.VENDOR,)
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.vendor_list_visible_to(user=self.request.user)
