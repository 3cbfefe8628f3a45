"""Writes the staff console's inbox needs beside the core ones (crm.services.inbox): a conversation's priority.
Kept apart while the core module is shared; its home is crm/services/inbox.py (the lead may fold it in)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from omni.models import User

from .. import live
from ..choices import ConversationPriority
from .inbox import _locked, activity_add

__all__ = ["conversation_priority_set"]


def conversation_priority_set(*, conversation_id: UUID, priority: str, by: User | None = None):
    """Set the conversation's priority (400 naming `priority` for an unknown one). Locks the row; the same
    priority again changes nothing (no activity line, no live event)."""
    if priority not in ConversationPriority.values:
        raise ValidationError({"priority": [_("Unknown priority %(p)s.") % {"p": priority}]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.priority == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority", "updated_at"])
        line = activity_add(conversation, _("Priority: %(p)s") % {"p": ConversationPriority(priority).label}, by=by)
        live.conversation_changed(conversation, "message.created", {"message": str(line.pk)})
        live.conversation_changed(conversation, "conversation.priority", {"priority": priority})
    return conversation
