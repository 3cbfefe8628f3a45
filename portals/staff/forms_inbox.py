"""Forms of the inbox's settings pages (channels, inbox teams, labels, canned replies), the "start a conversation"
page and the merge page. Checking is the services' (crm.services.inbox_config, conversation_start): the forms
parse, the views put a service's refusal on the field it names (helpers.add_service_errors)."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.choices import ChannelKind
from crm.services.inbox_config import CHANNEL_INPUT_CREDENTIALS, CHANNEL_REQUIRED_CREDENTIALS

CREDENTIAL_LABELS = {
    "account_sid": _("Account SID"),
    "auth_token": _("Auth token"),
    "from_number": _("From number (E.164)"),
    "api_base_url": _("API base URL"),
    "phone_number_id": _("Phone number id"),
    "access_token": _("Access token"),
    "app_secret": _("App secret"),
    "verify_token": _("Verify token"),
}
PRECHAT_RULES = [("required", _("Required")), ("optional", _("Optional")), ("off", _("Not asked"))]
PRECHAT = ("prechat_name", "prechat_email", "prechat_phone")


class ChannelForm(forms.Form):
    """A channel of one kind: its name and address, team, settings and (write-only) credentials. Editing, a blank
    credential keeps its stored value; nothing stored is put back in the page."""

    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=254, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("No team"))
    auto_reply = forms.CharField(
        label=_("Auto-reply outside business hours"), required=False, max_length=1000, widget=forms.Textarea(
            attrs={"rows": 2}))  # fmt: skip
    business_hours = forms.CharField(
        label=_("Business hours (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-mono"}),
        help_text=_('e.g. {"time_zone": "Africa/Lagos", "days": {"mon": [["08:00", "17:00"]]}}; empty: always open.'),
    )
    colour = forms.CharField(label=_("Colour"), required=False, max_length=7, widget=forms.TextInput(attrs={
        "type": "color"}))  # fmt: skip
    greeting = forms.CharField(label=_("Greeting"), required=False, max_length=1000)
    prechat_name = forms.ChoiceField(
        label=_("Pre-chat: name"), choices=PRECHAT_RULES, required=False, initial="optional"
    )
    prechat_email = forms.ChoiceField(
        label=_("Pre-chat: email"), choices=PRECHAT_RULES, required=False, initial="required"
    )
    prechat_phone = forms.ChoiceField(label=_("Pre-chat: phone"), choices=PRECHAT_RULES, required=False, initial="off")
    csat_enabled = forms.BooleanField(
        label=_("Send a satisfaction survey after a resolve"), required=False, initial=True
    )
    offline_message = forms.CharField(
        label=_("Offline message"), required=False, max_length=1000, help_text=_("Shown outside business hours.")
    )
    reply_address = forms.EmailField(
        label=_("Reply address"), required=False, help_text=_("From address of offline replies sent by email.")
    )
    portal = forms.BooleanField(label=_("The customer portal's chat"), required=False)

    def __init__(self, *args, kind: str, teams, editing: bool = False, stored=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.editing = kind, editing
        self.fields["team"].queryset = teams
        if kind != ChannelKind.WEBCHAT:
            for name in ("colour", "greeting", *PRECHAT, "offline_message", "reply_address", "portal"):
                del self.fields[name]
        if kind in (ChannelKind.SMS, ChannelKind.WHATSAPP):
            del self.fields["address"]  # the number or phone number id, from the credentials
        elif kind == ChannelKind.EMAIL:
            self.fields["address"].required = True
            self.fields["address"].label = _("Email address")
        else:
            self.fields["address"].label = _("Website")
        for name in CHANNEL_INPUT_CREDENTIALS[kind]:
            required = name in CHANNEL_REQUIRED_CREDENTIALS[kind] and not editing
            help_text = _("Stored; leave blank to keep it.") if name in stored else _("Write-only.")
            self.fields[name] = forms.CharField(
                label=CREDENTIAL_LABELS[name],
                required=required,
                max_length=2000,
                help_text=help_text,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            )

    @staticmethod
    def initial_for(channel) -> dict:
        config = channel.config or {}
        prechat = config.get("prechat") or {}
        hours = config.get("business_hours")
        return {
            "name": channel.name,
            "address": channel.address,
            "active": channel.active,
            "team": channel.team_id,
            "auto_reply": config.get("auto_reply", "") if isinstance(config.get("auto_reply"), str) else "",
            "api_version": config.get("api_version", ""),
            "business_hours": json.dumps(hours) if hours else "",
            "colour": config.get("colour", ""),
            "greeting": config.get("greeting", ""),
            "csat_enabled": (config.get("csat") or {}).get("enabled", True),
            "offline_message": config.get("offline_message", ""),
            "reply_address": config.get("reply_address", ""),
            "portal": bool(config.get("portal")),
            **{f"prechat_{field}": prechat[field] for field in ("name", "email", "phone") if field in prechat},
        }

    def clean_business_hours(self):
        value = (self.cleaned_data.get("business_hours") or "").strip()
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON.")) from None

    def service_fields(self) -> dict:
        data = self.cleaned_data
        config = {"auto_reply": data.get("auto_reply", ""), "business_hours": data.get("business_hours")}
        if not data.get("csat_enabled"):
            config["csat"] = {"enabled": False}
        if self.kind == ChannelKind.WHATSAPP and self.initial.get("api_version"):
            config["api_version"] = self.initial["api_version"]  # set through the API; kept
        if self.kind == ChannelKind.WEBCHAT:
            config |= {
                "offline_message": data.get("offline_message", ""),
                "reply_address": data.get("reply_address", ""),
                "portal": bool(data.get("portal")),
                "colour": data.get("colour", ""),
                "greeting": data.get("greeting", ""),
                "prechat": {name.removeprefix("prechat_"): data[name] for name in PRECHAT if data.get(name)},
            }
        credentials = {name: data[name] for name in CHANNEL_INPUT_CREDENTIALS[self.kind] if data.get(name)}
        fields = {"name": data["name"], "active": data["active"], "team": data["team"], "config": config}
        if "address" in self.fields:
            fields["address"] = data["address"]
        return fields | {"credentials": credentials}


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    auto_assign = forms.BooleanField(
        label=_("Auto-assign"), required=False, initial=True,
        help_text=_("Hand new conversations round-robin to available members, up to each one's cap."),
    )  # fmt: skip
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff
        self.fields["members"].label_from_instance = lambda user: user.get_full_name() or user.email


class LabelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    colour = forms.CharField(
        label=_("Colour"), max_length=7, initial="#64748b", widget=forms.TextInput(attrs={"type": "color"})
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class CannedReplyForm(forms.Form):
    shortcode = forms.SlugField(label=_("Shortcode"), max_length=50, help_text=_("Typed as /shortcode."))
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Placeholders: {{ contact.first_name }}, {{ contact.last_name }}."),
    )


class ConversationStartForm(forms.Form):
    """A known contact (picked from the search) or a new one's details, the channel and the first message."""

    channel = forms.ModelChoiceField(label=_("Channel"), queryset=None, empty_label=None)
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone (E.164)"), max_length=32, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    message = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channels


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge into"), queryset=None, empty_label=None, widget=forms.RadioSelect,
        help_text=_("Every message moves there, in time order; this conversation then closes."),
    )  # fmt: skip

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets
        self.fields["target"].label_from_instance = lambda c: (
            f"{c.number} · {c.channel.name} · {c.subject or c.get_status_display()}"
        )
