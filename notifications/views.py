"""Public pages of notifications: the unsubscribe link in emails (works without signing in)."""

from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import registry, selectors, services
from .choices import Channel

# What a POST may ask; anything else (RFC 8058's `List-Unsubscribe=One-Click` body included) is "this event".
SCOPES = {"event", "all", "resubscribe", "resubscribe_all"}


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
        scope = scope if scope in SCOPES else "event"
        try:
            if scope.startswith("resubscribe"):
                keys = [event.key, "*"] if scope == "resubscribe_all" else [event.key]
                for key in keys:
                    services.preference_set(recipient_key=recipient_key, event=key, channel=Channel.EMAIL, enabled=True)
            else:
                key = "*" if scope == "all" else event.key
                services.preference_set(recipient_key=recipient_key, event=key, channel=Channel.EMAIL, enabled=False)
        except ValidationError:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
        context["done"] = scope
    return render(request, "notifications/unsubscribe.html", context)
