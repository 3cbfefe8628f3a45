"""The API of leads and pipeline stages: serializers, the FilterSet (shared with the console), the viewsets.

Staff read leads with crm.view_lead (Agents, Sales, Admin) and write with add/change/delete_lead (Sales, Admin);
a reseller user lists and reads their reseller's leads and registers new ones (their reseller, source
"reseller"); customers and vendors get 403. Stages: staff read with crm.view_leadstage, Admin writes."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from phonenumber_field.phonenumber import to_python as to_phone
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api import parse
from omni.api.fields import GeoJSONPointField
from omni.api.filters import IsoDateTimeFilter
from omni.api.permissions import ApiAccess, signed_in_may
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.choices import Audience
from omni.models import User

from .. import selectors, services
from ..choices import AccountKind, LeadSource
from ..models import Account, Contact, Lead, LeadStage, Reseller
from .filters import _visible_resellers
from .serializers import AccountBriefOut, ResellerBriefOut

CONFLICT = error_responses(409)

# ---- serializers ----------------------------------------------------------------------------------------------


class LeadStageOut(serializers.ModelSerializer):
    class Meta:
        model = LeadStage
        fields = ["id", "name", "position", "probability", "is_won", "is_lost", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class LeadStageBriefOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    is_won = serializers.BooleanField(read_only=True)
    is_lost = serializers.BooleanField(read_only=True)


class LeadStageIn(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    position = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    probability = serializers.IntegerField(min_value=0, max_value=100, default=10)
    is_won = serializers.BooleanField(default=False)
    is_lost = serializers.BooleanField(default=False)
    is_active = serializers.BooleanField(default=True)

    def validate(self, attrs):
        if attrs.get("is_won") and attrs.get("is_lost"):
            raise serializers.ValidationError({"is_lost": ["A stage is won or lost, not both."]})
        return attrs


class UserBriefOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)
    email = serializers.CharField(read_only=True)


class ContactBriefOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class LeadPortalOut(serializers.ModelSerializer):
    """What a reseller user sees of their reseller's lead: no internal notes, no staff names."""

    number = serializers.CharField(read_only=True, help_text="LD-000001; assigned by the server.")
    full_name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    phone = serializers.SerializerMethodField(help_text="E.164 or empty.")
    location = GeoJSONPointField(read_only=True)
    reseller = ResellerBriefOut(read_only=True, allow_null=True)
    stage = LeadStageBriefOut(read_only=True)
    expected_monthly_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, coerce_to_string=True, help_text="A decimal string."
    )
    account = AccountBriefOut(read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = read_only_fields = [
            "id", "number", "first_name", "last_name", "full_name", "company", "email", "phone", "service_address",
            "location", "source", "reseller", "stage", "stage_changed_at", "currency", "expected_monthly_value",
            "lost_reason", "next_follow_up", "account", "converted_at", "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.CharField())
    def get_phone(self, lead) -> str:
        return str(lead.phone) if lead.phone else ""

    def to_representation(self, instance):
        # The fields above document the shape; the data is selectors.lead_as_dict, the events' payload too.
        return selectors.lead_as_dict(instance, internal=False)


class LeadOut(LeadPortalOut):
    """A lead as staff see it: with its owner, notes, contact and who created and converted it."""

    owner = UserBriefOut(read_only=True, allow_null=True)
    contact = ContactBriefOut(read_only=True, allow_null=True)
    converted_by = serializers.UUIDField(source="converted_by_id", read_only=True, allow_null=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    def to_representation(self, instance):
        return selectors.lead_as_dict(instance, internal=True)

    class Meta(LeadPortalOut.Meta):
        fields = read_only_fields = [
            "id", "number", "first_name", "last_name", "full_name", "company", "email", "phone", "service_address",
            "location", "source", "owner", "reseller", "stage", "stage_changed_at", "currency",
            "expected_monthly_value", "lost_reason", "next_follow_up", "follow_up_reminded_on", "notes", "account",
            "contact", "converted_at", "converted_by", "created_by", "created_at", "updated_at",
        ]  # fmt: skip


class LeadIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = PhoneNumberField(required=False, allow_blank=True, default="", help_text="E.164, e.g. +2348031234567.")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    service_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    location = GeoJSONPointField(required=False, allow_null=True, default=None)
    source = serializers.ChoiceField(choices=LeadSource.choices, default=LeadSource.OTHER)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=selectors.lead_owner_choices(),
        required=False,
        allow_null=True,
        help_text="A staff user; default: you (staff).",
    )
    reseller = serializers.PrimaryKeyRelatedField(
        queryset=Reseller.objects.all(), required=False, allow_null=True, default=None
    )
    stage = serializers.PrimaryKeyRelatedField(
        queryset=LeadStage.objects.all(), required=False, help_text="Default: the first open stage."
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217; default: the instance's.")
    expected_monthly_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, coerce_to_string=True,
        help_text="A decimal string, e.g. \"25000.00\" (never a float).",
    )  # fmt: skip
    lost_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    next_follow_up = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)

    def validate_expected_monthly_value(self, value):
        # A JSON number would reach here through a float (0.1 + 0.2 is not 0.3): money is a string.
        if not isinstance(self.initial_data.get("expected_monthly_value"), str):
            raise serializers.ValidationError('Send money as a decimal string, e.g. "25000.00".')
        return value


class ResellerLeadIn(serializers.Serializer):
    """What a reseller user sends to register a lead: their reseller and the source are set by the server."""

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = PhoneNumberField(required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    service_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    location = GeoJSONPointField(required=False, allow_null=True, default=None)
    expected_monthly_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, coerce_to_string=True,
        help_text="A decimal string, e.g. \"25000.00\" (never a float).",
    )  # fmt: skip

    validate_expected_monthly_value = LeadIn.validate_expected_monthly_value


class LeadMoveIn(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=LeadStage.objects.all())
    lost_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class LeadConvertIn(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.live(), required=False, allow_null=True, default=None,
        help_text="Join this existing account; empty: create a new account from the lead.",
    )  # fmt: skip
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.live(), required=False, allow_null=True, default=None,
        help_text="Use this existing contact; empty: one of the account's contacts with the lead's email or "
        "phone, else a new contact.",
    )  # fmt: skip
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="New account's name."
    )
    kind = serializers.ChoiceField(choices=AccountKind.choices, required=False, help_text="New account's kind.")

    def validate(self, attrs):
        if attrs.get("account") and (attrs.get("name") or attrs.get("kind")):
            raise serializers.ValidationError({"name": ["Name and kind are for a new account, not an existing one."]})
        return attrs


