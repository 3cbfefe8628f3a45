from rest_framework import serializers

from omni.api.partners import PartnerOut

from ..models import Vendor


class VendorOut(PartnerOut):
    phone = serializers.CharField(read_only=True, help_text="E.164 or empty.")

    class Meta(PartnerOut.Meta):
        model = Vendor
