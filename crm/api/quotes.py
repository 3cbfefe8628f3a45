"""Quotes in the API: `/api/v1/crm/quotes/` with nested lines, money as strings, and the actions send, pdf, revise,
accept and reject. Staff read with crm.view_quote and write with add/change (Sales); customers read their account's
sent quotes and accept or reject them; reseller users read their accounts' and leads' quotes; vendors get a 403."""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from omni.api import parse
from omni.api.filters import IsoDateTimeFilter, SearchFilter
from omni.api.permissions import ApiAccess, signed_in_may
from omni.api.renderers import OrjsonRenderer
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import money, selectors, services
from ..choices import QuoteStatus
from ..models import Quote

CONFLICT = error_responses(409)
DECIMAL_PATTERN = r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$"


# ---- fields -------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": DECIMAL_PATTERN, "example": "0.10"})
class DecimalText(serializers.Field):
    """An exact number sent as a string ("0.10"; an integer is taken too). A JSON number with a fraction is
    refused: parsed as a float, it may already have lost digits."""

    default_error_messages = {
        "float": _('Send this number as a string, e.g. "0.10": a JSON number with a fraction may lose digits.'),
        "invalid": _('A number is required, e.g. "12.50".'),
    }

    def to_internal_value(self, data):
        if isinstance(data, float | bool):
            self.fail("float" if isinstance(data, float) else "invalid")
        if not isinstance(data, int | str):
            self.fail("invalid")
        try:
            return money.to_decimal(data, field=self.field_name or "value")
        except Exception:  # noqa: BLE001 - money.to_decimal's ValidationError: one message here
            self.fail("invalid")

    def to_representation(self, value):
        return money.decimal_string(value)


@extend_schema_field({"type": "string", "example": "1250.00"})
class MoneyText(serializers.CharField):
    """An amount as a string with exactly the currency's minor digits (read-only)."""


# ---- serializers --------------------------------------------------------------------------------------------


class QuoteLineOut(serializers.Serializer):
    id = serializers.UUIDField()
    position = serializers.IntegerField()
    description = serializers.CharField()
    quantity = serializers.CharField(help_text="An exact number, as a string.")
    unit_price = serializers.CharField(help_text="At least the currency's minor digits, as a string.")
    discount_percent = serializers.CharField()
    tax_rate = serializers.CharField()
    recurring = serializers.BooleanField(help_text="Monthly; otherwise one-off.")
    net_amount = MoneyText(help_text="quantity x unit price less the discount, rounded half to even.")
    tax_amount = MoneyText(help_text="The rounded net x tax rate, rounded half to even.")


class QuoteOut(serializers.Serializer):
    """A quote as crm.selectors.quote_dict prints it (the crm.quote.* event payload is the same dict)."""

    id = serializers.UUIDField()
    number = serializers.CharField()
    version = serializers.IntegerField()
    revision_of = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(choices=QuoteStatus.choices, help_text="Changed only by the actions.")
    account = serializers.UUIDField(allow_null=True)
    lead = serializers.UUIDField(allow_null=True)
    contact = serializers.UUIDField(allow_null=True)
    title = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    valid_until = serializers.DateField()
    notes = serializers.CharField(allow_blank=True)
    lines = QuoteLineOut(many=True)
    subtotal_one_off = MoneyText()
    tax_one_off = MoneyText()
    total_one_off = MoneyText()
    subtotal_monthly = MoneyText()
    tax_monthly = MoneyText()
    total_monthly = MoneyText()
    sent_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_name = serializers.CharField(allow_blank=True)
    decided_ip = serializers.IPAddressField(allow_null=True, help_text="Staff only; null for portal users.")
    rejection_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.quote_dict(instance, internal=self.context.get("internal", True))


