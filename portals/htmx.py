"""htmx helpers shared by every portal's views."""


def wants_partial(request) -> bool:
    """htmx asked for a region of the page: not a boosted navigation, not a history restore (full page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request
