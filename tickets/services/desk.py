"""Writes to teams, tickets and comments. Every status move goes through ticket_transition (one table of allowed
moves, choices.TICKET_TRANSITIONS); every write records its event in the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from crm.models import Account, Contact
from omni.choices import Audience
from omni.db import violated_constraint
from omni.exceptions import Conflict, InvalidTransition, NotAllowed
from omni.models import User
from omni.services import fields_set, soft_delete, soft_restore, tags_clean

from .. import events, selectors
from ..choices import TICKET_TRANSITIONS, TeamAccess, TicketStatus
from ..models import TEAM_NAME_UNIQUE, Team, Ticket, TicketComment, TicketStatusChange
from ..models.desk import TEAM_FULL, TEAM_READ
from . import sla

__all__ = [
    "comment_add",
    "team_access_set",
    "team_create",
    "team_members_set",
    "team_update",
    "ticket_create",
    "ticket_delete",
    "ticket_restore",
    "ticket_transition",
    "ticket_update",
]


def staff_users(user_ids: Iterable[UUID], field: str) -> list[User]:
    """These users, all active staff, or a 400 naming `field` (assignees, watchers, members, mentions)."""
    ids = set(user_ids)
    users = list(User.objects.filter(pk__in=ids, audience=Audience.STAFF, is_active=True))
    if len(users) != len(ids):
        raise ValidationError({field: [_("Only active staff users can be chosen.")]})
    return users


# ---- teams ---------------------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, name: str, description: str = "", active: bool = True, by: User | None = None) -> Team:
    """A team (queue). 400 naming `name` when another team has that name, also under a race."""
    team = Team(name=name.strip(), description=description, active=active)
    team.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        if violated_constraint(exc) == TEAM_NAME_UNIQUE:
            raise ValidationError({"name": [_("A team with this name exists.")]}) from None
        raise
    return team


@transaction.atomic
def team_update(*, team_id: UUID, by: User | None = None, **fields) -> Team:
    """Change a team's name, description or active flag. Locks the row; 400 naming `name` for a taken name."""
    team = Team.objects.select_for_update().get(pk=team_id)
    if fields_set(team, fields):
        team.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError as exc:
            if violated_constraint(exc) == TEAM_NAME_UNIQUE:
                raise ValidationError({"name": [_("A team with this name exists.")]}) from None
            raise
    return team


@transaction.atomic
def team_members_set(*, team_id: UUID, user_ids: Iterable[UUID], by: User | None = None) -> Team:
    """Make the team's members exactly these staff users (400 naming `members` for anyone else). Locks the team."""
    team = Team.objects.select_for_update().get(pk=team_id)
    team.members.set(staff_users(user_ids, "members"))
    return team


@transaction.atomic
def team_access_set(*, team_id: UUID, user_id: UUID, access: str, by: User | None = None) -> None:
    """What a staff user who is not a member may do with the team's tickets: a guardian object permission
    (TEAM_READ or TEAM_FULL) replacing the one they had; `none` removes it. Idempotent."""
    if access not in TeamAccess.values:
        raise ValidationError({"access": [_("Unknown access %(a)s.") % {"a": access}]})
    team = Team.objects.select_for_update().get(pk=team_id)
    [user] = staff_users([user_id], "user")
    for codename in (TEAM_READ, TEAM_FULL):
        remove_perm(f"tickets.{codename}", user, team)
    granted = {TeamAccess.FULL: TEAM_FULL, TeamAccess.READ: TEAM_READ}.get(access)
    if granted:
        assign_perm(f"tickets.{granted}", user, team)


# ---- tickets -------------------------------------------------------------------------------------------------


