"""The inbox in the staff console (issue 11): being built."""

from django.shortcuts import get_object_or_404, render

from crm import selectors

from ..helpers import staff_view


@staff_view("crm.view_conversation")
def inbox_list(request):
    rows = selectors.conversation_rows(selectors.conversations_live().order_by("-last_message_at")[:50])
    return render(request, "staff/inbox/list.html", {"rows": rows})


@staff_view("crm.view_conversation")
def inbox_conversation(request, pk):
    conversation = get_object_or_404(selectors.conversations_live(), pk=pk)
    return render(request, "staff/inbox/conversation.html", {"conversation": conversation})