class QuoteLineIn(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    quantity = DecimalText(required=False, help_text='Default "1".')
    unit_price = DecimalText()
    discount_percent = DecimalText(required=False, help_text='0-100, default "0".')
    tax_rate = DecimalText(required=False, help_text='0-100, default "0".')
    recurring = serializers.BooleanField(required=False, default=False, help_text="Monthly; otherwise one-off.")


class QuoteIn(serializers.Serializer):
    account = serializers.UUIDField(required=False, allow_null=True, help_text="An account, or")
    lead = serializers.UUIDField(required=False, allow_null=True, help_text="a lead (one of them).")
    contact = serializers.UUIDField(
        required=False, allow_null=True, help_text="Who receives it (a contact of the account)."
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    currency = serializers.CharField(required=False, max_length=3, help_text="ISO 4217; default the instance's.")
    valid_until = serializers.DateField(required=False, help_text="Default today + QUOTE_VALIDITY_DAYS.")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    lines = QuoteLineIn(many=True, required=False, max_length=500)


class QuoteChangeIn(serializers.Serializer):
    """A draft's fields; `lines`, when given, replace all its lines."""

    contact = serializers.UUIDField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    currency = serializers.CharField(required=False, max_length=3)
    valid_until = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    lines = QuoteLineIn(many=True, required=False, max_length=500)


class QuoteAcceptIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="The full name of who accepts (typed by them).")


class QuoteRejectIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


# ---- filters ------------------------------------------------------------------------------------------------


def _quote_search(value: str):
    from django.db.models import Q

    return Q(number__iexact=value) | Q(number__icontains=value) | Q(title__icontains=value)


class QuoteFilterSet(django_filters.FilterSet):
    search = SearchFilter(condition=_quote_search, label=_("Search"), help_text=_("Number or title contains."))
    status = django_filters.MultipleChoiceFilter(choices=QuoteStatus.choices, distinct=False, label=_("Status"))
    account = django_filters.UUIDFilter(field_name="account", distinct=False, label=_("Account"))
    lead = django_filters.UUIDFilter(field_name="lead", distinct=False, label=_("Lead"))
    currency = django_filters.CharFilter(field_name="currency", lookup_expr="iexact", label=_("Currency"))
    valid_until = django_filters.DateFromToRangeFilter(label=_("Valid until"))
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Quote
        fields = ["search", "status", "account", "lead", "currency", "valid_until", "updated_since"]


# ---- views --------------------------------------------------------------------------------------------------


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`; the PDF itself is the view's HttpResponse. An error
    answer (403, 404) is still the JSON error body."""

    media_type, format, charset = "application/pdf", "pdf", None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if renderer_context and renderer_context.get("response") is not None:
            renderer_context["response"]["Content-Type"] = "application/json"
        return OrjsonRenderer().render(data)


class QuoteAccess(ApiAccess):
    """ApiAccess, except that customer users may accept or reject their account's quotes (their one write)."""

    def has_permission(self, request, view):
        if (
            getattr(view, "action", None) in ("accept", "reject")
            and getattr(request.user, "audience", None) == Audience.CUSTOMER
        ):
            return signed_in_may(self, request)
        return super().has_permission(request, view)


def _ids(data: dict) -> dict:
    return {f"{k}_id" if k in ("account", "lead", "contact") else k: v for k, v in data.items()}


ANSWER_ERRORS = error_responses(409)


@extend_schema_view(
    list=extend_schema(summary="List quotes", responses={200: QuoteOut(many=True)}),
    retrieve=extend_schema(summary="Get a quote", responses={200: QuoteOut}),
    create=extend_schema(
        summary="Create a draft quote",
        description="For an account or a lead. Money as strings (a JSON number with a fraction is a 400); totals "
        "are computed here, rounded half to even to the currency's minor unit.",
        request=QuoteIn,
        responses={201: QuoteOut},
    ),
    update=extend_schema(
        summary="Replace a draft's fields", request=QuoteChangeIn, responses={200: QuoteOut, **CONFLICT}
    ),
    partial_update=extend_schema(
        summary="Change a draft",
        description="Only drafts are editable (409 otherwise: revise a sent quote). `lines` replace all lines.",
        request=QuoteChangeIn,
        responses={200: QuoteOut, **CONFLICT},
    ),
)
class QuoteViewSet(
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Quotes with their lines. See the module docstring for who may do what."""

    serializer_class = QuoteOut
    filterset_class = QuoteFilterSet
    permission_classes = [QuoteAccess]
    portal_audiences = (Audience.CUSTOMER, Audience.RESELLER)
    ordering_fields = ["number", "status", "valid_until", "created_at", "updated_at"]
    ordering = ["-created_at"]
    action_permission = {"send": "change", "revise": "add", "pdf": "view", "accept": "change", "reject": "change"}

    def get_queryset(self):
        return selectors.quote_list_visible_to(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "internal": self.request.user.audience == Audience.STAFF}

    def _out(self, pk, status_code=status.HTTP_200_OK):
        quote = self.get_queryset().get(pk=pk)
        return Response(QuoteOut(quote, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        quote = services.quote_create(by=request.user, **_ids(parse(QuoteIn, request)))
        return self._out(quote.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        quote = self.get_object()
        data = _ids(parse(QuoteChangeIn, request, partial=kwargs.pop("partial", False)))
        services.quote_update(quote_id=quote.pk, by=request.user, **data)
        return self._out(quote.pk)

    @extend_schema(
        summary="Send a draft quote",
        description="Renders the PDF and emails it to the contact (or the account, or the lead) with a link to "
        "accept or reject it. Sending a sent quote again does nothing; other statuses are a 409. No lines, no "
        "recipient or a past validity date: 400 naming the field.",
        request=None,
        responses={200: QuoteOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        services.quote_send(quote_id=self.get_object().pk, by=request.user)
        return self._out(pk)

    @extend_schema(
        summary="Revise a quote into a new draft version",
        description="A sent, rejected or expired quote is copied into a new draft (same number, next version); "
        "the old version is kept as it was. 409 for a draft, an accepted quote or an older version.",
        request=None,
        responses={201: QuoteOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        draft = services.quote_revise(quote_id=self.get_object().pk, by=request.user)
        return self._out(draft.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The quote as PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[OrjsonRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        from ..pdf import quote_pdf

        quote = self.get_object()
        response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{services.pdf_filename(quote)}"'
        return response

    @extend_schema(
        summary="Accept a sent quote",
        description="By a customer user of the quote's account, or staff (crm.change_quote) recording it on the "
        "customer's behalf: `name` is who accepted; the time and the caller's IP are recorded. A quote accepted "
        "or rejected already (`quote_decided`) or past its validity (`quote_expired`) is a 409 and nothing "
        "changes.",
        request=QuoteAcceptIn,
        responses={200: QuoteOut, **ANSWER_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        from omni.middleware import client_ip

        data = parse(QuoteAcceptIn, request)
        services.quote_accept(quote_id=self.get_object().pk, name=data["name"], ip=client_ip(request), by=request.user)
        return self._out(pk)

    @extend_schema(
        summary="Reject a sent quote",
        description="As accept, with an optional reason.",
        request=QuoteRejectIn,
        responses={200: QuoteOut, **ANSWER_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        from omni.middleware import client_ip

        data = parse(QuoteRejectIn, request)
        services.quote_reject(
            quote_id=self.get_object().pk,
            name=data["name"],
            reason=data["reason"],
            ip=client_ip(request),
            by=request.user,
        )
        return self._out(pk)
