"""/api/v1/notifications/webhook-endpoints/: endpoints, their deliveries, secret rotation, test events and
redelivery. Staff only (omni.api.permissions.ApiAccess: view_webhookendpoint to read, add/change/delete to
write); thin: parse an `…In`, call notifications.services, answer an `…Out`."""

import uuid

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api import parse
from omni.api.routers import Router
from omni.api.schema import error_responses
from omni.api.views import ApiViewSet

from .. import selectors, services
from ..choices import WebhookMessageStatus
from ..models import WebhookMessage
from .webhooks_filters import WebhookEndpointFilterSet, WebhookMessageFilterSet
from .webhooks_serializers import WebhookEndpointIn, WebhookEndpointOut, WebhookEndpointSecretOut, WebhookMessageOut

CONFLICT = error_responses(409)
MESSAGE_ID = OpenApiParameter("message_pk", str, OpenApiParameter.PATH, description="The delivery's id (a UUID).")


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
    @action(detail=True, methods=["get"], filterset_class=None, ordering=None)
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


router = Router()
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = router.urls