class LeadDuplicatesOut(serializers.Serializer):
    contacts = ContactBriefOut(many=True, read_only=True)
    leads = serializers.SerializerMethodField()

    @extend_schema_field(LeadOut(many=True))
    def get_leads(self, data):
        return LeadOut(data["leads"], many=True).data


# ---- filters --------------------------------------------------------------------------------------------------


def _lead_search(queryset, name, value):
    value = (value or "").strip()
    if not value:
        return queryset
    condition = Q(number__iexact=value) | Q(email__icontains=value) | Q(company__icontains=value)
    terms = Q()
    for term in value.split()[:4]:
        terms &= Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(company__icontains=term)
    condition |= terms
    phone = to_phone(value)
    if phone and phone.is_valid():
        condition |= Q(phone=phone.as_e164)
    return queryset.filter(condition)


def _visible_owners(request):
    # Only staff pick an owner; a reseller user cannot list staff through the filter's choices.
    user = getattr(request, "user", None)
    if user is None or getattr(user, "audience", None) != Audience.STAFF:
        return User.objects.none()
    return selectors.lead_owner_choices()


class LeadFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method=_lead_search, label=_("Search"), help_text=_("Number, name, company, email or phone.")
    )
    q = django_filters.CharFilter(method=_lead_search, label=_("Search"), help_text=_("The same as search."))
    stage = django_filters.ModelChoiceFilter(
        queryset=LeadStage.objects.all(), distinct=False, label=_("Stage"), empty_label=_("Any stage")
    )
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open"), help_text=_("Not in a won/lost stage."))
    owner = django_filters.ModelChoiceFilter(
        queryset=_visible_owners, distinct=False, label=_("Owner"), empty_label=_("Anyone")
    )
    source = django_filters.ChoiceFilter(choices=LeadSource.choices, distinct=False, label=_("Source"))
    reseller = django_filters.ModelChoiceFilter(
        queryset=_visible_resellers, distinct=False, label=_("Reseller"), empty_label=_("Any reseller")
    )
    converted = django_filters.BooleanFilter(
        field_name="converted_at", lookup_expr="isnull", exclude=True, label=_("Converted")
    )
    follow_up_before = django_filters.DateFilter(
        field_name="next_follow_up", lookup_expr="lte", label=_("Follow-up on or before")
    )
    follow_up_after = django_filters.DateFilter(
        field_name="next_follow_up", lookup_expr="gte", label=_("Follow-up on or after")
    )
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Lead
        fields = ["search", "stage", "owner", "source", "reseller", "converted"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        closed = Q(stage__is_won=True) | Q(stage__is_lost=True)
        return queryset.exclude(closed) if value else queryset.filter(closed)


# ---- views ----------------------------------------------------------------------------------------------------


class LeadAccess(ApiAccess):
    """ApiAccess, except that a reseller user may also register a lead (create: it becomes their reseller's), and
    may not see a lead's duplicates (contacts and leads of other accounts and resellers)."""

    def has_permission(self, request, view):
        action, audience = getattr(view, "action", None), getattr(request.user, "audience", None)
        if audience == Audience.RESELLER and action == "create":
            return signed_in_may(self, request)
        if audience == Audience.RESELLER and action == "duplicates" and signed_in_may(self, request):
            self.message = "Reseller users may not use this resource."
            return False
        return super().has_permission(request, view)


def _is_staff(request) -> bool:
    return request.user.audience == Audience.STAFF


@extend_schema_view(
    list=extend_schema(summary="List leads", responses={200: LeadOut(many=True)}),
    retrieve=extend_schema(summary="Get a lead", responses={200: LeadOut}),
    create=extend_schema(
        summary="Capture a lead",
        description="Staff: any fields; the owner defaults to you. Reseller users: the lead becomes their "
        "reseller's with source `reseller` (owner, stage, notes ignored).",
        request=LeadIn,
        responses={201: LeadOut},
    ),
    update=extend_schema(summary="Replace a lead", request=LeadIn, responses={200: LeadOut, **CONFLICT}),
    partial_update=extend_schema(
        summary="Change a lead",
        description="A `stage` change follows the move rules (a lost stage needs `lost_reason`; a converted lead "
        "stays where it is: 409).",
        request=LeadIn,
        responses={200: LeadOut, **CONFLICT},
    ),
    destroy=extend_schema(
        summary="Delete a lead",
        description="409 for a converted lead or one with quotes.",
        responses={204: OpenApiResponse(description="Deleted"), **CONFLICT},
    ),
)
class LeadViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Leads through the sales pipeline. Staff with crm.view_lead see all; a reseller user their reseller's
    (and may register new ones); customers and vendors: 403."""

    filterset_class = LeadFilterSet
    portal_audiences = (Audience.RESELLER,)
    permission_classes = [LeadAccess]
    ordering_fields = ["number", "last_name", "expected_monthly_value", "next_follow_up", "created_at", "updated_at"]
    ordering = ["-created_at"]
    action_permission = {"convert": "change", "move": "change", "duplicates": "view"}

    def get_queryset(self):
        return selectors.lead_list_visible_to(user=self.request.user)

    def get_serializer_class(self):
        return LeadOut if _is_staff(self.request) else LeadPortalOut

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer_class()(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = parse(LeadIn if _is_staff(request) else ResellerLeadIn, request)
        lead = services.lead_create(by=request.user, **data)
        return self._out(lead.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        lead = self.get_object()
        data = parse(LeadIn, request, partial=partial)
        services.lead_update(lead_id=lead.pk, by=request.user, **data)
        return self._out(lead.pk)

    def destroy(self, request, *args, **kwargs):
        services.lead_delete(lead_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move a lead to another stage",
        description="The board's drag and drop. A lost stage needs `lost_reason` (400); a switched-off stage is a "
        "400 naming `stage`; a converted lead cannot move (409). Moving to its own stage changes nothing.",
        request=LeadMoveIn,
        responses={200: LeadOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        data = parse(LeadMoveIn, request)
        lead = self.get_object()
        services.lead_move(lead_id=lead.pk, stage_id=data["stage"].pk, by=request.user, lost_reason=data["lost_reason"])
        return self._out(lead.pk)

    @extend_schema(
        summary="Convert a lead into an account",
        description="In one transaction: a new account from the lead (or the existing `account`) with the person "
        "as its contact; the lead keeps the link and moves to the won stage. A second conversion is a 409 and "
        "creates nothing.",
        request=LeadConvertIn,
        responses={200: LeadOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        data = parse(LeadConvertIn, request)
        lead = self.get_object()
        account_fields = {key: data[key] for key in ("name", "kind") if data.get(key)}
        services.lead_convert(
            lead_id=lead.pk,
            by=request.user,
            account_id=data["account"].pk if data["account"] else None,
            contact_id=data["contact"].pk if data["contact"] else None,
            **account_fields,
        )
        return self._out(lead.pk)

    @extend_schema(
        summary="Possible duplicates of a lead",
        description="Live contacts and other leads with the same email (any case) or phone (E.164).",
        responses={200: LeadDuplicatesOut},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def duplicates(self, request, pk=None):
        lead = self.get_object()
        found = selectors.lead_duplicates_of(email=lead.email, phone=lead.phone, exclude_id=lead.pk)
        return Response(LeadDuplicatesOut(found).data)


@extend_schema_view(
    list=extend_schema(summary="List pipeline stages"),
    retrieve=extend_schema(summary="Get a pipeline stage"),
    create=extend_schema(summary="Add a pipeline stage", request=LeadStageIn, responses={201: LeadStageOut}),
    update=extend_schema(summary="Replace a stage", request=LeadStageIn, responses={200: LeadStageOut, **CONFLICT}),
    partial_update=extend_schema(
        summary="Change a stage",
        description="A stage holding leads keeps its won/lost flags (409).",
        request=LeadStageIn,
        responses={200: LeadStageOut, **CONFLICT},
    ),
    destroy=extend_schema(
        summary="Delete a stage",
        description="409 while it holds leads: switch it off instead.",
        responses={204: OpenApiResponse(description="Deleted"), **CONFLICT},
    ),
)
class LeadStageViewSet(ApiViewSet, viewsets.ModelViewSet):
    """The pipeline's stages, left to right. Staff read with crm.view_leadstage; Admin writes."""

    serializer_class = LeadStageOut
    ordering_fields = ["position", "name", "created_at"]
    ordering = ["position", "name"]

    queryset = LeadStage.objects.none()  # for the schema; requests go through get_queryset

    def get_queryset(self):
        user = self.request.user
        if getattr(user, "audience", None) != Audience.STAFF or not user.is_staff:
            return LeadStage.objects.none()
        return LeadStage.objects.all()

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(LeadStageOut(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        stage = services.leadstage_create(**parse(LeadStageIn, request))
        return self._out(stage.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        stage = self.get_object()
        services.leadstage_update(stage_id=stage.pk, **parse(LeadStageIn, request, partial=partial))
        return self._out(stage.pk)

    def destroy(self, request, *args, **kwargs):
        services.leadstage_delete(stage_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
