"""The customer portal's chat with us (issue 11): portals/customer/chat.py."""

from django.urls import path

from . import chat

urlpatterns = [
    path("chat/", chat.chat, name="chat"),
]
