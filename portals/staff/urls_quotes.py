"""The staff console's quote pages: list, create, the quote page and its actions, edit of drafts, the totals
preview and the PDF."""

from django.urls import path

from .views import quotes

urlpatterns = [
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/new/", quotes.quote_create, name="quote_create"),
    path("quotes/preview/", quotes.quote_preview, name="quote_preview"),
    path("quotes/<uuid:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<uuid:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<uuid:pk>/pdf/", quotes.quote_pdf, name="quote_pdf"),
    path("quotes/<uuid:pk>/send/", quotes.quote_send, name="quote_send"),
    path("quotes/<uuid:pk>/revise/", quotes.quote_revise, name="quote_revise"),
    path("quotes/<uuid:pk>/answer/", quotes.quote_answer, name="quote_answer"),
]
