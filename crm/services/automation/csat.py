"""The satisfaction (CSAT) survey after a resolution: the signed link (`csat_token`, `csat_survey_for_token`), the
survey sent once per resolution unless the channel turns it off or only machines wrote (`csat_survey_send`), and
the customer's answer, stored once per conversation and resolution (`csat_answer`)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.models import User

from ...choices import AutomatedPurpose, MessageDirection, MessageKind
from ...models import AutomatedMessage, Conversation, CsatResponse, InboxTeam, Message
from .common import DO_NOT_ANSWER, _automated_send, _fill_placeholders, _uuid

logger = logging.getLogger(__name__)


CSAT_SALT = "crm.csat"
CSAT_MAX_AGE = 30 * 24 * 3600  # a survey link works for 30 days


# ---- satisfaction survey -----------------------------------------------------------------------------------------


def csat_token(claim: AutomatedMessage) -> str:
    """The signed, timestamped token of a survey link (the survey's id; tampering gives BadSignature)."""
    return signing.TimestampSigner(salt=CSAT_SALT).sign(claim.pk.hex)


def csat_survey_for_token(token: str) -> AutomatedMessage:
    """The survey a link names. signing.SignatureExpired past CSAT_MAX_AGE, signing.BadSignature when tampered
    or unknown."""
    value = signing.TimestampSigner(salt=CSAT_SALT).unsign(token, max_age=CSAT_MAX_AGE)
    survey = (
        AutomatedMessage.objects.select_related("conversation", "conversation__channel")
        .filter(pk=_uuid(value), purpose=AutomatedPurpose.CSAT)
        .first()
    )
    if survey is None:
        raise signing.BadSignature("no such survey")
    return survey


def _csat_wanted(conversation: Conversation) -> bool:
    csat = (conversation.channel.config or {}).get("csat") or {}
    if csat.get("enabled") is False or not conversation.channel.active:
        return False
    # Only a person who wrote gets a survey: not a conversation of auto-replies and bounces alone.
    inbound = Message.objects.filter(
        conversation=conversation, kind=MessageKind.MESSAGE, direction=MessageDirection.INBOUND
    ).values_list("metadata", flat=True)
    return any(not any((metadata or {}).get(key) for key in DO_NOT_ANSWER) for metadata in inbound.iterator())


def csat_survey_send(*, conversation: Conversation) -> Message | None:
    """After a resolution (inside conversation_status_set's transaction): the survey link on the conversation's
    channel, once per resolution (AutomatedMessage keyed by resolved_at), unless the channel's config says
    csat.enabled false or nobody but machines wrote. The assignee and team at this moment are kept with the survey
    (the answer is theirs). Failures (a channel refusing the message) are logged, never undo the resolution."""
    from omni.hosts import portal_url

    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_related("channel", "contact").get(pk=conversation.pk)
            if conversation.resolved_at is None or not _csat_wanted(conversation):
                return None
            claim = AutomatedMessage(
                conversation=conversation, purpose=AutomatedPurpose.CSAT, key=conversation.resolved_at.isoformat()
            )
            claim.data = {
                "agent": str(conversation.assignee_id) if conversation.assignee_id else None,
                "team": str(conversation.team_id) if conversation.team_id else None,
                "resolved_at": conversation.resolved_at.isoformat(),
            }
            try:
                with transaction.atomic():
                    claim.save()
            except IntegrityError:
                return None
            url = portal_url(Audience.STAFF, "hooks:csat", token=csat_token(claim))
            text = str(((conversation.channel.config or {}).get("csat") or {}).get("text") or "").strip()
            text = text or _("How did we do? Please rate your conversation %(n)s from 1 to 5:") % {
                "n": conversation.number
            }
            body = f"{_fill_placeholders(text, conversation)}\n{url}"
            claim.message = _automated_send(conversation, body, AutomatedPurpose.CSAT, {"csat_url": url})
            claim.save(update_fields=["message"])
            return claim.message
    except Exception:
        logger.exception("satisfaction survey not sent for conversation %s", conversation.pk)
        return None


def csat_answer(*, survey: AutomatedMessage, rating, comment: str = "") -> tuple[CsatResponse, bool]:
    """Store the customer's answer to a survey: once per conversation and resolution. A second answer changes
    nothing and returns the first with created=False. ValidationError names `rating` (1-5) or `comment`."""
    try:
        rating = int(str(rating).strip())
    except ValueError:
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Choose a rating from 1 to 5.")]})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": [_("Keep the comment under 2000 characters.")]})
    data = survey.data or {}
    resolved_at = datetime.fromisoformat(data.get("resolved_at") or survey.key)
    agent_id = data.get("agent")
    if agent_id and not User.objects.filter(pk=agent_id).exists():
        agent_id = None  # the agent's account was deleted since
    team_id = data.get("team")
    if team_id and not InboxTeam.objects.filter(pk=team_id).exists():
        team_id = None
    existing = CsatResponse.objects.filter(conversation_id=survey.conversation_id, resolved_at=resolved_at).first()
    if existing is not None:
        return existing, False
    response = CsatResponse(
        conversation_id=survey.conversation_id,
        resolved_at=resolved_at,
        agent_id=agent_id,
        team_id=team_id,
        rating=rating,
        comment=comment,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the same answer posted twice at once: the constraint decides
        return CsatResponse.objects.get(conversation_id=survey.conversation_id, resolved_at=resolved_at), False
    return response, True
