"""Thin viewsets: parse an `…In`, call a service, answer with an `…Out` re-read through the audience's selector."""

import uuid

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api import parse
from omni.api.partners import PartnerViewSet, partner_schema
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import selectors, services
from .filters import AccountFilterSet, ContactFilterSet
from .serializers import (
    AccountIn,
    AccountOut,
    AccountPortalOut,
    AccountTransitionIn,
    ContactIn,
    ContactMergeIn,
    ContactOut,
    ContactPortalOut,
    ResellerOut,
    ResellerPortalOut,
)

CONFLICT = error_responses(409)
PORTALS = (Audience.CUSTOMER, Audience.RESELLER)


def _is_staff(request) -> bool:
    return request.user.audience == Audience.STAFF


@extend_schema_view(
    list=extend_schema(summary="List accounts", responses={200: AccountOut(many=True)}),
    retrieve=extend_schema(summary="Get an account", responses={200: AccountOut}),
    create=extend_schema(summary="Create an account", request=AccountIn, responses={201: AccountOut}),
    update=extend_schema(summary="Replace an account", request=AccountIn, responses={200: AccountOut}),
    partial_update=extend_schema(summary="Change an account", request=AccountIn, responses={200: AccountOut}),
    destroy=extend_schema(
        summary="Delete an account (restorable)", responses={204: OpenApiResponse(description="Deleted")}
    ),
)
class AccountViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Customer accounts. Staff see all (crm.view_account); a customer their own; a reseller user their
    reseller's."""

    filterset_class = AccountFilterSet
    portal_audiences = PORTALS
    ordering_fields = ["number", "name", "status", "kind", "created_at", "updated_at"]
    ordering = ["-created_at"]
    action_permission = {"restore": "delete", "transition": "change"}

    def get_queryset(self):
        return selectors.account_list_visible_to(user=self.request.user)

    def get_serializer_class(self):
        return AccountOut if _is_staff(self.request) else AccountPortalOut

    def _out(self, pk, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer_class()(self.get_queryset().get(pk=pk)).data, status=status_code)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        rows = self.paginator.paginate_rows(
            queryset, request, lambda page: selectors.account_rows(page, internal=_is_staff(request))
        )
        return self.paginator.get_paginated_response(rows)

    def create(self, request, *args, **kwargs):
        account = services.account_create(by=request.user, **parse(AccountIn, request))
        return self._out(account.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        account = self.get_object()
        data = parse(AccountIn, request, partial=partial)
        services.account_update(account_id=account.pk, by=request.user, **data)
        return self._out(account.pk)

    def destroy(self, request, *args, **kwargs):
        services.account_delete(account_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Restore a deleted account", request=None, responses={200: AccountOut})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        services.account_restore(account_id=self.get_object().pk, by=request.user)
        return self._out(pk)

    @extend_schema(
        summary="Change an account's status",
        description="Allowed: prospect→active|closed, active→suspended|closed, suspended→active|closed, "
        "closed→active. Anything else is 409.",
        request=AccountTransitionIn,
        responses={200: AccountOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = parse(AccountTransitionIn, request)
        services.account_transition(account_id=self.get_object().pk, to=data["status"], by=request.user)
        return self._out(pk)


@extend_schema_view(
    list=extend_schema(summary="List contacts", responses={200: ContactOut(many=True)}),
    retrieve=extend_schema(summary="Get a contact", responses={200: ContactOut}),
    create=extend_schema(summary="Create a contact", request=ContactIn, responses={201: ContactOut}),
    update=extend_schema(summary="Replace a contact", request=ContactIn, responses={200: ContactOut}),
    partial_update=extend_schema(summary="Change a contact", request=ContactIn, responses={200: ContactOut}),
    destroy=extend_schema(
        summary="Delete a contact (restorable)", responses={204: OpenApiResponse(description="Deleted")}
    ),
)
class ContactViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Contacts (persons) with the accounts they belong to and their role on each."""

    filterset_class = ContactFilterSet
    portal_audiences = PORTALS
    ordering_fields = ["last_name", "first_name", "email", "created_at", "updated_at"]
    ordering = ["last_name", "first_name"]
    # A merge deletes the duplicates: it needs delete as well as change (the console's rule too).
    action_permission = {"restore": "delete", "merge": ("change", "delete")}

    def get_queryset(self):
        return selectors.contact_list_visible_to(user=self.request.user)

    def get_serializer_class(self):
        return ContactOut if _is_staff(self.request) else ContactPortalOut

    def get_serializer_context(self):
        # Only the browsable API's forms come through get_serializer(); they need the links `_out` passes.
        context = super().get_serializer_context()
        try:
            pk = uuid.UUID(str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)))
        except ValueError:  # the list URL, or a malformed id (already a 404)
            context["links"] = {}
        else:
            context["links"] = selectors.contact_links_visible_to(user=self.request.user, contact_ids=[pk])
        return context

    def _out(self, pk, status_code=status.HTTP_200_OK):
        links = selectors.contact_links_visible_to(user=self.request.user, contact_ids=[pk])
        contact = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer_class()(contact, context={"links": links}).data, status=status_code)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        rows = self.paginator.paginate_rows(
            queryset,
            request,
            lambda page: selectors.contact_rows(page, user=request.user, internal=_is_staff(request)),
        )
        return self.paginator.get_paginated_response(rows)

    def retrieve(self, request, *args, **kwargs):
        return self._out(self.get_object().pk)

    def create(self, request, *args, **kwargs):
        contact = services.contact_create(by=request.user, **parse(ContactIn, request))
        return self._out(contact.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        contact = self.get_object()
        data = parse(ContactIn, request, partial=partial)
        services.contact_update(contact_id=contact.pk, by=request.user, **data)
        return self._out(contact.pk)

    def destroy(self, request, *args, **kwargs):
        services.contact_delete(contact_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Restore a deleted contact",
        description="409 for a contact merged into another: it stays deleted.",
        request=None,
        responses={200: ContactOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        services.contact_restore(contact_id=self.get_object().pk, by=request.user)
        return self._out(pk)

    @extend_schema(
        summary="Merge duplicates into this contact",
        description="Account links and portal users move here; blank fields are filled from the duplicates; "
        "the duplicates are deleted with merged_into set. Needs crm.change_contact and crm.delete_contact. 409 "
        "when this contact is deleted or a duplicate was merged into another contact.",
        request=ContactMergeIn,
        responses={200: ContactOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        data = parse(ContactMergeIn, request)
        survivor = self.get_object()
        services.contact_merge(survivor_id=survivor.pk, duplicate_ids=data["duplicates"], by=request.user)
        return self._out(survivor.pk)


@partner_schema("reseller", "resellers", ResellerOut)
class ResellerViewSet(PartnerViewSet):
    """Resellers. Staff see all (crm.view_reseller) and write with add/change/delete_reseller (switching one off or
    on: change); a reseller user reads their own. A reseller with accounts cannot be deleted (409)."""

    serializer_class = ResellerOut
    portal_serializer_class = ResellerPortalOut
    portal_audiences = (Audience.RESELLER,)
    visible_to = staticmethod(selectors.reseller_list_visible_to)
