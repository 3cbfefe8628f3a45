"""/api/v1/notifications/event-types/: the event catalogue (notifications.registry), read-only, for staff. API users
find here the keys their webhook endpoints can subscribe to and the fields each event's `data` holds.

The catalogue is code, not rows: it is read from the registry in memory and no request queries the database
beyond authentication.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response

from omni.api.permissions import signed_in_may, staff_may
from omni.api.routers import Router
from omni.api.views import ApiViewSet
from omni.choices import Audience

from .. import registry
from ..choices import Channel
from ..registry import EventType
from ..services import TEST_EVENT


def event_type_list(*, search: str = "", webhooks: bool | None = None) -> list[EventType]:
    """Catalogue entries by key; `search` matches key or description (case-insensitive), `webhooks` the flag."""
    needle = search.strip().casefold()
    return [
        event
        for event in registry.all_events()
        if (webhooks is None or event.webhooks == webhooks)
        and (not needle or needle in event.key.casefold() or needle in event.description.casefold())
    ]


class StaffAccess(permissions.BasePermission):
    """The catalogue describes what staff-side data leaves the system: any active staff user with staff access
    (is_staff), no role needed (a read-only token will do): it holds no records, only what the code emits, the
    same facts the public schema documents. Portal users are refused, as for webhook endpoints; so is a staff
    user whose is_staff was cleared."""

    message = "The event catalogue is for staff."

    def has_permission(self, request, view):
        if not signed_in_may(self, request):
            return False
        if request.user.audience != Audience.STAFF:
            return False
        return staff_may(self, request.user)


# The schema names notifications.choices.Channel "ChannelEnum" (DeliveryOut.channel). A ChoiceField here would
# give the same choice set a second name, DefaultChannelsEnum, which `spectacular --fail-on-warn` refuses; the
# reference keeps one enum for clients. `--validate` does not catch a dangling reference:
# test_the_schema_documents_the_catalogue does.
@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/ChannelEnum"}})
class ChannelListField(serializers.ListField):
    child = serializers.ChoiceField(choices=Channel.choices)


class EventTypeOut(serializers.Serializer):
    key = serializers.CharField(help_text="`app.model.verb`: what webhook endpoints subscribe to; a body's `type`.")
    description = serializers.CharField()
    payload = serializers.ListField(
        child=serializers.CharField(),
        help_text="The documented fields of the event's data: for webhooks, the `data` object of the body (the "
        "resource as the API serializes it).",
    )
    default_channels = ChannelListField(
        source="channels",
        help_text="How people are notified of it unless their preferences say otherwise (empty: only people "
        "who follow it).",
    )
    mandatory = serializers.BooleanField(help_text="People cannot opt out of it.")
    webhooks = serializers.BooleanField(
        help_text='Published to webhook endpoints (and included in ["*"]). false: sent to people only; endpoints '
        "cannot subscribe to it."
    )


class EventTypeFilterIn(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Part of the key or the description."
    )
    webhooks = serializers.BooleanField(required=False, help_text="true: webhook events; false: people-only events.")


KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description="The event key, e.g. `crm.account.created`.")


@extend_schema_view(
    list=extend_schema(
        summary="List event types",
        description="The event catalogue, by key. Webhook endpoints subscribe to keys with `webhooks: true` (or "
        f'to ["*"], all of them). `{TEST_EVENT}` is not listed: it is sent only when an endpoint\'s test '
        "action asks for it, whatever the endpoint subscribed to.",
        parameters=[EventTypeFilterIn],
        responses={200: EventTypeOut(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get an event type",
        description="404 for a key the catalogue does not hold.",
        parameters=[KEY],
        responses={200: EventTypeOut},
    ),
)
class EventTypeViewSet(ApiViewSet):
    """The events the system emits and what their payload holds (read-only)."""

    serializer_class = EventTypeOut
    permission_classes = [StaffAccess]
    filter_backends: list = []  # no queryset: EventTypeFilterIn filters the list
    lookup_field = "key"
    lookup_value_regex = r"[^/]+"  # keys hold dots, which the default pattern refuses

    def list(self, request):
        # A plain dict: given the QueryDict, DRF reads a missing `webhooks` as false (the HTML checkbox rule).
        filters = EventTypeFilterIn(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(event_type_list(**filters.validated_data))
        return self.get_paginated_response(EventTypeOut(page, many=True).data)

    def retrieve(self, request, key=None):
        try:
            event = registry.get(key)
        except LookupError:
            raise exceptions.NotFound(f"No event type {key!r}.") from None
        return Response(EventTypeOut(event).data)


router = Router()
router.register("event-types", EventTypeViewSet, basename="event-type")
urlpatterns = router.urls
