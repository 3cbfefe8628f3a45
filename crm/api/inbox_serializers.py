"""Serializers of the inbox's API (crm/api/inbox_channels.py, inbox_conversations.py, inbox_config.py): `…Out`
read shapes, `…In` writes. Channels' credentials are write-only: the read shape shows `credentials_masked()` (which
are set, and the last 4 characters of each); a generated secret appears once, in the create or rotate answer
(`secret`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors
from ..choices import (
    ChannelKind,
    ConversationPriority,
    ConversationStatus,
    MessageDirection,
    MessageKind,
    MessageStatus,
)
from ..models import CannedReply, Channel, Contact, InboxTeam, Label
from ..selectors import conversations_live
from ..services.inbox_config import CHANNEL_INPUT_CREDENTIALS

CREDENTIAL_NAMES = sorted({name for names in CHANNEL_INPUT_CREDENTIALS.values() for name in names})


def _staff_users():
    return selectors.staff_user_choices()


# ---- channels -----------------------------------------------------------------------------------------------------


class BusinessHoursSerializer(serializers.Serializer):
    """Documents the business hours' shape (checked by crm.services.inbox_config)."""

    time_zone = serializers.CharField(required=False, help_text="IANA name, e.g. Africa/Lagos; default TIME_ZONE.")
    days = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        help_text='mon..sun -> [["08:00", "17:00"], ...]; an absent day is closed; "24:00" ends at midnight.',
    )
    holidays = serializers.ListField(child=serializers.DateField(), required=False, help_text="Closed all day.")


class PrechatSerializer(serializers.Serializer):
    """Each pre-chat field's rule; an anonymous visitor always gives an email or a phone."""

    name = serializers.ChoiceField(choices=["required", "optional", "off"], required=False)
    email = serializers.ChoiceField(choices=["required", "optional", "off"], required=False)
    phone = serializers.ChoiceField(choices=["required", "optional", "off"], required=False)


@extend_schema_field(BusinessHoursSerializer)
class BusinessHoursField(serializers.JSONField):
    """Kept as sent: its shape is checked by the service, which names the field."""


class CsatConfigSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False, default=True)
    text = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class ChannelConfigSerializer(serializers.Serializer):
    """A channel's shown settings. Every kind: business_hours, auto_reply (sent outside business hours), csat.
    Web chat also: colour (#rrggbb), greeting, prechat (the pre-chat form), offline_message, reply_address,
    portal. WhatsApp: api_version."""

    colour = serializers.CharField(required=False, allow_blank=True, max_length=7, help_text="#rrggbb (web chat).")
    greeting = serializers.CharField(required=False, allow_blank=True, max_length=1000, help_text="Web chat.")
    prechat = PrechatSerializer(required=False, help_text="Web chat's pre-chat form.")
    business_hours = BusinessHoursField(required=False)
    auto_reply = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="Sent outside business hours; empty: none."
    )
    csat = CsatConfigSerializer(required=False, help_text="The satisfaction survey after a resolve.")
    api_version = serializers.RegexField(
        r"^v\d{1,3}\.\d{1,2}$", required=False, help_text="WhatsApp: the Graph API version (default v21.0)."
    )
    offline_message = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="Web chat: shown outside business hours."
    )
    reply_address = serializers.EmailField(
        required=False, allow_blank=True, help_text="Web chat: From of the offline replies sent by email."
    )
    portal = serializers.BooleanField(required=False, help_text="Web chat: the customer portal's chat.")


class ChannelOut(serializers.ModelSerializer):
    team = serializers.UUIDField(source="team_id", read_only=True, allow_null=True)
    config = ChannelConfigSerializer(read_only=True)
    credentials = serializers.SerializerMethodField(
        help_text="Which credentials are set, with the last 4 characters of each; never their values."
    )

    class Meta:
        model = Channel
        fields = read_only_fields = [
            "id", "kind", "name", "address", "active", "team", "config", "credentials", "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_credentials(self, channel) -> dict:
        return channel.credentials_masked()


class ChannelSecretOut(ChannelOut):
    """The create and rotate-secret answers: the channel, and its generated secret, shown this once."""

    secret = serializers.SerializerMethodField(
        help_text="Email: the inbound Bearer secret; web chat: the identity HMAC secret. Empty for SMS and "
        "WhatsApp. Shown only in this answer: store it now."
    )

    class Meta(ChannelOut.Meta):
        fields = read_only_fields = [*ChannelOut.Meta.fields, "secret"]

    def get_secret(self, channel) -> str:
        return self.context.get("secret", "")


class ChannelIn(serializers.Serializer):
    """A channel, with its credentials (write-only, per kind; on a change, a credential left out keeps its
    value). sms: account_sid, auth_token, from_number (E.164), api_base_url. whatsapp: phone_number_id,
    access_token, app_secret, verify_token, api_base_url. email: address (a secret is generated). webchat: config
    (a secret is generated)."""

    kind = serializers.ChoiceField(choices=ChannelKind.choices, help_text="Cannot change after create.")
    name = serializers.CharField(max_length=100)
    address = serializers.CharField(
        max_length=254, required=False, allow_blank=True, help_text="Email: the address. Web chat: the website."
    )
    active = serializers.BooleanField(required=False, default=True)
    team = serializers.PrimaryKeyRelatedField(
        queryset=InboxTeam.objects.all(), required=False, allow_null=True, help_text="New conversations go here."
    )
    config = ChannelConfigSerializer(required=False)
    account_sid = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)
    auth_token = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)
    from_number = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=34,
        help_text="E.164, or a Messaging Service SID (MG...).",
    )
    api_base_url = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, help_text="http(s) URL."
    )
    phone_number_id = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)
    access_token = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=2000)
    app_secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)
    verify_token = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        credentials = {name: data.pop(name) for name in CREDENTIAL_NAMES if name in data}
        out = dict(data.items())
        if credentials:
            out["credentials"] = credentials
        return out


