"""Tickets in the staff console: the queues and the list (filters, full-text search, sorting, pages), saved views
and bulk actions. Every row, count and search goes through tickets.selectors (the user's visible tickets)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Least
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.vary import vary_on_headers

from omni.exceptions import DomainError, NotAllowed
from tickets import selectors, services
from tickets.choices import PRIORITY_RANK, SLAState, TicketPriority, TicketStatus

from ...htmx import wants_partial
from ..forms_tickets import SLA_STATES, BulkForm, SavedViewForm, TicketConsoleFilterSet, staff_choices, team_choices
from ..helpers import INVALID, add_service_errors, staff_view

PAGE_SIZE = 25
TEMPLATE = "staff/tickets/list.html"
PRIORITY_RANK = Case(
    *[When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANK.items()],
    default=Value(0),
    output_field=IntegerField(),
)
# Sort key -> the expressions it orders by (the primary key breaks ties, so pages never repeat or skip rows).
SORTS = {
    "number": "number",
    "subject": "subject",
    "status": "status",
    "priority": "priority_rank",
    "due": "next_due",  # the nearer of the two SLA dues; tickets without one last, either way
    "updated": "updated_at",
    "created": "created_at",
}
DEFAULT_SORT = "-updated"
SEARCH_SORT = "rank"  # with `q` and no sort chosen: best match first


def _ordering(params: QueryDict, searching: bool) -> tuple[str, list, str]:
    """(sort, order_by, error) for `?sort=key` or `?sort=-key`; `rank` only while searching."""
    sort = params.get("sort") or (SEARCH_SORT if searching else DEFAULT_SORT)
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if searching and key == SEARCH_SORT:
        return sort, [F("rank").asc() if descending else F("rank").desc(), "pk"], ""
    error = ""
    if key not in SORTS:
        keys = ", ".join([*SORTS, *([SEARCH_SORT] if searching else [])])
        error = _("Cannot sort by %(key)s; choose from %(keys)s.") % {"key": key, "keys": keys}
        sort, key, descending = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-"), True
    field = F(SORTS[key])
    return sort, [field.desc(nulls_last=True) if descending else field.asc(nulls_last=True), "pk"], error


def _queue(params: QueryDict) -> str:
    queue = params.get("queue") or "all"
    return queue if queue in selectors.TICKET_QUEUES else "all"


def console_context(request, params: QueryDict) -> tuple[dict, bool]:
    """The list page's context for these query parameters, and whether the filters and sort were valid. A fixed
    number of queries whatever the number of tickets: queue counts (one grouped query), saved views, the page's
    count and rows, the staff and team choices."""
    queue = _queue(params)
    base = (
        selectors.ticket_queue(user=request.user, queue=queue)
        .annotate(priority_rank=PRIORITY_RANK, next_due=Least("first_response_due", "resolution_due"))
        .defer("description", "search_vector", "notes_vector")  # rows show neither; vectors are large
    )
    filters = TicketConsoleFilterSet(params, queryset=base, request=request)
    searching = bool((params.get("q") or "").strip())
    sort, order_by, sort_error = _ordering(params, searching)
    valid = filters.is_valid() and not sort_error
    queryset = filters.qs.order_by(*order_by) if valid else base.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
    counts = selectors.ticket_queue_counts(user=request.user)
    query = params.copy()
    for name in ("page", "queue"):
        query.pop(name, None)
    context = {
        "filters": filters,
        "page": page,
        "sort": sort,
        "sort_error": sort_error,
        "searching": searching,
        "queue": queue,
        "queues": [(key, label, counts[key]) for key, label in selectors.TICKET_QUEUES.items()],
        "filter_query": query.urlencode(),
        "current_query": params.urlencode(),
        "saved_views": list(selectors.saved_view_list_for(user=request.user)),
        "staff": list(staff_choices()),
        "teams": list(team_choices()),
        "statuses": TicketStatus.choices,
        "priorities": TicketPriority.choices,
        "sla_states": SLA_STATES,
        "sla_labels": dict(SLAState.choices),
        "nav_tickets": True,
    }
    return context, valid


@staff_view("tickets.view_ticket")
@vary_on_headers("HX-Request")
def ticket_list(request):
    """The queues and the list; to htmx only the table (filters, sort, pages) or the whole console (a queue tab,
    `HX-Target: ticket-console`). Bad filters or sort: 400 (422 to htmx, which swaps the errors in)."""
    context, valid = console_context(request, request.GET)
    htmx = wants_partial(request)
    partial = "ticket-console" if request.headers.get("HX-Target") == "ticket-console" else "ticket-table"
    status = 200 if valid else (INVALID if htmx else 400)
    return render(request, f"{TEMPLATE}#{partial}" if htmx else TEMPLATE, context, status=status)


def _back(query: str):
    response = redirect("staff:ticket_list")
    response["Location"] += f"?{query}" if query else ""
    return response


@staff_view(["tickets.view_ticket", "tickets.add_savedview"], methods=("POST",))
def saved_view_create(request):
    """Save the list's current filters (the posted `query`) under a name; shared views every staff user sees. A
    bad or taken name: the list again with the form's errors (400)."""
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = services.saved_view_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                shared=form.cleaned_data["shared"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return _back(view.query)
    context, _valid = console_context(request, QueryDict(form.data.get("query", "")))
    return render(request, TEMPLATE, {**context, "saved_view_form": form}, status=400)


@staff_view(["tickets.view_ticket", "tickets.delete_savedview"], methods=("POST",))
def saved_view_delete(request, pk):
    """Delete one of the user's own views (403 for another's)."""
    try:
        services.saved_view_delete(view_id=pk, by=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, _("Saved view deleted."))
    return _back("")


def _run_bulk(request, form):
    data, ids, by = form.cleaned_data, form.cleaned_data["tickets"], request.user
    if data["action"] == "assign":
        return services.ticket_bulk_assign(
            ticket_ids=ids,
            by=by,
            assignee_id=data["assignee"].pk if data["assignee"] else None,
            team_id=data["team"].pk if data["team"] else None,
            unassign=data["unassign"],
        )
    if data["action"] == "status":
        return services.ticket_bulk_status(ticket_ids=ids, by=by, to=data["status"], resolution=data["resolution"])
    return services.ticket_bulk_tag(ticket_ids=ids, by=by, tag=data["tag"])


def _bulk_notice(result) -> tuple[str, list[tuple[str, str]]]:
    done = ngettext("%(n)d ticket changed.", "%(n)d tickets changed.", len(result.done)) % {"n": len(result.done)}
    return done, result.failed


@staff_view("tickets.change_ticket", methods=("POST",))
def ticket_bulk(request):
    """Assign, change the status of, or tag the ticked tickets, in one transaction; each ticket that is refused
    (an invalid transition, read-only access) is listed with the reason while the others change. The list comes
    back as it was filtered (`query`), to htmx as the console partial."""
    form = BulkForm(request.POST)
    query = request.POST.get("query", "")
    notice, failures, status = "", [], 200
    if form.is_valid():
        try:
            result = _run_bulk(request, form)
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
            status = INVALID
        else:
            notice, failures = _bulk_notice(result)
    else:
        status = INVALID
    if not wants_partial(request):
        if status == 200:
            messages.success(request, notice)
            for number, reason in failures:
                messages.error(request, f"{number}: {reason}")
            return _back(query)
        status = 400
    context, _valid = console_context(request, QueryDict(query))
    context |= {"bulk_form": form, "bulk_notice": notice, "bulk_failures": failures}
    template = f"{TEMPLATE}#ticket-console" if wants_partial(request) else TEMPLATE
    return render(request, template, context, status=status)
