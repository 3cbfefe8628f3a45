"""The API of partner organisations (omni.models.PartnerOrganisation: a reseller, a vendor): the serializers and one
viewset that each partner app extends with its model, audience and selector. Staff read, create, change, switch off
and on, and delete them (omni.services.partner_*); a partner's own portal users read their organisation only."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..choices import Audience
from . import parse
from .filters import SearchFilter
from .schema import error_responses
from .views import ApiViewSet

PARTNER_FIELDS = ["id", "name", "email", "phone", "is_active", "created_at", "updated_at"]


# Extend with `class Meta(PartnerPortalOut.Meta): model = ...`. No docstring: it would become the schema's description.
class PartnerPortalOut(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    phone = serializers.CharField(read_only=True, help_text="E.164 or empty.")
    is_active = serializers.BooleanField(
        read_only=True, help_text="Switched off (false), its portal users cannot sign in or use the API."
    )

    class Meta:
        fields = PARTNER_FIELDS
        read_only_fields = fields


# What staff see: with the internal notes. Extend with `class Meta(PartnerOut.Meta): model = ...`.
class PartnerOut(PartnerPortalOut):
    class Meta(PartnerPortalOut.Meta):
        fields = read_only_fields = [*PARTNER_FIELDS, "notes"]


class PartnerIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="Unique, whatever the case.")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = PhoneNumberField(required=False, allow_blank=True, default="", help_text="E.164, e.g. +2348031234567.")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class PartnerFilterSet(django_filters.FilterSet):
    """`?search=` (name or email contains) and `?is_active=`: the API's partner lists and the console's."""

    search = SearchFilter(
        condition=lambda value: Q(name__icontains=value) | Q(email__icontains=value),
        label=_("Search"),
        help_text=_("Name or email contains."),
    )
    # A choice, not a BooleanFilter: that one reads an unknown value as "any" where a 400 naming it is wanted.
    is_active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_active",
        label=_("Active"),
        help_text=_("true: switched on; false: switched off."),
    )

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")


def partner_schema(singular: str, plural: str, out: type[serializers.Serializer]):
    """The summaries and bodies of a partner viewset's operations, for its `@partner_schema(...)` decorator."""
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: out(many=True)}),
        retrieve=extend_schema(summary=f"Get a {singular}", responses={200: out}),
        create=extend_schema(summary=f"Create a {singular}", request=PartnerIn, responses={201: out}),
        update=extend_schema(summary=f"Replace a {singular}", request=PartnerIn, responses={200: out}),
        partial_update=extend_schema(summary=f"Change a {singular}", request=PartnerIn, responses={200: out}),
        destroy=extend_schema(
            summary=f"Delete a {singular}",
            description="409 while rows still point at it (a reseller's accounts); its portal users are deactivated.",
            responses={204: OpenApiResponse(description="Deleted"), **error_responses(409)},
        ),
        activate=extend_schema(
            summary=f"Switch a {singular} on",
            description="Its portal users who were switched off with it can sign in again. Idempotent.",
            request=None,
            responses={200: out},
        ),
        deactivate=extend_schema(
            summary=f"Switch a {singular} off",
            description="Its portal users are cut off at once (sessions, API tokens, sign-in). Idempotent.",
            request=None,
            responses={200: out},
        ),
    )


class PartnerViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Staff (view/add/change/delete_<model>) list, read, create, change and delete; `POST <id>/deactivate/` and
    `<id>/activate/` switch one off and on (change_<model>), as accounts' `restore` and `transition` actions:
    `is_active` is not a writable field. A subclass sets serializer_class (staff's `…Out`), portal_serializer_class
    (`…PortalOut`, what its own portal users read), portal_audiences, and visible_to, the selector of the partners a
    user may see (`staticmethod(selectors.x_list_visible_to)`); its docstring and partner_schema describe it."""

    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    filterset_class = PartnerFilterSet
    visible_to = None
    portal_serializer_class: type[serializers.Serializer]
    action_permission = {"activate": "change", "deactivate": "change"}

    def get_queryset(self):
        return self.visible_to(user=self.request.user)

    def get_serializer_class(self):
        if self.request.user.audience == Audience.STAFF:
            return self.serializer_class
        return self.portal_serializer_class

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer_class()(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        model = self.get_queryset().model
        partner = services.partner_create(model, by=request.user, **parse(PartnerIn, request))
        return self._out(partner.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        partner = self.get_object()
        data = parse(PartnerIn, request, partial=partial)
        services.partner_update(type(partner), partner_id=partner.pk, by=request.user, **data)
        return self._out(partner.pk)

    def destroy(self, request, *args, **kwargs):
        partner = self.get_object()
        services.partner_delete(type(partner), partner_id=partner.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _active_set(self, active: bool):
        partner = self.get_object()
        services.partner_active_set(type(partner), partner_id=partner.pk, active=active, by=self.request.user)
        return self._out(partner.pk)

    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._active_set(True)

    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._active_set(False)
