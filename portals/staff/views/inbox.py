"""The inbox in the staff console (issue 11, part 3), after Chatwoot's: the list (views mine / unassigned / my teams
/ all with counts, filters by channel, label, status, team and text, three sorts, pages, the table refreshed by
htmx). The conversation page is in inbox_conversation.py, its canned-reply and @mention suggestions in
inbox_canned.py, its actions (reply, note, status, assignment, labels, priority, a ticket) in inbox_actions.py; the
permissions below (VIEW, CHANGE) are theirs too.

Every write goes through crm.services (tickets.services for the ticket); every staff user with
crm.view_conversation sees every conversation (one organisation per instance). The pages follow changes live:
static/js/inbox.js listens to the Server-Sent Events streams (LIVE_URL, the conversation's live URL) and refetches
the fragments (the list's table, one message, the header)."""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from crm import selectors
from crm.choices import ConversationStatus, MessageKind
from crm.models import Conversation, InboxTeam, Label, Message

from ...htmx import wants_partial
from ..forms_inbox_console import STATUS_ALL, VIEWS, InboxFilterForm
from ..helpers import INVALID, staff_view

PAGE_SIZE = 25


# The live streams and the typing endpoint (built beside this page, portals/staff/urls_inbox_live.py). The pages
# take them from the context so the URLs can move without touching the JS.
LIVE_URL = "/inbox/live/"


SORTS = {
    "newest": [F("last_message_at").desc(nulls_last=True), "-created_at", "pk"],
    "oldest": [F("last_message_at").asc(nulls_last=True), "created_at", "pk"],
    # The customer who wrote first and still waits: the oldest last customer message first.
    "waiting": [F("last_inbound_at").asc(nulls_last=True), "created_at", "pk"],
}

VIEW = "crm.view_conversation"
CHANGE = "crm.change_conversation"


# ---- the list ------------------------------------------------------------------------------------------------


def _view_q(view: str, user) -> Q | None:
    """The conversations of a view (None: every one)."""
    if view == "mine":
        return Q(assignee_id=user.pk)
    if view == "unassigned":
        return Q(assignee__isnull=True)
    if view == "teams":
        member = InboxTeam.members.through.objects.filter(inboxteam_id=OuterRef("team_id"), user_id=user.pk)
        return Q(Exists(member))
    return None


def _status_q(status: str) -> Q | None:
    return None if status == STATUS_ALL else Q(status=status)


def _both(*conditions: Q | None) -> Q | None:
    found = [c for c in conditions if c is not None]
    if not found:
        return None
    combined = found[0]
    for condition in found[1:]:
        combined &= condition
    return combined


def _search(queryset, text: str):
    """Each word must match the number, subject, the contact's name, email or phone, or a message's text."""
    for word in text.split()[:8]:
        said = Message.objects.filter(conversation=OuterRef("pk"), kind=MessageKind.MESSAGE, body__icontains=word)
        queryset = queryset.filter(
            Q(number__iexact=word)
            | Q(subject__icontains=word)
            | Q(contact__first_name__icontains=word)
            | Q(contact__last_name__icontains=word)
            | Q(contact__email__icontains=word)
            | Q(contact__phone__icontains=word)
            | Q(Exists(said))
        )
    return queryset


def _filtered(data: dict):
    """The live conversations matching the filters that are not the view or the status (the counts split those)."""
    queryset = selectors.conversations_live()
    if data.get("channel"):
        queryset = queryset.filter(channel=data["channel"])
    if data.get("team"):
        queryset = queryset.filter(team=data["team"])
    if data.get("label"):
        tagged = Conversation.labels.through.objects.filter(conversation_id=OuterRef("pk"), label=data["label"])
        queryset = queryset.filter(Exists(tagged))
    if data.get("q", "").strip():
        queryset = _search(queryset, data["q"])
    return queryset


def inbox_counts(queryset, user) -> dict[str, int]:
    """How many conversations each view holds in each status ("mine__open", "all__all", ...), in one grouped
    query."""
    statuses = [*ConversationStatus.values, STATUS_ALL]
    aggregates = {}
    for view, _label in VIEWS:
        for status in statuses:
            condition = _both(_view_q(view, user), _status_q(status))
            aggregates[f"{view}__{status}"] = Count("pk", filter=condition) if condition is not None else Count("pk")
    return queryset.aggregate(**aggregates)


def inbox_rows(queryset):
    """The list's rows: contact, channel, assignee and team joined; the last message's text and direction and the
    labels (name, colour) as subqueries, so a page is one query whatever its size."""
    last = Message.objects.filter(conversation=OuterRef("pk"), kind=MessageKind.MESSAGE).order_by("-created_at")
    labels = Label.objects.filter(conversations=OuterRef("pk")).order_by("name")
    return queryset.select_related("contact", "channel", "assignee", "team").annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_direction=Subquery(last.values("direction")[:1]),
        label_list=ArraySubquery(labels.values(json=JSONObject(name="name", colour="colour"))),
    )


@staff_view(VIEW)
@vary_on_headers("HX-Request")
def inbox_list(request):
    """The inbox list, or its table (#inbox-table) to htmx (the filters, the live refresh). Bad filters: 400 (422
    to htmx) with the form's errors and no rows."""
    form = InboxFilterForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {"view": "all", "status": ConversationStatus.OPEN, "sort": "newest"}
    base = _filtered(data) if valid else selectors.conversations_live().none()
    counts = inbox_counts(base, request.user)
    rows = base
    condition = _both(_view_q(data["view"], request.user), _status_q(data["status"]))
    if condition is not None:
        rows = rows.filter(condition)
    rows = inbox_rows(rows).order_by(*SORTS[data["sort"]])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "data": data,
        "page": page,
        "counts": counts,
        "views": [(key, label, counts[f"{key}__{data['status']}"]) for key, label in VIEWS],
        "statuses": [
            (key, label, counts[f"{data['view']}__{key}"])
            for key, label in [*ConversationStatus.choices, (STATUS_ALL, _("All"))]
        ],
        "live_url": LIVE_URL,
        "today": timezone.localdate().isoformat(),
        "nav_inbox": True,
    }
    htmx = wants_partial(request)
    status = 200 if valid else (INVALID if htmx else 400)
    template = "staff/inbox/list.html" + ("#inbox-table" if htmx else "")
    return render(request, template, context, status=status)
