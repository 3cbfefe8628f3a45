"""The inbox's API: channels (write-only credentials, checked per kind; a generated secret for email and web chat,
shown once, and rotated on request).

Staff only (portal users: 403). Agents and Sales work conversations (crm.view/add/change_conversation,
view/add_message), read channels, teams and labels and write canned replies (add/change); channels, teams, labels
and deleting canned replies are Admin's (crm/apps.py). Lists read rows (crm.selectors.conversation_rows,
message_rows): a fixed number of queries whatever the page size."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api.filters import SearchFilter
from omni.api.views import ApiViewSet

from .. import services
from ..choices import ChannelKind
from ..models import Channel
from .inbox_common import CONFLICT, DELETED, _staff
from .inbox_serializers import ChannelIn, ChannelOut, ChannelSecretOut

# ---- channels -----------------------------------------------------------------------------------------------------


class ChannelFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices, distinct=False, label=_("Kind"))
    active = django_filters.BooleanFilter(label=_("Active"))
    q = SearchFilter(
        condition=lambda v: Q(name__icontains=v) | Q(address__icontains=v), label=_("Name or address contains")
    )

    class Meta:
        model = Channel
        fields = ["kind", "active", "q"]


@extend_schema_view(
    list=extend_schema(summary="List channels"),
    retrieve=extend_schema(summary="Get a channel"),
    create=extend_schema(
        summary="Add a channel",
        description="Credentials are write-only and checked per kind (400 naming the field): sms needs "
        "account_sid, auth_token and an E.164 from_number; whatsapp phone_number_id, access_token, app_secret and "
        "verify_token; email an address. api_base_url (an http(s) URL) points sms and whatsapp at another API. An "
        "email or web chat channel gets a generated secret, in `secret` of this answer only.",
        request=ChannelIn,
        responses={201: ChannelSecretOut},
    ),
    update=extend_schema(
        summary="Replace a channel",
        description="A credential left out keeps its value; the kind cannot change (400).",
        request=ChannelIn,
        responses={200: ChannelOut},
    ),
    partial_update=extend_schema(
        summary="Change a channel",
        description="A credential left out keeps its value; `config` replaces the settings.",
        request=ChannelIn,
        responses={200: ChannelOut},
    ),
    destroy=extend_schema(
        summary="Delete a channel",
        description="409 once it has conversations: switch it off (`active: false`) instead.",
        responses={204: DELETED, **CONFLICT},
    ),
)
class ChannelViewSet(ApiViewSet, viewsets.ModelViewSet):
    """The inbox's channels. Staff with crm.view_channel read (never the secrets); Admin writes."""

    serializer_class = ChannelOut
    filterset_class = ChannelFilterSet
    ordering_fields = ["kind", "name", "created_at", "updated_at"]
    ordering = ["kind", "name"]
    action_permission = {"rotate_secret": "change"}
    queryset = Channel.objects.none()  # for the schema; requests go through get_queryset

    def get_queryset(self):
        return _staff(Channel)(self.request)

    def _out(self, pk, status_code=status.HTTP_200_OK, secret=None):
        channel = self.get_queryset().get(pk=pk)
        if secret is None:
            return Response(ChannelOut(channel).data, status=status_code)
        return Response(ChannelSecretOut(channel, context={"secret": secret}).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = ChannelIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        channel, secret = services.channel_create(by=request.user, **serializer.service_fields())
        return self._out(channel.pk, status.HTTP_201_CREATED, secret=secret)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        channel = self.get_object()
        serializer = ChannelIn(data=request.data, partial=partial, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.channel_update(channel_id=channel.pk, by=request.user, **serializer.service_fields())
        return self._out(channel.pk)

    def destroy(self, request, *args, **kwargs):
        services.channel_delete(channel_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Generate a new secret",
        description="Email (the inbound Bearer secret) and web chat (the identity HMAC secret): the old one stops "
        "working now; the new one is in `secret` of this answer only. 409 for sms and whatsapp, whose secrets come "
        "from the provider (change the credentials instead).",
        request=None,
        responses={200: ChannelSecretOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        channel, secret = services.channel_secret_rotate(channel_id=self.get_object().pk, by=request.user)
        return self._out(channel.pk, secret=secret)
