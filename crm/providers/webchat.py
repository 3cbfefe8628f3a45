"""The web chat provider: the visitor's widget (or the customer portal's chat) is subscribed to the
conversation's live topic, so a reply is delivered by publishing it (crm.live, after commit); no network call.

Outside business hours the widget takes the message with an email address (metadata offline=true): a staff reply
to such a conversation goes out by email (Django's email backend, from the channel's `reply_address` or
DEFAULT_FROM_EMAIL) instead, since nobody is looking at the widget.

The channel's `config` (README, "Web chat"): colour, greeting, offline_message, reply_address, portal (true: the
customer portal's chat), prechat ({"name": "optional", "email": "required", "phone": "off"}) and business_hours
({"time_zone": "Africa/Lagos", "days": {"mon": [["08:00", "17:00"]], ...}}; absent: always open; a day not
listed: closed all day)."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, time
from email.utils import make_msgid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.channels.base import PermanentError, TransientError

from ..choices import MessageDirection, MessageKind
from .base import BaseProvider

logger = logging.getLogger(__name__)

DEFAULT_COLOUR = "#2563eb"
PRECHAT_FIELDS = ("name", "email", "phone")
PRECHAT_DEFAULT = {"name": "optional", "email": "required", "phone": "off"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def prechat(config: dict) -> dict[str, str]:
    """Each pre-chat field's rule: "required", "optional" or "off". An anonymous visitor gives an email or a phone
    number (crm.hooks.webchat): a contact needs one, and it is how an offline message is answered."""
    configured = config.get("prechat") or {}
    rules = {name: str(configured.get(name, PRECHAT_DEFAULT[name])) for name in PRECHAT_FIELDS}
    rules = {name: rule if rule in ("required", "optional", "off") else "off" for name, rule in rules.items()}
    if rules["email"] == "off" and rules["phone"] == "off":
        rules["email"] = "required"  # a contact is reached by email or phone: one of them is always asked
    return rules


def _parse_time(value: str) -> time:
    if value in ("24:00", "23:59"):
        return time(23, 59, 59, 999999)
    return time.fromisoformat(value)


def open_now(config: dict, now: datetime | None = None) -> bool:
    """Whether `now` falls in the channel's business hours (in their time zone). No business_hours: always open.
    A malformed setting counts as open: the chat keeps working and the admin sees the setting."""
    hours = config.get("business_hours")
    if not hours or not isinstance(hours, dict) or not hours.get("days"):
        return True
    try:
        zone = ZoneInfo(hours.get("time_zone") or settings.TIME_ZONE)
        local = (now or timezone.now()).astimezone(zone)
        for start, end in hours["days"].get(DAYS[local.weekday()], []):
            if _parse_time(start) <= local.time() < _parse_time(end):
                return True
    except (ZoneInfoNotFoundError, ValueError, TypeError, AttributeError):
        return True
    return False


def portal_channel():
    """The web chat channel of the customer portal's chat: WEBCHAT_PORTAL_CHANNEL (an id) when set, else the oldest
    active web chat channel whose settings say "portal": true; None when there is none."""
    from ..choices import ChannelKind
    from ..models import Channel

    channels = Channel.objects.filter(kind=ChannelKind.WEBCHAT, active=True)
    if settings.WEBCHAT_PORTAL_CHANNEL:
        return channels.filter(pk=settings.WEBCHAT_PORTAL_CHANNEL).first()
    return channels.filter(config__portal=True).order_by("created_at").first()


def offline_email(conversation) -> str:
    """The email address to answer on when the conversation's latest customer message was taken offline (outside
    business hours), else "" (the widget is the way back)."""
    latest = (
        conversation.messages.filter(kind=MessageKind.MESSAGE, direction=MessageDirection.INBOUND)
        .order_by("-created_at")
        .values_list("metadata", flat=True)
        .first()
    )
    if not latest or not latest.get("offline"):
        return ""
    return latest.get("email") or conversation.contact.email


class Provider(BaseProvider):
    inline = True  # publishing is delivery; an offline conversation's email is one SMTP exchange, after commit

    def thread_for(self, contact) -> str:
        # A conversation staff start is answered on the portal's chat of that contact (crm.hooks.webchat:
        # identified visitors' threads are "user:<identifier>", the portal's identifier being the contact id).
        return f"user:{contact.pk}"

    def send(self, message) -> str:
        conversation = message.conversation
        to = offline_email(conversation)
        if not to:
            return f"webchat-{message.pk}"
        config = self.channel.config or {}
        domain = settings.OMNI_DOMAIN if "." in settings.OMNI_DOMAIN else "localhost.localdomain"
        message_id = make_msgid(idstring=f"webchat-{message.pk}", domain=domain)
        email = EmailMessage(
            subject=_("Re: your message to %(name)s") % {"name": self.channel.name},
            body=message.body,
            from_email=config.get("reply_address") or settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"Message-ID": message_id, "Auto-Submitted": "no"},
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"the email address {to} was refused: {exc.recipients}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Sent in the request (inline): a retry goes to the worker. The message stays queued, committed.
            self._retry_later(message.pk)
            raise TransientError(f"email to {to} not sent: {exc}") from exc
        return message_id

    @staticmethod
    def _retry_later(message_id) -> None:
        from ..tasks import inbox_message_send

        try:
            inbox_message_send.apply_async((str(message_id),), countdown=30)
        except Exception:  # the broker is down too: the reply stays queued, shown so in the console
            logger.warning("inbox message %s: email retry not queued", message_id, exc_info=True)
