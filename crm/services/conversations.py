"""Every write of a conversation's own state: status (open, pending, snoozed until a time, resolved) and the beat
that wakes snoozed ones, assignment (round-robin through automation), priority, labels, merging two conversations
of one contact, and starting an outbound conversation in one step. Each in one transaction on the locked row,
recording crm.conversation.* events and publishing live updates after commit; messages are inbox.py's."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import Conflict, InvalidTransition
from omni.models import User

from .. import events, live
from ..choices import ConversationStatus
from ..models import Channel, Contact, Conversation, Message
from .inbox import _locked, activity_add, contact_resolve, conversation_for_thread, reply_send

__all__ = [
    "conversation_assign",
    "conversation_labels_change",
    "conversation_labels_set",
    "conversation_merge",
    "conversation_priority_set",
    "conversation_start",
    "conversation_status_set",
    "snoozed_wake",
]


# Conversation status: open <-> pending, snoozed (until a time), resolved. Any status may go to any other but
# itself (re-snoozing moves the time); a new inbound message reopens (inbound_receive); beat wakes snoozed ones.


def conversation_status_set(
    *, conversation_id: UUID, status: str, snoozed_until: datetime | None = None, by: User | None = None
) -> Conversation:
    """Move a conversation to `status`. Snoozing needs a future `snoozed_until`; resolving stamps resolved_at and
    records crm.conversation.resolved. 409 for the status it already has (except snoozed: a new time)."""
    if status not in ConversationStatus.values:
        raise ValidationError({"status": [_("Unknown status %(s)s.") % {"s": status}]})
    now = timezone.now()
    if status == ConversationStatus.SNOOZED:
        if snoozed_until is None:
            raise ValidationError({"snoozed_until": [_("Say until when to snooze.")]})
        if snoozed_until <= now:
            raise ValidationError({"snoozed_until": [_("The time must be in the future.")]})
    elif snoozed_until is not None:
        raise ValidationError({"snoozed_until": [_("Only a snoozed conversation has a wake-up time.")]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.status == status and status != ConversationStatus.SNOOZED:
            raise InvalidTransition(
                _("The conversation is already %(s)s.") % {"s": ConversationStatus(status).label},
                fields={"status": [_("Already %(s)s.") % {"s": ConversationStatus(status).label}]},
            )
        conversation.status = status
        conversation.snoozed_until = snoozed_until
        conversation.resolved_at = now if status == ConversationStatus.RESOLVED else None
        conversation.save(update_fields=["status", "snoozed_until", "resolved_at", "updated_at"])
        label = ConversationStatus(status).label
        activity_add(conversation, _("Status: %(s)s") % {"s": label}, by=by)
        if status == ConversationStatus.RESOLVED:
            events.conversation_changed("resolved", conversation.pk, by_id=by.pk if by else None)
            from .automation.csat import csat_survey_send  # the satisfaction survey, once per resolution

            csat_survey_send(conversation=conversation)
        live.conversation_changed(conversation, "conversation.status", visitor=True)
    return conversation


def snoozed_wake(*, now: datetime | None = None) -> int:
    """Beat: reopen every snoozed conversation whose time has come, in one statement; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        woken = list(
            Conversation.objects.filter(status=ConversationStatus.SNOOZED, snoozed_until__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not woken:
            return 0
        Conversation.objects.filter(pk__in=woken).update(
            status=ConversationStatus.OPEN, snoozed_until=None, updated_at=now
        )
        for conversation in Conversation.objects.filter(pk__in=woken):
            live.conversation_changed(conversation, "conversation.status")
    return len(woken)


def conversation_assign(
    *,
    conversation_id: UUID,
    assignee: User | None = None,
    team_id: UUID | None = None,
    by: User | None = None,
    keep_team: bool = True,
) -> Conversation:
    """Assign to an agent (an active staff user) and/or a team; None unassigns. Records
    crm.conversation.assigned and tells the new assignee (unless they assigned themselves)."""
    from omni.choices import Audience

    from ..models import InboxTeam

    if assignee is not None and not (assignee.audience == Audience.STAFF and assignee.is_active and assignee.is_staff):
        raise ValidationError({"assignee": [_("Assign to an active staff user.")]})
    team = None
    if team_id is not None:
        team = InboxTeam.objects.filter(pk=team_id, active=True).first()
        if team is None:
            raise ValidationError({"team": [_("No active team with this id.")]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        changed = conversation.assignee_id != (assignee.pk if assignee else None)
        if team is not None or not keep_team:
            changed |= conversation.team_id != (team.pk if team else None)
            conversation.team = team
        conversation.assignee = assignee
        round_robin = team is not None and assignee is None  # to a team, no agent (crm.services.automation)
        if not changed:
            return _round_robin(conversation) if round_robin else conversation
        conversation.save(update_fields=["assignee", "team", "updated_at"])
        who = assignee.get_full_name() or assignee.email if assignee else _("nobody")
        text = _("Assigned to %(who)s") % {"who": who}
        if conversation.team_id:
            text += " (" + conversation.team.name + ")"
        activity_add(conversation, text, by=by)
        events.conversation_changed("assigned", conversation.pk, by_id=by.pk if by else None)
        live.conversation_changed(conversation, "conversation.assigned")
        return _round_robin(conversation) if round_robin else conversation


def _round_robin(conversation: Conversation) -> Conversation:
    from .automation.assignment import conversation_auto_assign

    if conversation_auto_assign(conversation_id=conversation.pk) is not None:
        conversation.refresh_from_db()
    return conversation


def conversation_priority_set(*, conversation_id: UUID, priority: str, by: User | None = None) -> Conversation:
    """Set the conversation's priority (400 naming `priority` for an unknown one). Locks the row; the same
    priority again changes nothing (no activity line, no live event)."""
    from ..choices import ConversationPriority

    if priority not in ConversationPriority.values:
        raise ValidationError({"priority": [_("Unknown priority %(p)s.") % {"p": priority}]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.priority == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority", "updated_at"])
        activity_add(conversation, _("Priority: %(p)s") % {"p": ConversationPriority(priority).label}, by=by)
        live.conversation_changed(conversation, "conversation.priority", {"priority": priority})
    return conversation


def conversation_labels_set(*, conversation_id: UUID, labels: list, by: User | None = None) -> Conversation:
    """Replace the conversation's labels (Label rows or ids)."""
    from ..models import Label

    ids = [getattr(label, "pk", label) for label in labels]
    found = list(Label.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError({"labels": [_("Unknown label.")]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        conversation.labels.set(found)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
        live.conversation_changed(conversation, "conversation.labels", {"labels": sorted(x.name for x in found)})
    return conversation


def conversation_labels_change(
    *, conversation_id: UUID, add: list = (), remove: list = (), by: User | None = None
) -> Conversation:
    """Add and remove labels (Label rows or ids) under the conversation's lock: two agents labelling at once
    both keep their change (conversation_labels_set replaces the whole set: the API's PATCH)."""
    from ..models import Label

    add_ids = {getattr(label, "pk", label) for label in add}
    remove_ids = {getattr(label, "pk", label) for label in remove}
    found = list(Label.objects.filter(pk__in=add_ids | remove_ids))
    if len(found) != len(add_ids | remove_ids):
        raise ValidationError({"labels": [_("Unknown label.")]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if add_ids:
            conversation.labels.add(*add_ids)
        if remove_ids:
            conversation.labels.remove(*remove_ids)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
        names = sorted(conversation.labels.values_list("name", flat=True))
        live.conversation_changed(conversation, "conversation.labels", {"labels": names})
    return conversation


def conversation_merge(*, source_id: UUID, target_id: UUID, by: User | None = None) -> Conversation:
    """Fold `source` into `target` (same contact): every message moves, in time order; the source keeps its row,
    marked merged_into (its thread then routes to the target: a reply to it lands there). 409 when the contacts
    differ or either is already merged."""
    if source_id == target_id:
        raise ValidationError({"target": [_("A conversation cannot be merged into itself.")]})
    with transaction.atomic():
        # Lock both in id order: two merges of the same pair never deadlock.
        rows = {
            row.pk: row
            for row in Conversation.objects.select_for_update()
            .filter(pk__in=sorted([source_id, target_id]))
            .order_by("pk")
        }
        if len(rows) != 2:
            raise Conversation.DoesNotExist()
        source, target = rows[source_id], rows[target_id]
        if source.merged_into_id or target.merged_into_id:
            raise Conflict(_("A merged conversation cannot be merged again."))
        if source.contact_id != target.contact_id:
            raise Conflict(
                _("Only conversations of the same contact can be merged."),
                fields={"target": [_("This conversation is with another contact.")]},
            )
        Message.objects.filter(conversation=source).update(conversation=target)
        target.labels.add(*source.labels.all())
        latest = max(filter(None, [source.last_message_at, target.last_message_at]), default=None)
        inbound = max(filter(None, [source.last_inbound_at, target.last_inbound_at]), default=None)
        Conversation.objects.filter(pk=target.pk).update(
            last_message_at=latest, last_inbound_at=inbound, updated_at=timezone.now()
        )
        Conversation.objects.filter(pk=source.pk).update(
            merged_into=target, status=ConversationStatus.RESOLVED, snoozed_until=None, updated_at=timezone.now()
        )
        activity_add(target, _("Merged %(n)s into this conversation") % {"n": source.number}, by=by)
        live.conversation_changed(target, "conversation.merged", {"merged": str(source.pk)})
        live.conversation_changed(source, "conversation.merged", {"into": str(target.pk)})
    return target


def conversation_start(
    *,
    channel_id: UUID,
    body: str,
    by: User,
    contact_id: UUID | None = None,
    name: str = "",
    email: str = "",
    phone: str = "",
    subject: str = "",
    metadata: dict | None = None,
) -> tuple[Conversation, Message]:
    """Staff start a conversation in one step: with a known contact (`contact_id`) or contact details (found by
    email / phone, else created), on `channel`, with the first message (sent as a reply). One transaction: a
    refused message (no address for the channel, WhatsApp outside the window without a template) leaves no
    contact and no conversation behind."""
    from .. import providers

    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise ValidationError({"channel": [_("No channel with this id.")]})
    if not channel.active:
        raise ValidationError({"channel": [_("The channel %(c)s is switched off.") % {"c": channel.name}]})
    with transaction.atomic():
        if contact_id is not None:
            contact = Contact.objects.live().filter(pk=contact_id).first()
            if contact is None:
                raise ValidationError({"contact": [_("No contact with this id.")]})
        else:
            if not (email or phone):
                raise ValidationError({"contact": [_("Give a contact id, or an email or phone number.")]})
            contact = contact_resolve(email=email, phone=phone, name=name)
        thread_key = providers.for_channel(channel).thread_for(contact)
        conversation, _created = conversation_for_thread(
            channel=channel, thread_key=thread_key, contact=contact, subject=subject, by=by
        )
        if conversation.status != ConversationStatus.OPEN:
            Conversation.objects.filter(pk=conversation.pk).update(
                status=ConversationStatus.OPEN, snoozed_until=None, resolved_at=None
            )
        message = reply_send(conversation_id=conversation.pk, author=by, body=body, metadata=metadata)
    conversation.refresh_from_db()
    return conversation, message
