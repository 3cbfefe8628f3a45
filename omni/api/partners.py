"""The API of partner organisations (omni.models.PartnerOrganisation: a reseller, a vendor): one read-only
serializer and viewset that each partner app extends with its model, audience and selector."""

from rest_framework import mixins, serializers

from .views import ApiViewSet

PARTNER_FIELDS = ["id", "name", "email", "phone", "is_active", "created_at", "updated_at"]


# Extend with `class Meta(PartnerOut.Meta): model = ...`. No docstring: it would become the schema's description.
class PartnerOut(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")

    class Meta:
        fields = PARTNER_FIELDS
        read_only_fields = fields


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """List and detail, read-only. A subclass sets serializer_class, portal_audiences (the partner's own users)
    and visible_to, the selector of the partners a user may see (`staticmethod(selectors.x_list_visible_to)`);
    its docstring and extend_schema_view (the summaries) describe it in the schema."""

    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    visible_to = None

    def get_queryset(self):
        return self.visible_to(user=self.request.user)
