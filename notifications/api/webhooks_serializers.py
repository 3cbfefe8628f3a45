"""Serializers of the webhook endpoints API. The secret appears in WebhookEndpointSecretOut only: the answer to a
create and to a rotation."""

from rest_framework import serializers

from ..choices import WebhookMessageStatus
from ..models import WebhookAttempt, WebhookEndpoint, WebhookMessage


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
