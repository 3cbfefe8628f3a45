"""Public pages of notifications: the unsubscribe link in emails (works without signing in)."""

from django.core import signing
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import registry, services
from .choices import Channel


@csrf_exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks to confirm (link scanners must not unsubscribe anyone); POST opts the person out of this
    event's emails. Service-critical events cannot be switched off."""
    try:
        recipient_key, event_key = services.unsubscribe_token_read(token)
        event = registry.get(event_key)
    except (signing.BadSignature, LookupError, KeyError, TypeError):
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    context = {"event": event, "done": False, "mandatory": event.mandatory}
    if request.method == "POST" and not event.mandatory:
        services.preference_set(recipient_key=recipient_key, event=event.key, channel=Channel.EMAIL, enabled=False)
        context["done"] = True
    context["title"] = _("Email preferences")
    return render(request, "notifications/unsubscribe.html", context)
