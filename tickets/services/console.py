"""Writes of the staff console: saved views of the ticket list, bulk actions on selected tickets, and macros. Each
goes through the desk services (ticket_update, ticket_transition, reply_post), so their checks, history
and events hold here too."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from omni.db import violated_constraint
from omni.exceptions import DomainError, NotAllowed
from omni.models import User

from .. import selectors
from ..models import SAVED_VIEW_UNIQUE, Macro, SavedView, Ticket
from .desk import ticket_transition, ticket_update
from .replies import reply_post

__all__ = [
    "BulkResult",
    "macro_run",
    "saved_view_create",
    "saved_view_delete",
    "ticket_bulk_assign",
    "ticket_bulk_status",
    "ticket_bulk_tag",
]

BULK_LIMIT = 500  # one request's selection: row locks for this many tickets are cheap; more is a mistake


# ---- saved views ---------------------------------------------------------------------------------------------


@transaction.atomic
def saved_view_create(*, owner: User, name: str, query: str, shared: bool = False) -> SavedView:
    """Save the list's filters (its query string, without the page) under a name of the owner's. 400 naming
    `name` when the owner already has a view of that name, also under a race."""
    query = "&".join(part for part in query.lstrip("?").split("&") if part and not part.startswith("page="))
    view = SavedView(owner=owner, name=name.strip(), query=query, shared=shared)
    view.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as exc:
        if violated_constraint(exc) == SAVED_VIEW_UNIQUE:
            raise ValidationError({"name": [_("You already have a view with this name.")]}) from None
        raise
    return view


@transaction.atomic
def saved_view_delete(*, view_id: UUID, by: User) -> None:
    """Delete one of the user's own views (403 for another's, shared or not). Idempotent when already gone."""
    view = SavedView.objects.select_for_update().filter(pk=view_id).first()
    if view is None:
        return
    if view.owner_id != by.pk:
        raise NotAllowed(_("Only its owner can delete a saved view."))
    view.delete()


# ---- bulk actions --------------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk action did: the numbers of the tickets it changed and, per ticket that failed, why."""

    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _error_text(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in exc.message_dict.items())
    return " ".join(exc.messages)


def _bulk(ticket_ids: Iterable[UUID], by: User, change: Callable[[Ticket], None]) -> BulkResult:
    """Run `change` on each ticket the user may read among `ticket_ids`, in one transaction: the rows are locked
    first (in primary key order, so two bulk actions cannot deadlock), each change runs in a savepoint, and a
    ticket whose change is refused is reported and left as it was while the others are kept."""
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise ValidationError({"tickets": [_("Select at least one ticket.")]})
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"tickets": [_("Select at most %(n)d tickets.") % {"n": BULK_LIMIT}]})
    visible = selectors.ticket_list_visible_to(user=by).filter(pk__in=ids).values("pk")
    tickets = list(
        Ticket.objects.filter(pk__in=visible).order_by("pk").select_for_update().only("pk", "number", "tags")
    )
    result = BulkResult()
    for ticket in sorted(tickets, key=lambda row: row.number):
        try:
            with transaction.atomic():
                change(ticket)
        except (ValidationError, DomainError) as exc:
            result.failed.append((ticket.number, _error_text(exc)))
        else:
            result.done.append(ticket.number)
    missing = len(ids) - len(tickets)
    if missing:
        result.failed.append(("—", _("%(n)d selected ticket(s) not found.") % {"n": missing}))
    return result


@transaction.atomic
def ticket_bulk_assign(
    *,
    ticket_ids: Iterable[UUID],
    by: User,
    assignee_id: UUID | None = None,
    team_id: UUID | None = None,
    unassign: bool = False,
) -> BulkResult:
    """Give the selected tickets an assignee and/or a team (or take the assignee away with `unassign`), each
    through ticket_update (403 for read-only access is reported per ticket). 400 naming `assignee` when nothing
    is given."""
    fields: dict = {}
    if assignee_id or unassign:
        fields["assignee_id"] = None if unassign else assignee_id
    if team_id:
        fields["team_id"] = team_id
    if not fields:
        raise ValidationError({"assignee": [_("Choose an assignee or a team.")]})
    return _bulk(ticket_ids, by, lambda ticket: ticket_update(ticket_id=ticket.pk, by=by, **fields))


@transaction.atomic
def ticket_bulk_status(*, ticket_ids: Iterable[UUID], by: User, to: str, resolution: str = "") -> BulkResult:
    """Move the selected tickets to `to` through ticket_transition, one by one in one transaction; the ones the
    transition table refuses (409), or that need a resolution note, are reported with the reason."""
    return _bulk(
        ticket_ids, by, lambda ticket: ticket_transition(ticket_id=ticket.pk, to=to, by=by, resolution=resolution)
    )


@transaction.atomic
def ticket_bulk_tag(*, ticket_ids: Iterable[UUID], by: User, tag: str) -> BulkResult:
    """Add a tag to the selected tickets (through ticket_update: cleaned, lower-cased, no duplicates)."""
    if not tag.strip():
        raise ValidationError({"tag": [_("This field may not be blank.")]})
    return _bulk(
        ticket_ids, by, lambda ticket: ticket_update(ticket_id=ticket.pk, by=by, tags=[*ticket.tags, tag.strip()])
    )


# ---- macros --------------------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"{{\s*([a-z_]+)\.([a-z_]+)\s*}}")


def macro_text(body: str, *, ticket: Ticket, by: User) -> str:
    """The macro's text with its placeholders filled: {{ ticket.number }}, {{ ticket.subject }},
    {{ contact.name }}, {{ account.name }}, {{ agent.name }}; an unknown one stays as written."""
    values = {
        ("ticket", "number"): ticket.number,
        ("ticket", "subject"): ticket.subject,
        ("contact", "name"): ticket.contact.full_name if ticket.contact_id else "",
        ("account", "name"): ticket.account.name,
        ("agent", "name"): by.get_full_name() or by.email,
    }
    return PLACEHOLDER.sub(lambda match: str(values.get((match[1], match[2]), match[0])), body)


@transaction.atomic
def macro_run(*, macro_id: UUID, ticket_id: UUID, by: User) -> Ticket:
    """Apply a macro to a ticket in one transaction, through the desk services: the assignment, priority and
    tags first, then the reply or note, then the status (a resolving macro's text is the resolution note). Any
    refusal (read-only access 403, an invalid transition 409, ...) undoes all of it. 400 naming `macro` for an
    inactive or unknown macro."""
    macro = Macro.objects.filter(pk=macro_id, active=True).first()
    if macro is None:
        raise ValidationError({"macro": [_("This macro does not exist or is inactive.")]})
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("account", "contact").get(pk=ticket_id)
    fields: dict = {}
    if macro.priority:
        fields["priority"] = macro.priority
    if macro.team_id:
        fields["team_id"] = macro.team_id
    if macro.assign_to_self or macro.assignee_id:
        fields["assignee_id"] = by.pk if macro.assign_to_self else macro.assignee_id
    if macro.tags:
        fields["tags"] = [*ticket.tags, *macro.tags]
    if fields:
        ticket_update(ticket_id=ticket.pk, by=by, **fields)
    text = macro_text(macro.body, ticket=ticket, by=by).strip()
    if text:
        reply_post(ticket_id=ticket.pk, author=by, body=text, public=macro.public)
    if macro.status:
        ticket_transition(ticket_id=ticket.pk, to=macro.status, by=by, resolution=text or macro.name)
    return Ticket.objects.get(pk=ticket.pk)
