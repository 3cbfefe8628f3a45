"""The omni-channel inbox (issue 11): channels (an email address, an SMS number, a WhatsApp number, a web chat
widget), conversations with a contact on one channel thread, their messages and attachments, inbox teams with
their agents, labels and canned replies."""

import secrets
import uuid

import orjson
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _

from omni import crypto
from omni.db import NextNumber
from omni.models import TimeStampedModel

from ..choices import (
    ChannelKind,
    ConversationPriority,
    ConversationStatus,
    MessageDirection,
    MessageKind,
    MessageStatus,
)
from .accounts import Account, Contact

# The credentials each kind of channel keeps encrypted (write-only in the API, never shown back in full).
CHANNEL_SECRETS: dict[str, tuple[str, ...]] = {
    ChannelKind.EMAIL: ("inbound_secret",),
    ChannelKind.SMS: ("account_sid", "auth_token", "from_number", "api_base_url"),
    ChannelKind.WHATSAPP: ("phone_number_id", "access_token", "app_secret", "verify_token", "api_base_url"),
    ChannelKind.WEBCHAT: ("identity_secret",),
}


def new_secret() -> str:
    """A generated channel secret (email inbound Bearer token, web chat identity HMAC key)."""
    return secrets.token_urlsafe(32)


class InboxTeam(TimeStampedModel):
    """A team of agents working conversations (support, sales, NOC...). Conversations assigned to a team are
    auto-assigned round-robin among its members who are available, up to each one's cap of open conversations."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="inbox_teams", verbose_name=_("members")
    )
    auto_assign = models.BooleanField(
        _("auto-assign"), default=True, help_text=_("Hand new conversations round-robin to available members.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("inbox team")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="crm_inboxteam_name_unique_ci")]

    def __str__(self):
        return self.name


class InboxAgent(TimeStampedModel):
    """A staff user's presence in the inbox: available for auto-assignment, and how many open conversations they
    take at most. Created on first use; absent means not available."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="inbox_agent", verbose_name=_("user")
    )
    available = models.BooleanField(_("available"), default=False)
    max_open = models.PositiveSmallIntegerField(
        _("open conversations at most"), default=10, help_text=_("Auto-assignment skips an agent at the cap.")
    )
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("inbox agent")
        ordering = ["user__email"]

    def __str__(self):
        return str(self.user)


