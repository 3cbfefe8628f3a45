"""The inbox's automation in the staff console (issue 11): rules (Admin's) and the agent's availability toggle."""

from django.urls import path

from .views import inbox_automation as views

urlpatterns = [
    path("inbox/rules/", views.rule_list, name="inbox_rule_list"),
    path("inbox/rules/new/", views.rule_create, name="inbox_rule_create"),
    path("inbox/rules/<uuid:pk>/edit/", views.rule_edit, name="inbox_rule_edit"),
    path("inbox/rules/<uuid:pk>/active/", views.rule_set_active, name="inbox_rule_set_active"),
    path("inbox/rules/<uuid:pk>/move/", views.rule_move, name="inbox_rule_move"),
    path("inbox/rules/<uuid:pk>/delete/", views.rule_delete, name="inbox_rule_delete"),
    path("inbox/availability/", views.availability, name="inbox_availability"),
]
