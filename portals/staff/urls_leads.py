"""The staff console's lead pages: the list, the pipeline board, the lead page and its forms."""

from django.urls import path

from .views import leads

urlpatterns = [
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/board/", leads.lead_board, name="lead_board"),
    path("leads/new/", leads.lead_create, name="lead_create"),
    path("leads/duplicates/check/", leads.lead_duplicate_check, name="lead_duplicate_check"),
    path("leads/<uuid:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<uuid:pk>/edit/", leads.lead_edit, name="lead_edit"),
    path("leads/<uuid:pk>/move/", leads.lead_move, name="lead_move"),
    path("leads/<uuid:pk>/convert/", leads.lead_convert, name="lead_convert"),
    path("leads/<uuid:pk>/delete/", leads.lead_delete, name="lead_delete"),
]
