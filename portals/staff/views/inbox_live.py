"""Live streams of the staff inbox (issue 11): Server-Sent Events relaying crm.live's Redis topics (omni.sse), and
the typing indicator agents send while they write. Served by the `live` process (ASGI) in production; the pages
open them at the live base URL ({{ live_base }}, omni.context_processors), with their cookies."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from crm import live, selectors
from omni import sse

from ..helpers import staff_view

TYPING_STATES = ("typing", "replying", "idle")


def _stream(request, topics):
    response = sse.stream(request, [live.topic(name) for name in topics])
    sse.cors_allow_credentials(request, response)
    return response


@staff_view("crm.view_conversation")
def inbox_live(request):
    """Every change an inbox list shows: new conversations and messages, assignments, statuses, labels."""
    return _stream(request, ["inbox"])


@staff_view("crm.view_conversation")
def conversation_live(request, pk):
    """One conversation's changes, with the other agents' typing indicators."""
    conversation = get_object_or_404(selectors.conversations_live(), pk=pk)
    return _stream(request, [f"conversation:{conversation.pk}"])


@staff_view("crm.view_conversation", methods=("POST",))
def conversation_typing(request, pk):
    """`state` typing, replying (writing a reply) or idle, published at once to the conversation's watchers. The
    page sends it throttled (static/js/inbox_live.js, `typingNotifier`)."""
    state = request.POST.get("state", "typing")
    if state not in TYPING_STATES:
        fields = {"state": [_("Choose typing, replying or idle.")]}
        return JsonResponse({"code": "invalid", "detail": fields["state"][0], "fields": fields}, status=400)
    conversation = get_object_or_404(selectors.conversations_live().only("pk"), pk=pk)
    user = request.user
    data = {
        "conversation": str(conversation.pk),
        "user": str(user.pk),
        "name": user.get_full_name() or user.email,
        "state": state,
    }
    live.publish_now([f"conversation:{conversation.pk}"], "typing", data)
    return HttpResponse(status=204)
