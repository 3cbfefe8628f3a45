"""Forms of the staff console's inbox (issue 11): the list's filters, and the conversation page's reply, status,
assignment, label, priority and ticket forms. They parse; crm.services and tickets.services decide."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.choices import ConversationPriority, ConversationStatus
from crm.models import Channel, InboxTeam, Label
from tickets.choices import TicketPriority

VIEWS = [
    ("mine", _("Mine")),
    ("unassigned", _("Unassigned")),
    ("teams", _("My teams")),
    ("all", _("All")),
]
STATUS_ALL = "all"
SORTS = [
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("waiting", _("Waiting longest")),
]
SNOOZE_PRESETS = [
    ("1h", _("For 1 hour")),
    ("tomorrow", _("Until tomorrow 9:00")),
    ("next_week", _("Until next Monday 9:00")),
    ("custom", _("Until…")),
]
DATETIME_LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class InboxFilterForm(forms.Form):
    """The inbox list's view, filters and sort (GET). Empty values take the defaults: every conversation (`all`),
    open ones, newest first."""

    view = forms.ChoiceField(label=_("View"), choices=VIEWS, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[*ConversationStatus.choices, (STATUS_ALL, _("Any status"))], required=False
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.all(), required=False, empty_label=_("Any channel")
    )
    label = forms.ModelChoiceField(
        label=_("Label"), queryset=Label.objects.all(), required=False, empty_label=_("Any label")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=InboxTeam.objects.all(), required=False, empty_label=_("Any team")
    )
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)

    def clean_view(self):
        return self.cleaned_data["view"] or "all"

    def clean_status(self):
        return self.cleaned_data["status"] or ConversationStatus.OPEN

    def clean_sort(self):
        return self.cleaned_data["sort"] or "newest"


class ReplyForm(forms.Form):
    """A reply on the conversation's channel or a private note. Outside WhatsApp's 24-hour window only an
    approved template may go: its name (and language) instead of a body."""

    MODES = [("reply", _("Reply")), ("note", _("Private note"))]

    mode = forms.ChoiceField(label=_("Kind"), choices=MODES, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    template_name = forms.CharField(label=_("Template"), max_length=512, required=False)
    template_language = forms.CharField(label=_("Template language"), max_length=16, required=False)

    def clean_mode(self):
        return self.cleaned_data["mode"] or "reply"

    def metadata(self) -> dict:
        name = self.cleaned_data["template_name"].strip()
        if not name:
            return {}
        return {"template": {"name": name, "language": self.cleaned_data["template_language"].strip() or "en"}}


def snooze_until(preset: str, custom: datetime | None, now: datetime | None = None) -> datetime | None:
    """The wake-up time of a snooze preset, in the active time zone: in 1 hour, tomorrow 9:00, next Monday 9:00,
    or the custom time given."""
    now = timezone.localtime(now or timezone.now())
    if preset == "1h":
        return now + timedelta(hours=1)
    if preset == "tomorrow":
        return timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), time(9)))
    if preset == "next_week":
        days = 7 - now.weekday()  # Monday next week (from a Monday: a week on)
        return timezone.make_aware(datetime.combine(now.date() + timedelta(days=days), time(9)))
    return custom


class StatusForm(forms.Form):
    """Open, pending, resolved, or snoozed until a preset or custom time."""

    status = forms.ChoiceField(label=_("Status"), choices=ConversationStatus.choices)
    snooze = forms.ChoiceField(label=_("Snooze"), choices=SNOOZE_PRESETS, required=False)
    snoozed_until = forms.DateTimeField(label=_("Until"), required=False, input_formats=DATETIME_LOCAL)

    def clean(self):
        data = super().clean()
        if data.get("status") == ConversationStatus.SNOOZED:
            preset = data.get("snooze") or "custom"
            until = snooze_until(preset, data.get("snoozed_until"))
            if until is None:
                self.add_error("snoozed_until", _("Say until when to snooze."))
            data["until"] = until
        else:
            data["until"] = None
        return data


class AssignForm(forms.Form):
    """An agent and/or a team; `me` assigns the signed-in user (keeping the team). An empty agent unassigns."""

    assignee = forms.ModelChoiceField(label=_("Agent"), queryset=None, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=InboxTeam.objects.filter(active=True), required=False)
    me = forms.BooleanField(required=False)

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents


class LabelForm(forms.Form):
    """Add one label or remove one."""

    add = forms.ModelChoiceField(label=_("Add label"), queryset=Label.objects.all(), required=False)
    remove = forms.ModelChoiceField(label=_("Remove label"), queryset=Label.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("add") or data.get("remove")):
            raise forms.ValidationError(_("Choose a label to add or remove."))
        return data


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=ConversationPriority.choices)


class TicketFromConversationForm(forms.Form):
    """The optional subject and priority of a ticket opened from the conversation (defaults from it)."""

    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("As the conversation")), *TicketPriority.choices], required=False
    )
