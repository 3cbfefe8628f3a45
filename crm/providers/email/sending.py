"""Sending email replies (`Provider.send`): Django's email backend, From the channel's address, To the address the
customer last wrote from (Reply-To first; else the contact's email), "Re: <subject>" when answering, a Message-ID
on the channel's domain (stable per message, so a retried send is recognisable), In-Reply-To and References for
the customer's mail client to thread it. SMTP answers map to transient (4xx, timeouts: retried) and permanent
(5xx: failed) errors as in notifications.channels.email. A reply marked `metadata["automatic"]` carries
`Auto-Submitted: auto-replied` and is refused on a conversation whose latest inbound mail was automatic.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from notifications.channels.base import PermanentError, TransientError
from notifications.channels.email import _new_backend, _raise_provider_error, _smtp_text

from ...choices import MessageDirection, MessageKind
from ..base import BaseProvider
from .headers import MSGID, _chain


def _automatic(metadata: dict) -> bool:
    """A reply nobody wrote: marked `automatic` by a caller, or `automated` (with its purpose) by the automation
    rules, business-hours auto-replies and satisfaction surveys (crm.services.automation)."""
    return bool(metadata.get("automatic") or metadata.get("automated"))


# ---- sending --------------------------------------------------------------------------------------------------------


def channel_domain(channel) -> str:
    domain = (channel.address or "").rpartition("@")[2].strip().lower()
    if domain:
        return domain
    return settings.OMNI_DOMAIN if "." in settings.OMNI_DOMAIN else "omni.localhost"


def _latest_inbound(conversation, *, bounces: bool = False):
    """The latest inbound mail of the conversation; a bounce only when asked (replies never answer a daemon)."""
    # This channel's only: a merged-in SMS or chat message has no Message-ID to answer.
    rows = conversation.messages.filter(
        channel_id=conversation.channel_id, direction=MessageDirection.INBOUND, kind=MessageKind.MESSAGE
    ).exclude(external_id="")
    if not bounces:
        rows = rows.exclude(metadata__has_key="bounce")  # only set when true; =True would drop rows without it
    return rows.order_by("-created_at").first()


def reply_address(conversation) -> str:
    """Where a reply goes: the address the customer last wrote from (their Reply-To first), else the contact's
    email ("" when neither is known)."""
    latest = _latest_inbound(conversation)
    if latest is not None:
        meta = latest.metadata or {}
        address = meta.get("reply_to") or meta.get("from")
        if address:
            return address
    return (conversation.contact.email or "").strip()


class Provider(BaseProvider):
    def thread_for(self, contact) -> str:
        """A new Message-ID: the root of a thread staff start (its first message goes out under this id)."""
        if not (contact.email or "").strip():
            raise ValidationError({"contact": [_("This contact has no email address.")]})
        return make_msgid(domain=channel_domain(self.channel))

    def validate(self, conversation, *, body: str, metadata: dict, attachments) -> None:
        if not reply_address(conversation):
            raise ValidationError({"contact": [_("This contact has no email address.")]})
        if _automatic(metadata):
            latest = _latest_inbound(conversation, bounces=True)
            if latest is not None and (latest.metadata or {}).get("auto_submitted"):
                msg = _("The customer's last email was automatic (an auto-reply or a bounce): no automatic answer.")
                raise ValidationError({"body": [msg]})

    def send(self, message) -> str:
        """Send one reply; returns its Message-ID. TransientError (retry) or PermanentError (failed)."""
        channel, conversation = self.channel, message.conversation
        if not channel.address:
            raise PermanentError("the email channel has no address to send from")
        to = reply_address(conversation)
        if not to:
            raise PermanentError("the contact has no email address")
        message_id = self._message_id(message)
        headers = {"Message-ID": message_id}
        latest = _latest_inbound(conversation)
        if latest is not None:
            references = list((latest.metadata or {}).get("references") or [])
            chain = [*references, latest.external_id]  # RFC 5322 3.6.4: the parent's References, then the parent
            headers["In-Reply-To"] = latest.external_id
        else:
            previous = (
                conversation.messages.filter(
                    channel_id=conversation.channel_id, direction=MessageDirection.OUTBOUND, kind=MessageKind.MESSAGE
                )
                .exclude(external_id="")
                .exclude(pk=message.pk)
                .order_by("-created_at")
                .first()
            )
            chain = [conversation.thread_key] + ([previous.external_id] if previous else [])
            if previous is not None:
                headers["In-Reply-To"] = previous.external_id
        if conversation.thread_key not in chain:
            chain.insert(0, conversation.thread_key)  # the thread's root first, as every client threads on it
        chain = _chain([item for item in chain if MSGID.fullmatch(item or "") and item != message_id])
        if chain:
            headers["References"] = " ".join(chain)
        if _automatic(message.metadata or {}):
            headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: the other side's robots must not answer it
        # The contact's name goes with their own address only (not with a Reply-To or another sender's).
        same = to.strip().lower() == (conversation.contact.email or "").strip().lower()
        name = conversation.contact.full_name if same else ""
        email = EmailMessage(
            subject=self._subject(conversation, answering=latest is not None),
            body=message.body,
            from_email=formataddr((channel.name, channel.address)),
            to=[formataddr((name or "", to))],
            headers=headers,
        )
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type or None)
        _deliver(email)
        return message_id

    def _message_id(self, message) -> str:
        """The thread's root id for the first message of a thread staff started (its replies then thread by the
        conversation's key); otherwise one derived from the message, the same on every retry."""
        conversation = message.conversation
        key = conversation.thread_key
        if (
            MSGID.fullmatch(key or "")
            and not conversation.messages.filter(external_id=key).exists()
            and not conversation.messages.filter(direction=MessageDirection.INBOUND).exists()
        ):
            return key
        return f"<omni.{message.pk.hex}@{channel_domain(self.channel)}>"

    @staticmethod
    def _subject(conversation, *, answering: bool) -> str:
        subject = conversation.subject or (_("(no subject)") if answering else conversation.channel.name)
        if answering and not re.match(r"^\s*(re|aw|sv|antw)\s*:", subject, re.IGNORECASE):
            subject = f"Re: {subject}"
        return subject


def _deliver(email: EmailMessage) -> None:
    """Send through Django's backend, mapping SMTP answers as notifications.channels.email does; the server's
    answer is in the error's text (message_deliver keeps only that, as Message.error)."""
    connection = _new_backend()
    email.connection = connection
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        answers = "; ".join(f"{address}: {_smtp_text(*answer)}" for address, answer in exc.recipients.items())
        if all(code >= 500 for code, _message in exc.recipients.values()):
            raise PermanentError(f"recipient refused: {answers}", response=answers) from exc
        raise TransientError(f"recipient deferred: {answers}", response=answers) from exc
    except smtplib.SMTPAuthenticationError as exc:  # configuration: works again once fixed
        raise TransientError("SMTP authentication failed", response=_smtp_text(exc.smtp_code, exc.smtp_error)) from exc
    except smtplib.SMTPResponseException as exc:
        answer = _smtp_text(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code >= 500:
            raise PermanentError(f"message refused: {answer}", response=answer) from exc
        raise TransientError(f"message deferred: {answer}", response=answer) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
    except Exception as exc:
        _raise_provider_error(exc)
        raise
    finally:
        with contextlib.suppress(Exception):
            connection.close()
