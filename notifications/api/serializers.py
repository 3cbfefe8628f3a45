"""Serializers of the notifications API: `…Out` answers, `…In` bodies and query parameters. A webhook endpoint's
secret appears in WebhookEndpointSecretOut only: the answer to a create and to a rotation."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..channels.push import subscription_errors
from ..choices import Channel, WebhookMessageStatus
from ..models import Delivery, Notification, PushSubscription, WebhookAttempt, WebhookEndpoint, WebhookMessage

# ---- delivery log ---------------------------------------------------------------------------------------------------


class DeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id", "event", "channel", "status", "reason", "recipient_key", "recipient_name", "address", "language",
            "subject", "attempts", "max_attempts", "scheduled_for", "sent_at", "delivered_at", "provider_message_id",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class DeliveryDetailOut(DeliveryOut):
    provider_response = serializers.CharField(source="attempt_log_text", read_only=True)

    class Meta(DeliveryOut.Meta):
        fields = [*DeliveryOut.Meta.fields, "body_text", "body_html", "provider_response"]
        read_only_fields = fields


class DeliveryStatisticsOut(serializers.Serializer):
    event = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Status -> deliveries.")
    total = serializers.IntegerField()


# ---- event catalogue ------------------------------------------------------------------------------------------------


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


# ---- in-app inbox ---------------------------------------------------------------------------------------------------


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


# ---- web push -------------------------------------------------------------------------------------------------------


class PushKeysIn(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200, help_text="The browser's P-256 public key, base64url.")
    auth = serializers.CharField(max_length=100, help_text="The 16-byte authentication secret, base64url.")


class PushSubscriptionIn(serializers.Serializer):
    """What the browser's PushSubscription.toJSON() gives (expirationTime is ignored)."""

    endpoint = serializers.URLField(max_length=1000, help_text="The push service URL (https).")
    keys = PushKeysIn()

    def validate(self, data):
        errors = subscription_errors(endpoint=data["endpoint"], **data["keys"])
        if errors:
            keys = {name: errors.pop(name) for name in ("p256dh", "auth") if name in errors}
            raise serializers.ValidationError({**errors, **({"keys": keys} if keys else {})})
        return data


class PushUnsubscribeIn(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


class PushSubscriptionOut(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "user_agent", "created_at", "last_used_at"]
        read_only_fields = fields


# ---- webhook endpoints ----------------------------------------------------------------------------------------------


class WebhookOwnerOut(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    email = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class WebhookEndpointOut(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    events = serializers.ListField(child=serializers.CharField(), read_only=True, help_text='Event keys, or ["*"].')
    owner = WebhookOwnerOut(read_only=True, allow_null=True, help_text="Told by email when the endpoint is disabled.")
    consecutive_failures = serializers.IntegerField(read_only=True, help_text="Failed attempts in a row.")
    disabled_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When sending stopped (by staff, or after failing for a day)."
    )
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="After a rotation: until then the previous secret signs too."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "events", "active", "owner", "consecutive_failures", "disabled_at",
            "disabled_reason", "previous_secret_expires_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class WebhookEndpointSecretOut(WebhookEndpointOut):
    secret = serializers.CharField(
        read_only=True,
        help_text="whsec_<base64>: verify signatures with it (Standard Webhooks). Shown only in this answer.",
    )

    class Meta(WebhookEndpointOut.Meta):
        fields = [*WebhookEndpointOut.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointIn(serializers.Serializer):
    url = serializers.CharField(
        max_length=1000, help_text="http(s) URL on a public address; redirects are not followed."
    )
    events = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=500,
        help_text="Keys of webhook events (those with `webhooks: true` in /api/v1/notifications/event-types/), "
        'or ["*"] for every webhook event, including ones added later.',
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # No default: a PUT that leaves `active` out keeps it (a disabled endpoint is not switched back on by a URL
    # fix). New endpoints are active unless told otherwise.
    active = serializers.BooleanField(required=False, help_text="New endpoints: active when left out.")


class WebhookAttemptOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "created_at", "succeeded", "status_code", "latency_ms", "response_excerpt", "error"]
        read_only_fields = fields


class WebhookMessageOut(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", read_only=True, help_text="The webhook-id header.")
    status = serializers.ChoiceField(choices=WebhookMessageStatus.choices, read_only=True)
    attempt_count = serializers.IntegerField(source="attempts", read_only=True)
    attempts = WebhookAttemptOut(source="attempt_log", many=True, read_only=True, help_text="Oldest first.")
    payload = serializers.JSONField(read_only=True, help_text='The body: {"type", "timestamp", "data"}.')

    class Meta:
        model = WebhookMessage
        fields = [
            "id", "webhook_id", "event", "status", "attempt_count", "next_attempt_at", "succeeded_at", "created_at",
            "payload", "attempts",
        ]  # fmt: skip
        read_only_fields = fields
