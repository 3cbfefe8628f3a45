"""The staff console's dispatch board."""

from django.urls import path

from .views import dispatch

urlpatterns = [
    path("dispatch/", dispatch.dispatch_board, name="dispatch_board"),
    path("dispatch/drop/", dispatch.dispatch_drop, name="dispatch_drop"),
]
