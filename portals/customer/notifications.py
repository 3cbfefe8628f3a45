"""The customer portal's Notifications page (issue 11, part 5): the signed-in customer's contact picks their
preferred channel (email, SMS, WhatsApp), which of the events we send customers reach them by email and by SMS,
and quiet hours in their own time zone.

The choices are the notifications engine's own, keyed by the contact (`crm.contact:<id>`, as every app builds a
contact's Recipient): Preference rows per event and channel, QuietHours with an empty time zone, so the window
follows the contact's time zone (Contact.time_zone, edited here), which each delivery carries to its send.
The contact's fields go through crm.services.contact_update (its clean(): email needs an email, SMS and WhatsApp
a phone); everything is saved in one transaction. Bad input is 422 with the reasons, a customer user without a
contact sees why, not an error."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from crm import services as crm_services
from crm.choices import ContactChannel
from crm.models import Contact
from notifications import registry
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from notifications.choices import Channel
from omni.auth import audience_required
from omni.choices import time_zone_names

from ..common.ticket_pages import add_service_errors
from .views import _own_account

NAV = {"nav_notifications": True}
INVALID = 422

# The events we send customers (to an account's contacts), in the words the customer reads; staff-facing events
# are not offered. An event no app registers (an app not installed) is left out.
CUSTOMER_EVENTS = {
    "workforce.appointment.reminder": gettext_lazy("A reminder the day before a technician visits you"),
    "workforce.work_order.en_route": gettext_lazy("The technician is on the way, with the arrival time"),
    "tickets.ticket.pending_reminder": gettext_lazy("A support request is waiting for your answer"),
    "crm.quote.offered": gettext_lazy("A quote for you to accept or reject"),
}
# A contact is reached by email and SMS (in-app and push reach users, not contacts).
CONTACT_CHANNELS = (Channel.EMAIL, Channel.SMS)
PREFERRED_CHANNELS = (ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.WHATSAPP)


def recipient_key(contact) -> str:
    return f"crm.contact:{contact.pk}"


def _time_zones():
    return [(name, name) for name in sorted(time_zone_names())]


class ContactNotificationsForm(forms.Form):
    preferred_channel = forms.ChoiceField(
        label=gettext_lazy("Preferred channel"),
        choices=[(c.value, c.label) for c in PREFERRED_CHANNELS],
        widget=forms.RadioSelect,
        help_text=gettext_lazy("How we reach you first, and where our team answers you."),
    )
    time_zone = forms.ChoiceField(label=gettext_lazy("Your time zone"), choices=_time_zones)
    quiet_enabled = forms.BooleanField(label=gettext_lazy("Hold SMS during my quiet hours"), required=False)
    quiet_start = forms.TimeField(
        label=gettext_lazy("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        label=gettext_lazy("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quiet_enabled"):
            for name in ("quiet_start", "quiet_end"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give a time, or switch quiet hours off."))
            start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
            if start is not None and start == end:
                self.add_error("quiet_end", _("The quiet hours must end at another time than they start."))
        return cleaned

    def quiet(self):
        data = self.cleaned_data
        # No zone of its own: the window follows the contact's time zone (chosen above) at every send.
        return (data["quiet_start"], data["quiet_end"], "") if data.get("quiet_enabled") else None


def _own_contact(user):
    """The signed-in customer's own live contact (CustomerUser.contact): None when the portal user has none, or it
    was deleted (or merged into another, which deletes it)."""
    return Contact.objects.live().filter(portal_users__user=user).first()


def _rows(contact, request, posted_on: set[str] | None) -> list[dict]:
    """The customer events with a cell per contact channel (None: not sent that way), as stored or as posted."""
    matrix = notification_selectors.preference_matrix(recipient_key=recipient_key(contact))
    by_key = {row["event"].key: row for row in matrix["events"]}
    rows = []
    for key, label in CUSTOMER_EVENTS.items():
        row = by_key.get(key)
        if row is None:
            continue
        cells = {cell["channel"]: cell for cell in row["cells"]}
        columns = []
        for channel in CONTACT_CHANNELS:
            cell = cells.get(channel)
            if cell is not None:
                value = f"{key}|{channel}"
                enabled = cell["enabled"] if posted_on is None or cell["locked"] else value in posted_on
                cell = {**cell, "value": value, "enabled": enabled, "label": Channel(channel).label}
            columns.append(cell)
        rows.append({"key": key, "label": label, "columns": columns})
    return rows


@transaction.atomic
def _save(*, user, contact, form, enabled: set[tuple[str, str]]) -> None:
    """The contact's channel and time zone, their event choices and quiet hours: all or nothing."""
    data = form.cleaned_data
    crm_services.contact_update(
        contact_id=contact.pk, by=user, preferred_channel=data["preferred_channel"], time_zone=data["time_zone"]
    )
    # Messages already waiting (deferred by quiet hours, say) are checked in the new zone when their time comes.
    notification_services.recipient_time_zone_set(recipient_key=recipient_key(contact), time_zone=data["time_zone"])
    notification_services.person_settings_save(
        recipient_key=recipient_key(contact),
        muted=(),
        enabled=enabled,
        quiet=form.quiet(),
        events=[key for key in CUSTOMER_EVENTS if key in {e.key for e in registry.all_events()}],
        channels=CONTACT_CHANNELS,
    )


@require_http_methods(["GET", "POST"])
@audience_required
def notification_settings(request):
    account = _own_account(request.user)
    contact = _own_contact(request.user) if account is not None else None
    if contact is None:
        return render(request, "customer/notifications/page.html", {**NAV, "account": account, "contact": None})
    quiet = notification_selectors.quiet_hours_get(recipient_key=recipient_key(contact))
    initial = {
        "preferred_channel": contact.preferred_channel,
        "time_zone": contact.time_zone or settings.TIME_ZONE,
        "quiet_enabled": quiet is not None,
    }
    if quiet is not None:
        initial.update(quiet_start=quiet.start, quiet_end=quiet.end)
    posted = request.method == "POST"
    form = ContactNotificationsForm(request.POST if posted else None, initial=initial)
    posted_on = set(request.POST.getlist("on")) if posted else None
    if posted and form.is_valid():
        enabled = {tuple(value.partition("|")[::2]) for value in posted_on}
        try:
            _save(user=request.user, contact=contact, form=form, enabled=enabled)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your notification choices are saved."))
            return redirect("customer:notifications")
    context = {
        **NAV,
        "account": account,
        "contact": contact,
        "form": form,
        "rows": _rows(contact, request, posted_on),
        "channels": [(channel, Channel(channel).label) for channel in CONTACT_CHANNELS],
    }
    return render(request, "customer/notifications/page.html", context, status=INVALID if form.errors else 200)
