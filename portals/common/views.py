"""Pages every host serves under /notifications/ (omni/urls_common.py): the in-app inbox of each portal (the bell
in layouts/base.html: count, panel; and the full list) and the unsubscribe link in emails.

Inbox: each user sees only their own notifications; another user's id is a 404. The bell's pieces are htmx
fragments: the count loads with the page and every 30 s, the panel when it opens; marking read answers the
region that asked (HX-Target). Answers that show an unread count trigger `bell-changed`, which refreshes the badge.

Unsubscribe: works without signing in; the signed token is the proof.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import registry, selectors, services
from notifications.models import Notification
from omni.api.pagination import cursor_page
from omni.auth import audience_required, belongs_here

PAGE_SIZE = 20
PANEL_SIZE = 8
BELL_CHANGED = "bell-changed"  # htmx event: the count badge reloads (hx-trigger "... from:body")
PANEL_TARGET = "bell-panel"


def _signed_in(view):
    """Like omni.auth.audience_required, but an htmx request of an anonymous user (a session that expired while
    the page was open) gets a bare 401, which static/js/app.js reports ("You have been signed out"), instead of
    a login page swapped into the bell; a background poll never takes the page away to the login."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                return HttpResponse(status=401)
            return redirect_to_login(reverse("notifications:inbox"))
        if not belongs_here(request.user, request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _unread(request) -> int:
    return selectors.notification_unread_count(user=request.user)


def _list_context(request) -> dict:
    """The full list's page: ?unread=1 shows unread only; paged by cursor (?cursor=), newest first, no count."""
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.notification_list_of(user=request.user, unread=unread_only)
    page = cursor_page(rows, request, page_size=PAGE_SIZE)
    return {"page": page, "unread_only": unread_only, "unread": _unread(request)}


def _query(request) -> str:
    kept = {key: request.GET[key] for key in ("unread", "cursor") if request.GET.get(key)}
    return f"?{urlencode(kept)}" if kept else ""


@require_GET
@never_cache
@_signed_in
def bell_count(request):
    """The unread badge, with the bell button's accessible name."""
    return render(request, "components/bell_count.html", {"unread": _unread(request)})


@require_GET
@never_cache
@_signed_in
def bell_panel(request):
    return _panel(request)


def _panel(request):
    notifications = list(selectors.notification_list_of(user=request.user).order_by("-created_at", "-pk")[:PANEL_SIZE])
    context = {"notifications": notifications, "unread": _unread(request)}
    response = render(request, "components/bell_panel.html", context)
    response["HX-Trigger"] = BELL_CHANGED  # the badge follows what the panel shows
    return response


def _after_write(request):
    """The answer to a mark-read: the bell's panel, or the list page's region, or (no htmx) a redirect."""
    if not request.htmx:
        return redirect(reverse("notifications:inbox") + _query(request))
    if request.htmx.target == PANEL_TARGET:
        return _panel(request)
    response = render(request, "notifications/inbox.html#inbox-list", _list_context(request))
    response["HX-Trigger"] = BELL_CHANGED
    return response


@require_POST
@_signed_in
def mark_read(request, pk):
    try:
        services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return _after_write(request)


@require_POST
@_signed_in
def mark_all_read(request):
    services.notifications_mark_all_read(user=request.user)
    return _after_write(request)


@require_GET
@_signed_in
def open_notification(request, pk):
    """Follow a notification's link: marks it read, then goes to its URL when it is on this host (an address
    elsewhere, or none, lands on the list instead: no open redirect)."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return redirect(url)
    return redirect("notifications:inbox")


@require_GET
@vary_on_headers("HX-Request")
@audience_required
def inbox(request):
    """Every notification of the user, newest first, paginated; htmx page changes answer the list region."""
    partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    template = "notifications/inbox.html" + ("#inbox-list" if partial else "")
    return render(request, template, _list_context(request))


# ---- unsubscribe --------------------------------------------------------------------------------------------------

# What a POST may ask; anything else (RFC 8058's `List-Unsubscribe=One-Click` body included) is "this event".


@never_cache
@csrf_exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks to confirm (link scanners must not unsubscribe anyone); POST opts the person out of this
    event's emails (`scope=all`: of every email they may leave; `scope=resubscribe` and `resubscribe_all` undo those).
    Service-critical events cannot be switched off."""
    try:
        recipient_key, event_key = selectors.unsubscribe_token_read(token)
        event = registry.get(event_key)
    except (signing.BadSignature, LookupError, KeyError, TypeError):
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    context = {"event": event, "done": "", "mandatory": event.mandatory}
    if request.method == "POST" and not event.mandatory:
        scope = request.POST.get("scope", "event")
        scope = scope if scope in services.UNSUBSCRIBE_SCOPES else "event"
        try:
            services.email_unsubscribe(recipient_key=recipient_key, event=event.key, scope=scope)
        except ValidationError:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
        context["done"] = scope
    return render(request, "notifications/unsubscribe.html", context)
