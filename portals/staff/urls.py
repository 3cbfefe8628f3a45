"""The staff console on the main host."""

from django.urls import include, path

from .views import accounts, contacts, dashboard, profile

app_name = "staff"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    # /accounts/login/ etc. belong to allauth (omni/urls_common.py, matched first); these paths never clash.
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create, name="account_create"),
    path("accounts/<uuid:pk>/", accounts.account_detail, name="account_detail"),
    path("accounts/<uuid:pk>/edit/", accounts.account_edit, name="account_edit"),
    path("accounts/<uuid:pk>/transition/", accounts.account_transition, name="account_transition"),
    path("accounts/<uuid:pk>/delete/", accounts.account_delete, name="account_delete"),
    path("accounts/<uuid:pk>/restore/", accounts.account_restore, name="account_restore"),
    path("accounts/<uuid:pk>/invite/", accounts.account_invite, name="account_invite"),
    path(
        "accounts/<uuid:pk>/invite/<uuid:user_pk>/resend/",
        accounts.account_invite_resend,
        name="account_invite_resend",
    ),
    path("profile/", profile.profile, name="profile"),
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/duplicates/", contacts.contact_duplicates, name="contact_duplicates"),
    path("contacts/duplicates/merge/", contacts.contact_merge, name="contact_merge"),
    path("contacts/duplicates/check/", contacts.contact_duplicate_check, name="contact_duplicate_check"),
    path("contacts/<uuid:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<uuid:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<uuid:pk>/link/", contacts.contact_link, name="contact_link"),
    path("contacts/<uuid:pk>/unlink/<uuid:account_pk>/", contacts.contact_unlink, name="contact_unlink"),
    path("contacts/<uuid:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("contacts/<uuid:pk>/restore/", contacts.contact_restore, name="contact_restore"),
    # Notifications (deliveries, templates, statistics) and outbound webhooks.
    path("", include("portals.staff.urls_notifications")),
    path("", include("portals.staff.urls_webhooks")),
    path("", include("portals.staff.urls_tickets")),
    path("", include("portals.staff.urls_partners")),
    path("", include("portals.staff.urls_leads")),
    path("", include("portals.staff.urls_quotes")),
    path("", include("portals.staff.urls_network")),
    path("", include("portals.staff.urls_my_day")),  # the technician view (issue 14)
    path("", include("portals.staff.urls_dispatch")),
    # The omni-channel inbox (issue 11): pages, live streams, settings (channels, teams, labels, canned replies),
    # automation rules, reports.
    path("", include("portals.staff.urls_inbox")),
    path("", include("portals.staff.urls_inbox_live")),
    path("", include("portals.staff.urls_inbox_settings")),
    path("", include("portals.staff.urls_inbox_automation")),
    path("", include("portals.staff.urls_inbox_reports")),
]
