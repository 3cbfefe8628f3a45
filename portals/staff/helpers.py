"""Small pieces every staff console view shares: partial rendering, sorting, service errors onto forms."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from omni.exceptions import DomainError

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


def add_service_errors(form, exc: ValidationError | DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's error on the form: each field it names (or its alias, e.g. location -> latitude) gets
    the message; names the form lacks become form-wide errors prefixed with the field."""
    aliases = aliases or {}
    if isinstance(exc, DomainError):
        named = [aliases.get(name, name) for name in exc.fields] or [NON_FIELD_ERRORS]
        # DomainError.fields may hold codes ("exists"); the message is the readable part.
        errors = {named[0]: [exc.message]}
    elif hasattr(exc, "error_dict"):
        errors = {aliases.get(name, name): messages for name, messages in exc.message_dict.items()}
    else:
        errors = {NON_FIELD_ERRORS: exc.messages}
    for name, messages in errors.items():
        for message in messages:
            if name == NON_FIELD_ERRORS or name in form.fields:
                form.add_error(None if name == NON_FIELD_ERRORS else name, message)
            else:
                form.add_error(None, f"{name}: {message}")