def _check_links(ticket: Ticket) -> None:
    """Rules across rows: the contact belongs to the account; the assignee is active staff; the team is active."""
    if (
        ticket.contact_id
        and not Contact.objects.live()
        .filter(pk=ticket.contact_id, account_links__account_id=ticket.account_id)
        .exists()
    ):
        raise ValidationError({"contact": [_("This contact is not linked to the ticket's account.")]})
    if ticket.assignee_id:
        staff_users([ticket.assignee_id], "assignee")
    if ticket.team_id and not Team.objects.filter(pk=ticket.team_id, active=True).exists():
        raise ValidationError({"team": [_("This team is inactive or does not exist.")]})
    if ticket.parent_id and ticket.parent_id == ticket.pk:
        raise ValidationError({"parent": [_("A ticket cannot be its own master ticket.")]})


def _require_work(user: User | None, ticket: Ticket) -> None:
    """Staff with read-only access to the ticket's team may not change it (403); portal users and the system
    (None) are checked by their selectors and callers."""
    if user is not None and user.audience == Audience.STAFF and not selectors.ticket_can_work(user=user, ticket=ticket):
        raise NotAllowed(_("You have read-only access to this team's tickets."))


@transaction.atomic
def ticket_create(
    *, account_id: UUID, subject: str, by: User | None = None, watcher_ids: Iterable[UUID] = (), **fields
) -> Ticket:
    """Open a ticket (number from a sequence, status new). ValidationError keyed by field."""
    if not Account.objects.live().filter(pk=account_id).exists():
        raise ValidationError({"account": [_("No such account: %(id)s.") % {"id": account_id}]})
    fields["tags"] = tags_clean(fields.get("tags"))
    ticket = Ticket(account_id=account_id, subject=subject)
    fields_set(ticket, fields)  # 400 naming a field that cannot be set
    ticket.full_clean(exclude=["number", "account", "contact", "team", "assignee", "parent", "follow_up_of"])
    _check_links(ticket)
    ticket.save()
    if watcher_ids:
        ticket.watchers.set(staff_users(watcher_ids, "watchers"))
    sla.sla_start(ticket=ticket, now=ticket.created_at)
    events.ticket_changed("created", ticket.pk, by_id=by.pk if by else None)
    return ticket


@transaction.atomic
def ticket_update(
    *, ticket_id: UUID, by: User | None = None, watcher_ids: Iterable[UUID] | None = None, **fields
) -> Ticket:
    """Change a ticket's fields (`watcher_ids`, when given, replaces the watchers); `status` (and `resolution`) go
    through ticket_transition. Locks the row; saving unchanged values writes nothing. 403 for staff with read-only
    access to the team."""
    status, resolution = fields.pop("status", None), fields.pop("resolution", "")
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    _require_work(by, ticket)
    if "tags" in fields:
        fields["tags"] = tags_clean(fields["tags"])
    changed = fields_set(ticket, fields)
    if changed:
        ticket.full_clean(exclude=["number"])
        _check_links(ticket)
        ticket.save()
    if watcher_ids is not None:
        ticket.watchers.set(staff_users(watcher_ids, "watchers"))
    if sla.POLICY_FIELDS.intersection(changed):
        sla.sla_retarget(ticket=ticket, now=timezone.now())
    if changed:
        events.ticket_changed("updated", ticket.pk, by_id=by.pk if by else None)
    if status is not None:
        ticket = ticket_transition(ticket_id=ticket.pk, to=status, by=by, resolution=resolution)
    return ticket


def _status_label(value: str) -> str:
    return str(TicketStatus(value).label) if value in TicketStatus.values else value


