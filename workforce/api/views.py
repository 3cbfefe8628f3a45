from drf_spectacular.utils import extend_schema, extend_schema_view

from omni.api.partners import PartnerViewSet
from omni.choices import Audience

from .. import selectors
from .serializers import VendorOut


@extend_schema_view(list=extend_schema(summary="List vendors"), retrieve=extend_schema(summary="Get a vendor"))
class VendorViewSet(PartnerViewSet):
    """Contractor companies. Staff with workforce.view_vendor see all; a vendor user their own."""

    serializer_class = VendorOut
    portal_audiences = (Audience.VENDOR,)
    visible_to = staticmethod(selectors.vendor_list_visible_to)