# ---- teams, labels, canned replies ------------------------------------------------------------------------------


class InboxTeamOut(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = InboxTeam
        fields = read_only_fields = [
            "id", "name", "description", "members", "auto_assign", "active", "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_members(self, team) -> list:
        return sorted(str(user.pk) for user in team.members.all())  # prefetched


class InboxTeamIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    members = serializers.PrimaryKeyRelatedField(
        queryset=_staff_users(), many=True, required=False, help_text="Active staff users."
    )
    auto_assign = serializers.BooleanField(required=False, default=True)
    active = serializers.BooleanField(required=False, default=True)


class LabelOut(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = read_only_fields = ["id", "name", "colour", "description", "created_at", "updated_at"]


class LabelIn(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    colour = serializers.CharField(max_length=7, required=False, help_text="#rrggbb.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CannedReplyOut(serializers.ModelSerializer):
    class Meta:
        model = CannedReply
        fields = read_only_fields = ["id", "shortcode", "title", "body", "created_at", "updated_at"]


class CannedReplyIn(serializers.Serializer):
    shortcode = serializers.SlugField(max_length=50, help_text="Typed as /shortcode in the reply box.")
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    body = serializers.CharField(max_length=20000)


# ---- conversations and messages --------------------------------------------------------------------------------


class ConversationOut(serializers.Serializer):
    """A conversation as staff see it (the payload of crm.conversation.* events): ids for the related rows."""

    id = serializers.UUIDField()
    number = serializers.CharField(help_text="CNV-000001.")
    channel = serializers.UUIDField()
    channel_kind = serializers.ChoiceField(choices=ChannelKind.choices)
    contact = serializers.UUIDField()
    account = serializers.UUIDField(allow_null=True)
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=ConversationStatus.choices)
    priority = serializers.ChoiceField(choices=ConversationPriority.choices)
    snoozed_until = serializers.DateTimeField(allow_null=True)
    assignee = serializers.UUIDField(allow_null=True)
    team = serializers.UUIDField(allow_null=True)
    labels = serializers.ListField(child=serializers.CharField(), help_text="Label names, sorted.")
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_inbound_at = serializers.DateTimeField(allow_null=True, help_text="WhatsApp's 24-hour window starts here.")
    first_reply_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    merged_into = serializers.UUIDField(allow_null=True)
    created_by = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ConversationStartIn(serializers.Serializer):
    """Start an outbound conversation in one call: a known `contact`, or contact details (`name` and an `email`
    or `phone`: an existing contact with either is used, else one is created), a `channel` and the first
    `message` (or a WhatsApp `template`)."""

    channel = serializers.UUIDField()
    contact = serializers.UUIDField(required=False, allow_null=True, default=None)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32, help_text="E.164.")
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    template = serializers.DictField(
        required=False,
        allow_null=True,
        default=None,
        help_text='WhatsApp: an approved template, e.g. {"name": "hello", "language": "en"}.',
    )

    def validate_phone(self, value):
        from phonenumber_field.phonenumber import to_python as to_phone

        value = (value or "").strip()
        if not value:
            return ""
        phone = to_phone(value)
        if not phone or not phone.is_valid():
            raise serializers.ValidationError(_("Enter a phone number in E.164 form, e.g. +2348031234567."))
        return phone.as_e164

    def validate(self, attrs):
        if attrs.get("contact") and (attrs.get("email") or attrs.get("phone") or attrs.get("name")):
            raise serializers.ValidationError({"contact": [_("Give a contact id or contact details, not both.")]})
        if not attrs.get("contact") and not (attrs.get("email") or attrs.get("phone")):
            raise serializers.ValidationError({"contact": [_("Give a contact id, or an email or phone number.")]})
        if attrs.get("contact") and not Contact.objects.live().filter(pk=attrs["contact"]).exists():
            raise serializers.ValidationError({"contact": [_("No contact with this id.")]})
        return attrs


class ConversationChangeIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ConversationStatus.choices, required=False)
    snoozed_until = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="With status snoozed: when it reopens."
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=_staff_users(), required=False, allow_null=True, help_text="A staff user; null unassigns."
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=InboxTeam.objects.filter(active=True), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=ConversationPriority.choices, required=False)
    labels = serializers.PrimaryKeyRelatedField(
        queryset=Label.objects.all(), many=True, required=False, help_text="Replaces the labels."
    )


class ConversationMergeIn(serializers.Serializer):
    target = serializers.PrimaryKeyRelatedField(
        queryset=conversations_live(), help_text="Another conversation of the same contact; it keeps every message."
    )


class AttachmentOut(serializers.Serializer):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class MessageOut(serializers.Serializer):
    """A message, private note or activity line (`kind`), as staff see it (the payload of crm.message.*)."""

    id = serializers.UUIDField()
    conversation = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    direction = serializers.ChoiceField(choices=MessageDirection.choices)
    author = serializers.UUIDField(allow_null=True, help_text="The staff user (outbound, notes).")
    sender = serializers.UUIDField(allow_null=True, help_text="The contact (inbound).")
    body = serializers.CharField()
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    error = serializers.CharField()
    attachments = AttachmentOut(many=True)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)


class MessageIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(MessageKind.MESSAGE, MessageKind.MESSAGE.label), (MessageKind.NOTE, MessageKind.NOTE.label)],
        default=MessageKind.MESSAGE,
        help_text="message: sent to the customer on the conversation's channel; note: private, with @mentions.",
    )
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    template = serializers.DictField(
        required=False, allow_null=True, default=None, help_text="WhatsApp: an approved template (kind message)."
    )