@transaction.atomic
def ticket_transition(*, ticket_id: UUID, to: str, by: User | None = None, resolution: str = "") -> Ticket:
    """Move a ticket to `to`; locks the row (two concurrent moves run one after the other, the second sees the
    first's status). The same status is a no-op. InvalidTransition (409) naming both statuses when the table does
    not allow the move; resolving needs a resolution note (400 naming `resolution`)."""
    if to not in TicketStatus.values:
        raise ValidationError({"status": [_("Unknown status %(s)s.") % {"s": to}]})
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    _require_work(by, ticket)
    if ticket.status == to:
        return ticket  # double clicks and retried requests change nothing
    if to not in TICKET_TRANSITIONS[ticket.status]:
        msg = _("A %(old)s ticket cannot become %(new)s.") % {
            "old": _status_label(ticket.status),
            "new": _status_label(to),
        }
        raise InvalidTransition(msg, fields={"status": [msg]})
    now, old = timezone.now(), ticket.status
    if to == TicketStatus.RESOLVED:
        if not resolution.strip():
            raise ValidationError({"resolution": [_("Resolving needs a resolution note.")]})
        ticket.resolution, ticket.resolved_at = resolution.strip(), now
    elif to == TicketStatus.CLOSED:
        ticket.closed_at = now
    else:
        ticket.resolved_at = None  # reopened (or moved on before resolving): no longer resolved
    ticket.status, ticket.status_changed_at, ticket.reminded_at = to, now, None
    ticket.save(
        update_fields=[
            "status",
            "status_changed_at",
            "reminded_at",
            "resolution",
            "resolved_at",
            "closed_at",
            "updated_at",
        ]
    )
    TicketStatusChange.objects.create(ticket=ticket, old=old, new=to, by=by, note=resolution.strip())
    sla.sla_on_status(ticket=ticket, old=old, new=to, now=now)
    events.ticket_status_changed(ticket.pk, old=old, new=to, by_id=by.pk if by else None)
    return ticket


def ticket_delete(*, ticket_id: UUID, by: User | None = None) -> Ticket:
    """Soft delete (restorable): the ticket leaves every list, queue and portal. Idempotent."""
    return soft_delete(Ticket, pk=ticket_id, by=by, on_change=lambda row: events.ticket_changed("updated", row.pk))


def ticket_restore(*, ticket_id: UUID, by: User | None = None) -> Ticket:
    """Bring a deleted ticket back. Idempotent."""
    return soft_restore(Ticket, pk=ticket_id, by=by, on_change=lambda row: events.ticket_changed("updated", row.pk))


# ---- comments ------------------------------------------------------------------------------------------------

# A customer's reply moves these back to open: the ball is in the team's court again.
REOPENED_BY_CUSTOMER = {TicketStatus.RESOLVED, TicketStatus.PENDING_CUSTOMER}


@transaction.atomic
def comment_add(*, ticket_id: UUID, author: User, body: str, public: bool = True) -> TicketComment:
    """A public reply or (staff only) an internal note. Locks the ticket. The first public staff reply sets
    first_response_at; a customer's (or reseller's) reply reopens a resolved or pending ticket. Closed tickets take
    no comments (409: open a follow-up). Portal users may not write internal notes (400 naming `public`)."""
    if not body.strip():
        raise ValidationError({"body": [_("This field may not be blank.")]})
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    staff = author.audience == Audience.STAFF
    if not staff and not public:
        raise ValidationError({"public": [_("Portal users can only post public replies.")]})
    if staff:
        _require_work(author, ticket)
    if ticket.status == TicketStatus.CLOSED:
        msg = _("A closed ticket takes no comments: open a follow-up ticket.")
        raise Conflict(msg, fields={"status": [msg]})
    comment = TicketComment(ticket=ticket, author=author, body=body.strip(), public=public)
    comment.full_clean()
    comment.save()
    if staff and public and ticket.first_response_at is None:
        ticket.first_response_at = comment.created_at
        ticket.save(update_fields=["first_response_at", "updated_at"])
    events.comment_created(comment.pk, by_id=author.pk)
    if not staff and ticket.status in REOPENED_BY_CUSTOMER:
        ticket = ticket_transition(ticket_id=ticket.pk, to=TicketStatus.OPEN, by=author)
    sla.sla_on_comment(ticket=ticket, staff=staff, public=public, now=comment.created_at)
    return comment
