from omni.api.partners import PartnerOut, PartnerPortalOut

from ..models import Vendor


class VendorPortalOut(PartnerPortalOut):
    class Meta(PartnerPortalOut.Meta):
        model = Vendor


class VendorOut(PartnerOut):
    class Meta(PartnerOut.Meta):
        model = Vendor
