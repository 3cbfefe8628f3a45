"""Thin viewsets of /api/v1/notifications/ (routes in urls.py): parse an `…In`, call a service, answer an `…Out`.

- deliveries/: the delivery log (staff with notifications.view_delivery; retrying needs change_delivery).
- event-types/: the event catalogue (notifications.registry), read-only, for staff. It is code, not rows: no
  request queries the database beyond authentication.
- inbox/: the signed-in user's own in-app notifications (the bell's list), any audience. Another user's
  notification is a 404, never a 403. Marking read through the API is for staff (OwnRecordsAccess: portal tokens
  are read-only); portal users mark theirs read with their portal session (portals/common/).
- push-subscriptions/: web push subscriptions; and the page side of push that static/js/push.js uses on every host
  (notifications/urls.py): portal sessions are host-only, so the page cannot call the staff host's /api/. The
  service worker is served at /notifications/push/sw.js, so its scope is /notifications/push/ and it controls no
  page: a push message reaches its registration whatever the scope, and a click opens or focuses any window of
  the origin through the Clients API.
- webhook-endpoints/: endpoints, their deliveries, secret rotation, test events and redelivery (staff:
  view_webhookendpoint to read, add/change/delete to write).
"""

import uuid

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from omni.api import parse
from omni.api.pagination import CursorPagination
from omni.api.permissions import OwnRecordsAccess, signed_in_may, staff_may
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet
from omni.auth import belongs_here
from omni.choices import Audience

from .. import registry, selectors, services
from ..choices import WebhookMessageStatus
from ..models import WebhookMessage
from ..selectors import LIST_COLUMNS_DEFERRED, delivery_list_visible_to, delivery_statistics, event_type_list
from .filters import (
    DeliveryFilterSet,
    DeliveryStatisticsFilterSet,
    NotificationFilterSet,
    WebhookEndpointFilterSet,
    WebhookMessageFilterSet,
)
from .serializers import (
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryStatisticsOut,
    EventTypeFilterIn,
    EventTypeOut,
    NotificationOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    PushUnsubscribeIn,
    UnreadOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointSecretOut,
    WebhookMessageOut,
)

CONFLICT = error_responses(409)
MESSAGE_ID = OpenApiParameter("message_pk", str, OpenApiParameter.PATH, description="The delivery's id (a UUID).")