class Channel(TimeStampedModel):
    """One way customers reach us. `address` is what identifies it to the outside world: the email address, the
    SMS number (E.164), the WhatsApp phone number id, the web chat's website. Credentials are encrypted at rest
    (omni.crypto) and set through `set_credentials`; `config` holds what may be shown (web chat colour, greeting,
    business hours, pre-chat fields, auto-reply text)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=254, blank=True)
    active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(
        InboxTeam,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="channels",
        verbose_name=_("team"),
        help_text=_("New conversations on this channel go to this team."),
    )
    config = models.JSONField(_("settings"), default=dict, blank=True)
    credentials_encrypted = models.TextField(_("credentials (encrypted)"), blank=True, editable=False)

    class Meta:
        verbose_name = _("channel")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="crm_channel_name_unique_ci")]
        indexes = [models.Index(fields=["kind", "address"], name="crm_channel_kind_address")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def credentials(self) -> dict:
        """The decrypted credentials ({} when none are set)."""
        if not self.credentials_encrypted:
            return {}
        return orjson.loads(crypto.decrypt(self.credentials_encrypted))

    def set_credentials(self, values: dict) -> None:
        """Merge `values` into the stored credentials (an empty value removes the key) and encrypt them."""
        merged = {**self.credentials, **values}
        merged = {key: value for key, value in merged.items() if value not in (None, "")}
        self.credentials_encrypted = crypto.encrypt(orjson.dumps(merged).decode()) if merged else ""

    def credential(self, key: str, default: str = "") -> str:
        return self.credentials.get(key, default)

    def credentials_masked(self) -> dict:
        """What may be shown of the credentials: which are set, and the last 4 characters of each."""
        return {
            key: ("…" + str(value)[-4:] if len(str(value)) > 8 else "set") for key, value in self.credentials.items()
        }


class Label(TimeStampedModel):
    """A tag on conversations ("billing", "outage", "vip")."""

    name = models.CharField(_("name"), max_length=50)
    colour = models.CharField(_("colour"), max_length=7, default="#64748b", help_text=_("#rrggbb"))
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("label")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="crm_label_name_unique_ci")]

    def __str__(self):
        return self.name


class CannedReply(TimeStampedModel):
    """A saved answer, inserted in the reply box by typing `/shortcode`. `{{ contact.first_name }}`-style
    placeholders are filled from the conversation."""

    shortcode = models.SlugField(_("shortcode"), max_length=50)
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("body"))

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["shortcode"]
        constraints = [models.UniqueConstraint(Lower("shortcode"), name="crm_cannedreply_shortcode_unique_ci")]

    def __str__(self):
        return f"/{self.shortcode}"


class Conversation(TimeStampedModel):
    """One thread with one contact on one channel. `thread_key` names the thread on the channel: the root
    Message-ID of an email thread, the customer's E.164 number on SMS, their WhatsApp id, the visitor id on web
    chat. A new inbound message on a resolved or snoozed conversation reopens it. Merged conversations keep
    their row (`merged_into`) and lose their messages to the survivor."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("CNV-", "crm_conversation_number_seq"),
    )
    channel = models.ForeignKey(Channel, models.PROTECT, related_name="conversations", verbose_name=_("channel"))
    thread_key = models.CharField(_("thread"), max_length=998, editable=False)
    contact = models.ForeignKey(Contact, models.PROTECT, related_name="conversations", verbose_name=_("contact"))
    account = models.ForeignKey(
        Account, models.SET_NULL, null=True, blank=True, related_name="conversations", verbose_name=_("account")
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ConversationStatus, default=ConversationStatus.OPEN, editable=False
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=ConversationPriority, default=ConversationPriority.NONE
    )
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_conversations",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        InboxTeam, models.SET_NULL, null=True, blank=True, related_name="conversations", verbose_name=_("team")
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations", verbose_name=_("labels"))
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True, editable=False)
    last_inbound_at = models.DateTimeField(
        _("last customer message"), null=True, blank=True, editable=False, help_text=_("WhatsApp's 24-hour window.")
    )
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+", editable=False, verbose_name=_("merged into")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("conversation")
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "thread_key"], condition=Q(merged_into=None), name="crm_conversation_thread_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status=ConversationStatus.SNOOZED) | Q(snoozed_until__isnull=False),
                name="crm_conversation_snoozed_has_until",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "-last_message_at"], condition=Q(merged_into=None), name="crm_conversation_inbox"
            ),
            models.Index(fields=["assignee", "status"], condition=Q(merged_into=None), name="crm_conversation_mine"),
            models.Index(fields=["team", "status"], condition=Q(merged_into=None), name="crm_conversation_team"),
            models.Index(
                fields=["snoozed_until"], condition=Q(status=ConversationStatus.SNOOZED), name="crm_conversation_snooze"
            ),
            GinIndex(OpClass(Upper("subject"), name="gin_trgm_ops"), name="crm_conversation_subject_trgm"),
        ]

    def __str__(self):
        return self.number


class Message(models.Model):
    """One message, note or activity line of a conversation. `external_id` is the provider's id (email
    Message-ID, Twilio MessageSid, WhatsApp wamid, web chat client id): unique per channel, so a webhook
    retried by the provider stores nothing twice. `body` is what the console shows (quoted history and
    signature trimmed), `original` the whole text as received."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    channel = models.ForeignKey(Channel, models.PROTECT, related_name="+", verbose_name=_("channel"))
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind, default=MessageKind.MESSAGE)
    direction = models.CharField(_("direction"), max_length=16, choices=MessageDirection)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
        help_text=_("The staff user who wrote it (outbound and notes)."),
    )
    sender = models.ForeignKey(
        Contact, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("sender")
    )
    body = models.TextField(_("body"), blank=True)
    original = models.TextField(_("original"), blank=True)
    external_id = models.CharField(_("provider id"), max_length=998, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MessageStatus)
    error = models.TextField(_("error"), blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~Q(external_id=""), name="crm_message_external_unique"
            ),
        ]
        indexes = [models.Index(fields=["conversation", "created_at"], name="crm_message_thread")]

    def __str__(self):
        return f"{self.get_direction_display()} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance, filename: str) -> str:
    return f"inbox/{instance.message.conversation_id}/{uuid.uuid4().hex}/{filename}"


class MessageAttachment(models.Model):
    """A file that came with (or went with) a message, stored through Django storage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, models.CASCADE, related_name="attachments", verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        ordering = ["created_at"]

    def __str__(self):
        return self.filename
