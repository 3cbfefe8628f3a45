from omni.api.partners import PartnerViewSet, partner_schema
from omni.choices import Audience

from .. import selectors
from .serializers import VendorOut, VendorPortalOut


@partner_schema("vendor", "vendors", VendorOut)
class VendorViewSet(PartnerViewSet):
    """Contractor companies. Staff with workforce.view_vendor see all and write with add/change/delete_vendor
    (switching one off or on: change); a vendor user reads their own."""

    serializer_class = VendorOut
    portal_serializer_class = VendorPortalOut
    portal_audiences = (Audience.VENDOR,)
    visible_to = staticmethod(selectors.vendor_list_visible_to)