# ---- delivery log -------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List deliveries (the delivery log)", responses={200: DeliveryOut(many=True)}),
    retrieve=extend_schema(summary="Get a delivery with its content and attempts", responses={200: DeliveryDetailOut}),
)
class DeliveryViewSet(ApiViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Every message sent to a person (email, SMS, push, in-app): status, attempts and the provider's answers.
    Staff with the notifications.view_delivery permission (retrying needs change_delivery)."""

    filterset_class = DeliveryFilterSet
    filter_backends = [DjangoFilterBackend]  # no ?ordering: the cursor pages newest first (CursorPagination)
    pagination_class = CursorPagination
    action_permission = {"retry": "change"}

    def get_queryset(self):
        queryset = delivery_list_visible_to(user=self.request.user)
        if self.action == "list":
            return queryset.defer(*LIST_COLUMNS_DEFERRED)
        return queryset.prefetch_related("attempt_log")

    def get_serializer_class(self):
        return DeliveryOut if self.action == "list" else DeliveryDetailOut

    # Not paginated and not ordered (one row per event, busiest first): only the list's filters apply, and
    # without dates the last 30 days (DeliveryStatisticsFilterSet), so a count never reads the whole log.
    @extend_schema(summary="Deliveries per event and status", responses={200: DeliveryStatisticsOut(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[DjangoFilterBackend])
    def stats(self, request):
        filters = DeliveryStatisticsFilterSet(request.GET, queryset=self.get_queryset(), request=request)
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        rows = delivery_statistics(filters.qs)
        return Response(DeliveryStatisticsOut(rows, many=True).data)

    @extend_schema(
        summary="Send a failed delivery again",
        description="409 unless the delivery failed.",
        request=None,
        responses={200: DeliveryDetailOut, **error_responses(409)},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        services.delivery_retry(delivery_id=delivery.pk, by=request.user)
        return Response(DeliveryDetailOut(self.get_queryset().get(pk=delivery.pk)).data)


# ---- event catalogue ----------------------------------------------------------------------------------------------


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


KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description="The event key, e.g. `crm.account.created`.")


@extend_schema_view(
    list=extend_schema(
        summary="List event types",
        description="The event catalogue, by key. Webhook endpoints subscribe to keys with `webhooks: true` (or "
        f'to ["*"], all of them). `{services.TEST_EVENT}` is not listed: it is sent only when an endpoint\'s test '
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

    def get_queryset(self):
        # Not rows: the catalogue in code. The browsable API asks for it to build its (empty) filter form.
        return registry.all_events()

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


# ---- in-app inbox -------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List my notifications", responses={200: NotificationOut(many=True)}),
    retrieve=extend_schema(summary="Get one of my notifications", responses={200: NotificationOut}),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """In-app notifications of the signed-in user, newest first."""

    serializer_class = NotificationOut
    permission_classes = [OwnRecordsAccess]
    filterset_class = NotificationFilterSet
    filter_backends = [DjangoFilterBackend]  # no ?ordering: the cursor pages newest first (CursorPagination)
    pagination_class = CursorPagination

    def get_queryset(self):
        return selectors.notification_list_of(user=self.request.user)

    def _unread(self) -> int:
        return selectors.notification_unread_count(user=self.request.user)

    @extend_schema(summary="Mark one of my notifications read", request=None, responses={200: NotificationOut})
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        notification = services.notification_mark_read(user=request.user, notification_id=self.get_object().pk)
        return Response(NotificationOut(notification).data)

    @extend_schema(summary="Mark all my notifications read", request=None, responses={200: UnreadOut})
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        marked = services.notifications_mark_all_read(user=request.user)
        return Response(UnreadOut({"unread": self._unread(), "marked": marked}).data)

    @extend_schema(summary="Count my unread notifications", responses={200: UnreadOut})
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None)
    def unread_count(self, request):
        return Response(UnreadOut({"unread": self._unread()}).data)


# ---- web push -----------------------------------------------------------------------------------------------------


def _save(request):
    data = parse(PushSubscriptionIn, request)
    subscription, created = services.push_subscription_save(
        user=request.user,
        endpoint=data["endpoint"],
        p256dh=data["keys"]["p256dh"],
        auth=data["keys"]["auth"],
        user_agent=request.headers.get("User-Agent", ""),
    )
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return Response(PushSubscriptionOut(subscription).data, status=code)


@extend_schema_view(
    list=extend_schema(summary="List my push subscriptions", responses={200: PushSubscriptionOut(many=True)}),
    create=extend_schema(
        summary="Subscribe a browser to web push",
        description="The browser's PushSubscription JSON. Subscribing an endpoint again updates it (200).",
        request=PushSubscriptionIn,
        responses={201: PushSubscriptionOut, 200: PushSubscriptionOut},
    ),
    destroy=extend_schema(summary="Unsubscribe a browser", responses={204: OpenApiResponse(description="Deleted")}),
)
class PushSubscriptionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    """The signed-in user's Web Push subscriptions (one per browser). Subscribing and unsubscribing through the
    API is for staff (portal tokens are read-only); portal pages use PushSubscriptionPageView with their session."""

    serializer_class = PushSubscriptionOut
    permission_classes = [OwnRecordsAccess]
    ordering_fields = ["created_at", "last_used_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.push_subscription_list_of(user=self.request.user)

    def create(self, request, *args, **kwargs):
        return _save(request)

    def destroy(self, request, *args, **kwargs):
        services.push_subscription_delete(user=request.user, subscription_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- what the page script uses, on every host (notifications/urls.py) ---------------------------------------------


class OwnBrowserAccess(permissions.BasePermission):
    """The page endpoint: a signed-in session of a user who belongs on this host (omni.auth.belongs_here: the
    portal's own audience; on the staff host, staff with is_staff). Portal users write here, never in the API."""

    message = "This account does not belong to this portal."

    def has_permission(self, request, view):
        return signed_in_may(self, request) and belongs_here(request.user, request)


@extend_schema(exclude=True)  # a page endpoint on every host; the API's is PushSubscriptionViewSet
class PushSubscriptionPageView(APIView):
    """POST the browser's subscription JSON (201/200), DELETE {"endpoint"} to unsubscribe (204). A session with
    its CSRF token (X-CSRFToken), any audience, on its own host."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [OwnBrowserAccess]
    parser_classes = [JSONParser]

    def post(self, request):
        return _save(request)

    def delete(self, request):
        data = parse(PushUnsubscribeIn, request)
        services.push_subscription_delete(user=request.user, endpoint=data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@require_GET
@cache_control(max_age=300)
def push_config(request):
    """{"public_key": ...}: the VAPID application server key the browser subscribes with; empty when web push
    is not configured (the page then offers no push at all)."""
    configured = settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY
    return JsonResponse({"public_key": settings.VAPID_PUBLIC_KEY if configured else ""})


@require_GET
def push_worker(request):
    """static/js/sw.js, served from this path so that its scope is /notifications/push/ (see above). Not from
    /static/: a hashed file name would change the worker's URL on every deploy."""
    path = finders.find("js/sw.js")
    if not path:
        raise Http404("service worker missing")
    with open(path, "rb") as source:
        response = HttpResponse(source.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker on every registration
    return response


# ---- webhook endpoints --------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints", responses={200: WebhookEndpointOut(many=True)}),
    retrieve=extend_schema(summary="Get a webhook endpoint", responses={200: WebhookEndpointOut}),
    create=extend_schema(
        summary="Create a webhook endpoint",
        description="The answer holds the signing secret (`whsec_…`); it is never shown again (rotate to get a "
        "new one). The URL must resolve to public addresses.",
        request=WebhookEndpointIn,
        responses={201: WebhookEndpointSecretOut},
    ),
    update=extend_schema(
        summary="Replace a webhook endpoint", request=WebhookEndpointIn, responses={200: WebhookEndpointOut}
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint",
        description="`active: true` enables a disabled endpoint again (its failure count starts over; messages "
        "still owed to it are sent).",
        request=WebhookEndpointIn,
        responses={200: WebhookEndpointOut},
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint and its delivery log",
        responses={204: OpenApiResponse(description="Deleted")},
    ),
)
class WebhookEndpointViewSet(ApiViewSet, viewsets.ModelViewSet):
    """Outbound webhook endpoints (Standard Webhooks)."""

    serializer_class = WebhookEndpointOut
    filterset_class = WebhookEndpointFilterSet
    ordering_fields = ["url", "created_at", "updated_at"]
    ordering = ["-created_at"]
    action_permission = {"rotate_secret": "change", "test": "change", "redeliver": "change"}

    def get_queryset(self):
        return selectors.webhook_endpoint_list_visible_to(user=self.request.user)

    def _out(self, pk, serializer=WebhookEndpointOut, status_code=status.HTTP_200_OK):
        return Response(serializer(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = parse(WebhookEndpointIn, request)
        endpoint = services.webhook_endpoint_create(
            url=data["url"],
            events=data["events"],
            description=data["description"],
            is_active=data.get("active", True),
            owner=request.user,
        )
        return self._out(endpoint.pk, WebhookEndpointSecretOut, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        endpoint = self.get_object()
        data = parse(WebhookEndpointIn, request, partial=partial)
        if "active" in data:
            data["is_active"] = data.pop("active")
        services.webhook_endpoint_update(endpoint_id=endpoint.pk, by=request.user, **data)
        return self._out(endpoint.pk)

    def destroy(self, request, *args, **kwargs):
        services.webhook_endpoint_delete(endpoint_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate the signing secret",
        description="Answers with the new secret (shown once). Until `previous_secret_expires_at` "
        "(WEBHOOK_SECRET_OVERLAP_HOURS) every message carries a signature with each secret.",
        request=None,
        responses={200: WebhookEndpointSecretOut},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.webhook_endpoint_secret_rotate(endpoint_id=self.get_object().pk)
        return self._out(endpoint.pk, WebhookEndpointSecretOut)

    @extend_schema(
        summary="Send a test event",
        description=f"Queues a `{services.TEST_EVENT}` message to this endpoint, whatever it subscribed to. "
        "409 when the endpoint is disabled.",
        request=None,
        responses={202: WebhookMessageOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        endpoint = self.get_object()
        message = services.webhook_test_send(endpoint_id=endpoint.pk)
        return self._message_out(endpoint, message.pk, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="List an endpoint's deliveries",
        description="Messages owed or sent to the endpoint, newest first, each with its attempts (status code, "
        "latency, response excerpt, error).",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=WebhookMessageStatus.values),
            OpenApiParameter("event", str),
            OpenApiParameter("webhook_id", str),
            OpenApiParameter("created_since", str, description="ISO 8601 date-time."),
        ],
        responses={200: WebhookMessageOut(many=True)},
    )
    # Paged by cursor, newest first; no ?ordering (no ordering filter for the cursor to defer to).
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=CursorPagination)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        filters = WebhookMessageFilterSet(
            request.query_params, queryset=selectors.webhook_message_list(endpoint_id=endpoint.pk)
        )
        if not filters.is_valid():
            raise exceptions.ValidationError(filters.errors)
        page = self.paginator.paginate_queryset(filters.qs, request, view=self)
        return self.paginator.get_paginated_response(WebhookMessageOut(page, many=True).data)

    @extend_schema(summary="Get one delivery", parameters=[MESSAGE_ID], responses={200: WebhookMessageOut})
    @action(detail=True, methods=["get"], url_path=r"deliveries/(?P<message_pk>[^/.]+)")
    def delivery(self, request, pk=None, message_pk=None):
        return self._message_out(self.get_object(), message_pk)

    @extend_schema(
        summary="Redeliver a message",
        description="A new attempt now, with the same webhook-id. A failed message gets one more attempt. "
        "409 when the endpoint is disabled or the message is being sent.",
        parameters=[MESSAGE_ID],
        request=None,
        responses={202: WebhookMessageOut, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<message_pk>[^/.]+)/redeliver")
    def redeliver(self, request, pk=None, message_pk=None):
        endpoint = self.get_object()
        message = self._message(endpoint, message_pk)
        services.webhook_message_redeliver(message_id=message.pk)
        return self._message_out(endpoint, message.pk, status.HTTP_202_ACCEPTED)

    def _message(self, endpoint, message_pk):
        try:
            return selectors.webhook_message_list(endpoint_id=endpoint.pk).get(pk=uuid.UUID(str(message_pk)))
        except (ValueError, WebhookMessage.DoesNotExist):
            raise Http404 from None

    def _message_out(self, endpoint, message_pk, status_code=status.HTTP_200_OK):
        return Response(WebhookMessageOut(self._message(endpoint, message_pk)).data, status=status_code)
