"""Suggestions in the staff inbox's composer (issue 11, part 3): canned replies by `/shortcode`, filled with the
conversation's placeholders (`canned_fill`: `{{ contact.first_name }}`, `{{ account.name|default:"..." }}`...), and
colleagues for a private note's `@name` mentions. Both answer JSON."""

from __future__ import annotations

import re

from django.db.models import Q
from django.http import JsonResponse

from crm.models import CannedReply, Conversation
from omni.choices import Audience
from omni.models import User

from ..helpers import staff_view
from .inbox import VIEW
from .inbox_conversation import _conversation, inbox_agents

CANNED_LIMIT = 8


# `{{ contact.first_name }}` or `{{ account.name|default:"your area" }}`: the only syntax canned replies take.
PLACEHOLDER = re.compile(r"""\{\{\s*(\w+)\.(\w+)\s*(?:\|\s*default\s*:\s*(["'])(.*?)\3\s*)?\}\}""")


def _placeholders(conversation: Conversation, user) -> dict[str, dict[str, str]]:
    """What a canned reply may say, as plain strings (never a model: no template reaches passwords or other
    rows)."""
    contact, account = conversation.contact, conversation.account
    return {
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "full_name": contact.full_name,
            "name": contact.full_name,
            "email": contact.email,
            "phone": str(contact.phone or ""),
        },
        "account": {"name": account.name, "number": str(account.number)} if account else {},
        "conversation": {"number": conversation.number, "subject": conversation.subject},
        "agent": {
            "first_name": (user.get_full_name() or "").split(" ")[0],
            "full_name": user.get_full_name(),
            "name": user.get_full_name() or user.email,
            "email": user.email,
        },
    }


def canned_fill(body: str, conversation: Conversation, user) -> str:
    """A canned reply's placeholders filled from the conversation: `{{ contact.first_name }}`, `{{ account.name }}`,
    `{{ conversation.number }}`, `{{ agent.name }}`..., each with an optional `|default:"..."` for an empty value.
    A placeholder it does not know stays as written (the agent sees it before sending)."""
    values = _placeholders(conversation, user)

    def fill(match):
        group, name, _quote, default = match.groups()
        if group not in values or (values[group] and name not in values[group]):
            return match.group(0)
        return values[group].get(name) or default or ""

    return PLACEHOLDER.sub(fill, body)


@staff_view(VIEW)
def inbox_canned(request, pk):
    """The canned replies whose shortcode starts with `?q=` (then those whose title contains it), filled for this
    conversation: the reply box's `/shortcode` suggestions (JSON)."""
    conversation = _conversation(pk)
    text = request.GET.get("q", "").strip().lstrip("/")[:50]
    replies = CannedReply.objects.all()
    if text:
        replies = replies.filter(Q(shortcode__istartswith=text) | Q(title__icontains=text))
    rows = [
        {
            "shortcode": reply.shortcode,
            "title": reply.title,
            "body": canned_fill(reply.body, conversation, request.user),
        }
        for reply in replies.order_by("shortcode")[:CANNED_LIMIT]
    ]
    return JsonResponse({"results": rows})


@staff_view(VIEW)
def inbox_mentions(request):
    """The colleagues whose name or email starts with `?q=` (JSON): the note box's `@name` suggestions. `handle`
    is what note_add resolves: the email's local part, or the whole email when another colleague shares it."""
    text = request.GET.get("q", "").strip().lstrip("@")[:50]
    agents = inbox_agents()
    if text:
        agents = agents.filter(Q(email__istartswith=text) | Q(full_name__istartswith=text))
    found = list(agents[:CANNED_LIMIT])
    locals_ = [agent.email.split("@")[0].lower() for agent in found]
    same_local = User.objects.filter(_email_locals_q(locals_), audience=Audience.STAFF, is_active=True)
    taken = set(same_local.values_list("email", flat=True))
    rows = []
    for agent, local in zip(found, locals_, strict=True):
        shared = sum(1 for email in taken if email.split("@")[0].lower() == local) > 1
        rows.append({"handle": agent.email if shared else local, "name": agent.get_full_name() or agent.email})
    return JsonResponse({"results": rows})


def _email_locals_q(locals_: list[str]) -> Q:
    condition = Q(pk__in=[])
    for local in set(locals_):
        condition |= Q(email__istartswith=f"{local}@")
    return condition
