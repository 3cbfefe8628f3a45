"""Small pieces every staff console view shares: list pages (filters, sorting, pages), service errors onto forms,
delete and restore."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Page, Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from omni.auth import audience_required
from omni.exceptions import DomainError

from ..htmx import wants_partial

INVALID = 422  # an invalid form answered to htmx: the layouts' htmx-config swaps 422 in


def ordering(request, columns: dict[str, list[str]], default: str) -> tuple[str, list[str], str]:
    """`?sort=name` or `?sort=-name` among `columns` (sort key -> model fields). Returns (sort, order_by, error);
    the primary key breaks ties so pages never repeat or skip rows."""
    sort = request.GET.get("sort") or default
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    error = ""
    if key not in columns:
        error = _("Cannot sort by %(key)s; choose from %(keys)s.") % {"key": key, "keys": ", ".join(columns)}
        sort, key, descending = default, default.removeprefix("-"), default.startswith("-")
    fields = [f"-{field}" if descending else field for field in columns[key]]
    return sort, [*fields, "pk"], error


def staff_view(permission: str | list[str], methods: tuple[str, ...] = ("GET",)):
    """A staff console view: the HTTP `methods` only (405), staff only (audience_required), and the `permission`
    (a name or a list of names, all needed: 403 without)."""

    def decorate(view):
        view = audience_required(permission_required(permission, raise_exception=True)(view))
        return require_http_methods(list(methods))(view)

    return decorate


def list_view(permission: str):
    """A list page's view: a staff_view (GET) whose answer varies on HX-Request (the whole page, or its table to
    htmx)."""

    def decorate(view):
        return staff_view(permission)(vary_on_headers("HX-Request")(view))

    return decorate


@dataclass
class Listing:
    """One page of a filtered, sorted list (list_page); `valid` is false when the filters or the sort are bad."""

    filters: object  # a django-filter FilterSet
    page: Page
    sort: str
    sort_error: str
    valid: bool


def list_page(request, filters, sorts: dict[str, list[str]], default_sort: str, page_size: int) -> Listing:
    """The `?page=` of `filters` (a bound FilterSet over the user's visible rows) sorted by `?sort=` among `sorts`;
    no rows when the filters or the sort are bad."""
    sort, order_by, sort_error = ordering(request, sorts, default_sort)
    valid = filters.is_valid() and not sort_error
    queryset = filters.qs.order_by(*order_by) if valid else filters.queryset.none()
    page = Paginator(queryset, page_size).get_page(request.GET.get("page"))
    return Listing(filters, page, sort, sort_error, valid)


def render_list(request, template: str, partial: str, listing: Listing, context: dict):
    """A list page, or only its `partial` (a partialdef: the table) to htmx; bad filters or sort answer 400 (422
    to htmx, so it swaps the errors in)."""
    htmx = wants_partial(request)
    context = {
        "filters": listing.filters,
        "page": listing.page,
        "sort": listing.sort,
        "sort_error": listing.sort_error,
        **context,
    }
    status = 200 if listing.valid else (INVALID if htmx else 400)
    return render(request, f"{template}#{partial}" if htmx else template, context, status=status)


def render_form(request, template: str, form, context: dict):
    """A form page: 422 while the form has errors (htmx swaps it in), else 200."""
    return render(request, template, {"form": form, **context}, status=INVALID if form.errors else 200)


def add_service_errors(form, exc: ValidationError | DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's error on the form: each field it names (or its alias, e.g. location -> latitude) gets
    the message; names the form lacks become form-wide errors prefixed with the field."""
    aliases = aliases or {}
    if isinstance(exc, DomainError):
        named = [aliases.get(name, name) for name in exc.fields] or [NON_FIELD_ERRORS]
        # DomainError.fields may hold codes ("exists"); the message is the readable part.
        errors = {named[0]: [exc.message]}
    elif hasattr(exc, "error_dict"):
        errors = {aliases.get(name, name): texts for name, texts in exc.message_dict.items()}
    else:
        errors = {NON_FIELD_ERRORS: exc.messages}
    for name, texts in errors.items():
        for message in texts:
            if name == NON_FIELD_ERRORS or name in form.fields:
                form.add_error(None if name == NON_FIELD_ERRORS else name, message)
            else:
                form.add_error(None, f"{name}: {message}")


DELETED = gettext_lazy("%(kind)s %(label)s deleted. You can restore it here.")
RESTORED = gettext_lazy("%(kind)s %(label)s restored.")


def soft_delete_views(model, visible, delete, restore, *, label: str, id_kwarg: str = "", detail: str = ""):
    """The delete and restore views (POST) of a restorable record: the record through `visible(request)` (the
    user's selector: 404 outside it) and the `<app>.delete_<model>` permission (403), then the app's service
    (`delete` or `restore`, called with `<model>_id=` and `by=`: its checks, history and events), a message naming
    the record by its `label` attribute, and back to its page (`staff:<model>_detail`). A refusal (a merged contact
    stays deleted) comes back as an error message on that page."""
    meta = model._meta
    permission = f"{meta.app_label}.delete_{meta.model_name}"
    id_kwarg, detail = id_kwarg or f"{meta.model_name}_id", detail or f"staff:{meta.model_name}_detail"

    def view(service, done):
        @require_POST
        @audience_required
        @permission_required(permission, raise_exception=True)
        def answer(request, pk):
            record = get_object_or_404(visible(request), pk=pk)
            try:
                service(**{id_kwarg: record.pk}, by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, done % {"kind": capfirst(meta.verbose_name), "label": getattr(record, label)})
            return redirect(detail, pk=record.pk)

        answer.__name__ = answer.__qualname__ = service.__name__
        return answer

    return view(delete, DELETED), view(restore, RESTORED)
