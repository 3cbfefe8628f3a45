from rest_framework import serializers

from ..models import Vendor


class VendorOut(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    phone = serializers.CharField(read_only=True, help_text="E.164 or empty.")

    class Meta:
        model = Vendor
        fields = ["id", "name", "email", "phone", "is_active", "created_at", "updated_at"]
        read_only_fields = fields
