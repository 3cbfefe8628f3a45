"""/api/v1/notifications/inbox/: the signed-in user's own in-app notifications (the bell's list), any audience.

List with `?unread=true`, mark one read (`POST {id}/mark-read/`), mark all read (`POST mark-all-read/`).
Another user's notification is a 404, never a 403: ids are not probeable. Marking read through the API is for
staff (omni.api.permissions.OwnRecordsAccess: portal tokens are read-only); portal users mark theirs read with
their portal session, on their own host (notifications/inbox.py).
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from omni.api.filters import IsoDateTimeFilter
from omni.api.permissions import OwnRecordsAccess
from omni.api.routers import Router
from omni.api.views import ApiViewSet

from .. import services
from ..models import Notification


class NotificationOut(serializers.ModelSerializer):
    read = serializers.SerializerMethodField(help_text="Whether the user has read it.")

    class Meta:
        model = Notification
        fields = ["id", "event", "title", "body", "url", "read", "read_at", "created_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class UnreadOut(serializers.Serializer):
    unread = serializers.IntegerField(help_text="Unread notifications left.")
    marked = serializers.IntegerField(required=False, help_text="Notifications this request marked read.")


class StrictBooleanField(forms.NullBooleanField):
    """true/false (1/0); anything else is a 400 naming the parameter, not a filter silently ignored."""

    widget = forms.TextInput

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if text in ("", "true", "1", "false", "0"):
            return {"": None, "true": True, "1": True, "false": False, "0": False}[text]
        raise ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Unread"), help_text=_("true: unread only; false: read.")
    )
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Notification
        fields = ["unread", "created_since"]


@extend_schema_view(
    list=extend_schema(summary="List my notifications", responses={200: NotificationOut(many=True)}),
    retrieve=extend_schema(summary="Get one of my notifications", responses={200: NotificationOut}),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """In-app notifications of the signed-in user, newest first."""

    serializer_class = NotificationOut
    permission_classes = [OwnRecordsAccess]
    filterset_class = NotificationFilterSet
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # the schema generator's fake request
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user)

    def _unread(self) -> int:
        return self.get_queryset().filter(read_at__isnull=True).count()

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


router = Router()
router.register("inbox", NotificationViewSet, basename="notification")
urlpatterns = router.urls
