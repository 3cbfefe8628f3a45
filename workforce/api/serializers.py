from rest_framework import serializers

from ..models import Vendor


class VendorOut(serializers.ModelSerializer):
    phone = serializers.CharField(read_only=True)

    class Meta:
        model = Vendor
        fields = ["id", "name", "email", "phone", "is_active", "created_at", "updated_at"]
        read_only_fields = fields
