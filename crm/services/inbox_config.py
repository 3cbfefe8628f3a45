"""Every write of the inbox's configuration: channels (with their encrypted credentials and settings), inbox teams,
labels and canned replies. The API, the console's settings pages and the admin call these, so a channel's
credentials are checked the same way on every path in (E.164 numbers, http(s) URLs, #rrggbb colours, business
hours).

Secrets generated here (an email channel's inbound Bearer secret, a web chat's identity secret) are returned once
by the create and rotate services; they are never read back (Channel.credentials_masked)."""

from __future__ import annotations

import re
from datetime import date, time
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import to_python as to_phone

from omni.exceptions import Conflict
from omni.models import User
from omni.services import fields_set

from ..choices import ChannelKind
from ..models import CannedReply, Channel, InboxTeam, Label
from ..models.inbox import new_secret

__all__ = [
    "CHANNEL_CONFIG_KEYS",
    "CHANNEL_INPUT_CREDENTIALS",
    "CHANNEL_REQUIRED_CREDENTIALS",
    "GENERATED_SECRET",
    "cannedreply_create",
    "cannedreply_delete",
    "cannedreply_update",
    "channel_config_validate",
    "channel_create",
    "channel_delete",
    "channel_secret_rotate",
    "channel_update",
    "inboxteam_create",
    "inboxteam_delete",
    "inboxteam_update",
    "label_create",
    "label_delete",
    "label_update",
]

# The credentials a person types in, per kind (the generated secrets are not typed: GENERATED_SECRET).
CHANNEL_INPUT_CREDENTIALS: dict[str, tuple[str, ...]] = {
    ChannelKind.EMAIL: (),
    ChannelKind.SMS: ("account_sid", "auth_token", "from_number", "api_base_url"),
    ChannelKind.WHATSAPP: ("phone_number_id", "access_token", "app_secret", "verify_token", "api_base_url"),
    ChannelKind.WEBCHAT: (),
}
# Those a new channel cannot work without (api_base_url defaults to the provider's public API).
CHANNEL_REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {
    ChannelKind.EMAIL: (),
    ChannelKind.SMS: ("account_sid", "auth_token", "from_number"),
    ChannelKind.WHATSAPP: ("phone_number_id", "access_token", "app_secret", "verify_token"),
    ChannelKind.WEBCHAT: (),
}
# The secret the server makes for a kind, shown once after create and rotation.
GENERATED_SECRET: dict[str, str] = {ChannelKind.EMAIL: "inbound_secret", ChannelKind.WEBCHAT: "identity_secret"}
# What `config` may hold, per kind (all shown back): business hours and an auto-reply for every kind, the widget's
# look and pre-chat form for web chat.
CHANNEL_CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    ChannelKind.EMAIL: ("business_hours", "auto_reply", "csat"),
    ChannelKind.SMS: ("business_hours", "auto_reply", "csat"),
    ChannelKind.WHATSAPP: ("business_hours", "auto_reply", "csat", "api_version"),
    ChannelKind.WEBCHAT: (
        "business_hours", "auto_reply", "csat", "colour", "greeting", "prechat", "offline_message", "reply_address",
        "portal",
    ),
}  # fmt: skip
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")
API_VERSION = re.compile(r"^v\d{1,3}\.\d{1,2}$")

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRECHAT_FIELDS = ("name", "email", "phone")
PRECHAT_RULES = ("required", "optional", "off")
_url = URLValidator(schemes=["http", "https"])


def _check_url(name: str, value: str) -> str:
    value = (value or "").strip().rstrip("/")
    try:
        _url(value)
    except ValidationError:
        raise ValidationError({name: [_("Enter an http(s) URL, e.g. https://api.example.com.")]}) from None
    return value


def _check_e164(name: str, value: str) -> str:
    value = str(value or "").strip()
    phone = to_phone(value) if value.startswith("+") else None
    if not phone or not phone.is_valid():
        raise ValidationError({name: [_("Enter a phone number in E.164 form, e.g. +2348031234567.")]})
    return phone.as_e164


def _clean_credentials(kind: str, values: dict, *, creating: bool) -> dict:
    """The typed-in credentials of a `kind` channel, checked and normalised; ValidationError naming each field.
    Unknown keys are refused; on create the required ones must be there (on update, absent means unchanged)."""
    allowed = CHANNEL_INPUT_CREDENTIALS[kind]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        kind_label = ChannelKind(kind).label
        raise ValidationError(
            {name: [_("A %(kind)s channel has no such setting.") % {"kind": kind_label}] for name in unknown}
        )
    clean = {}
    for name, value in values.items():
        value = str(value if value is not None else "").strip()
        if not value:
            if name in CHANNEL_REQUIRED_CREDENTIALS[kind]:
                raise ValidationError({name: [_("This field is required.")]})
            clean[name] = ""  # an optional one emptied: removed (Channel.set_credentials)
            continue
        if name == "from_number":
            # E.164, or a Twilio Messaging Service SID (MG + 32 hex) that picks the sender from its pool
            value = value if MESSAGING_SERVICE.match(value) else _check_e164(name, value)
        elif name == "api_base_url":
            value = _check_url(name, value)
        elif len(value) > 500:
            raise ValidationError({name: [_("At most 500 characters.")]})
        clean[name] = value
    if creating:
        missing = [name for name in CHANNEL_REQUIRED_CREDENTIALS[kind] if not clean.get(name)]
        if missing:
            raise ValidationError({name: [_("This field is required.")] for name in missing})
    return clean


def _business_hours_validate(value) -> dict:
    """{"time_zone": IANA name, "days": {"mon": [["08:00", "17:00"]], ...}, "holidays": ["2026-12-25", ...]}: each
    range starts before it ends ("24:00" ends at midnight); an absent day is closed. Returns the value normalised."""
    name = "business_hours"

    def bad(message):
        return ValidationError({name: [message]})

    if not isinstance(value, dict):
        raise bad(_('An object: {"time_zone": "Africa/Lagos", "days": {"mon": [["08:00", "17:00"]]}}.'))
    unknown = sorted(set(value) - {"time_zone", "days", "holidays"})
    if unknown:
        raise bad(_("Unknown key %(key)s (time_zone, days, holidays).") % {"key": unknown[0]})
    zone = value.get("time_zone") or ""
    if zone:
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise bad(_("Unknown time zone %(zone)s.") % {"zone": zone}) from None
    days = value.get("days")
    if not isinstance(days, dict):
        raise bad(_('"days" maps mon..sun to lists of ["HH:MM", "HH:MM"] ranges.'))
    clean_days = {}
    for day, ranges in days.items():
        if day not in DAYS:
            raise bad(_("Unknown day %(day)s; use %(days)s.") % {"day": day, "days": ", ".join(DAYS)})
        if not isinstance(ranges, list):
            raise bad(_("%(day)s: a list of ranges.") % {"day": day})
        clean_ranges = []
        for pair in ranges:
            if (
                not isinstance(pair, list | tuple)
                or len(pair) != 2
                or not all(isinstance(x, str) and CLOCK.match(x) for x in pair)
                or pair[0] == "24:00"
            ):
                raise bad(_('%(day)s: each range is ["HH:MM", "HH:MM"].') % {"day": day})
            end = time.max if pair[1] == "24:00" else time.fromisoformat(pair[1])
            if time.fromisoformat(pair[0]) >= end:
                raise bad(_("%(day)s: a range must start before it ends.") % {"day": day})
            clean_ranges.append([pair[0], pair[1]])
        clean_days[day] = clean_ranges
    holidays = value.get("holidays") or []
    if not isinstance(holidays, list):
        raise bad(_('"holidays" is a list of dates (YYYY-MM-DD).'))
    for holiday in holidays:
        try:
            date.fromisoformat(str(holiday))
        except ValueError:
            raise bad(_("Holiday %(d)s is not a date (YYYY-MM-DD).") % {"d": holiday}) from None
    clean = {"days": clean_days}
    if zone:
        clean["time_zone"] = str(zone)
    if holidays:
        clean["holidays"] = [str(h) for h in holidays]
    return clean


def channel_config_validate(kind: str, config: dict) -> dict:
    """A channel's shown settings, checked per kind; ValidationError naming the key (colour, greeting,
    business_hours, prechat, auto_reply). Returns the config normalised (empty values dropped)."""
    if not isinstance(config, dict):
        raise ValidationError({"config": [_("An object of settings.")]})
    allowed = CHANNEL_CONFIG_KEYS[kind]
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        kind_label = ChannelKind(kind).label
        raise ValidationError(
            {name: [_("A %(kind)s channel has no such setting.") % {"kind": kind_label}] for name in unknown}
        )
    clean = {}
    for name, value in config.items():
        if value in (None, "", {}, []):
            continue
        if name == "auto_reply" and isinstance(value, dict):  # {"enabled", "text"}: the text when enabled
            value = str(value.get("text") or "") if value.get("enabled", True) else ""
            if not value.strip():
                continue
        if name == "colour":
            if not isinstance(value, str) or not COLOUR.match(value):
                raise ValidationError({"colour": [_("A colour as #rrggbb, e.g. #0f766e.")]})
            clean[name] = value.lower()
        elif name == "csat":
            if not isinstance(value, dict) or set(value) - {"enabled", "text"}:
                raise ValidationError({"csat": [_('An object: {"enabled": true, "text": "How did we do?"}.')]})
            if not isinstance(value.get("enabled", True), bool) or len(str(value.get("text") or "")) > 1000:
                raise ValidationError({"csat": [_("enabled is true or false; text at most 1000 characters.")]})
            clean[name] = value
        elif name == "portal":
            if not isinstance(value, bool):
                raise ValidationError({"portal": [_("true or false.")]})
            clean[name] = value
        elif name == "reply_address":
            try:
                EmailValidator()(value)
            except ValidationError:
                raise ValidationError({"reply_address": [_("Enter a valid email address.")]}) from None
            clean[name] = str(value).lower()
        elif name == "api_version":
            if not isinstance(value, str) or not API_VERSION.match(value):
                raise ValidationError({"api_version": [_("A Graph API version such as v21.0.")]})
            clean[name] = value
        elif name in ("greeting", "auto_reply", "offline_message"):
            if not isinstance(value, str) or len(value) > 1000:
                raise ValidationError({name: [_("Text of at most 1000 characters.")]})
            clean[name] = value.strip()
        elif name == "business_hours":
            clean[name] = _business_hours_validate(value)
        elif name == "prechat":
            # Each pre-chat field's rule, as the widget reads it (crm.providers.webchat.prechat).
            if (
                not isinstance(value, dict)
                or set(value) - set(PRECHAT_FIELDS)
                or any(rule not in PRECHAT_RULES for rule in value.values())
            ):
                raise ValidationError({"prechat": [_('An object: {"name": "optional", "email": "required", '
                                                    '"phone": "off"} (required, optional or off).')]})  # fmt: skip
            clean[name] = {field: value[field] for field in PRECHAT_FIELDS if field in value}
    return clean


def _address_for(kind: str, address: str, credentials: dict, current: str = "") -> str:
    """What identifies the channel outside: the email address (required, checked), the SMS number (the from
    number), the WhatsApp phone number id, the web chat's website (free text)."""
    address = (address or "").strip()
    if kind == ChannelKind.EMAIL:
        try:
            EmailValidator()(address)
        except ValidationError:
            raise ValidationError({"address": [_("Enter the channel's email address.")]}) from None
        return address.lower()
    if kind == ChannelKind.SMS:
        return credentials.get("from_number") or current
    if kind == ChannelKind.WHATSAPP:
        return credentials.get("phone_number_id") or current
    return address[:254]


def _check_name(model, record, name: str, field: str = "name") -> None:
    # Case-insensitive unique names are expression constraints: full_clean would report them without the field.
    if model.objects.filter(**{f"{field}__iexact": (name or "").strip()}).exclude(pk=record.pk).exists():
        raise ValidationError({field: [_("Another %(kind)s has this %(field)s.") % {
            "kind": model._meta.verbose_name, "field": field}]})  # fmt: skip


def _channel_save(channel: Channel) -> Channel:
    _check_name(Channel, channel, channel.name)
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def channel_create(
    *,
    kind: str,
    name: str,
    address: str = "",
    active: bool = True,
    team: InboxTeam | None = None,
    config: dict | None = None,
    credentials: dict | None = None,
    by: User | None = None,
) -> tuple[Channel, str]:
    """A new channel with its credentials (checked per kind: CHANNEL_REQUIRED_CREDENTIALS) and settings. An email
    or web chat channel gets a generated secret, returned here once (empty for other kinds). Returns
    (channel, secret)."""
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": [_("Choose email, sms, whatsapp or webchat.")]})
    clean = _clean_credentials(kind, credentials or {}, creating=True)
    secret = ""
    if kind in GENERATED_SECRET:
        secret = new_secret()
        clean[GENERATED_SECRET[kind]] = secret
    channel = Channel(
        kind=kind,
        name=(name or "").strip(),
        address=_address_for(kind, address, clean),
        active=active,
        team=team,
        config=channel_config_validate(kind, config or {}),
    )
    channel.set_credentials(clean)
    return _channel_save(channel), secret


@transaction.atomic
def channel_update(
    *, channel_id: UUID, credentials: dict | None = None, config: dict | None = None, by: User | None = None, **fields
) -> Channel:
    """Change a channel's name, address, team, active flag, settings (`config` replaces the settings) and
    credentials (`credentials` merges: a key not given keeps its value; generated secrets change only by
    rotation). The kind never changes."""
    channel = Channel.objects.select_for_update().get(pk=channel_id)
    if "kind" in fields and fields.pop("kind") != channel.kind:
        raise ValidationError({"kind": [_("A channel's kind cannot change; create another channel.")]})
    clean = _clean_credentials(channel.kind, credentials or {}, creating=False)
    address = fields.pop("address", channel.address)
    fields_set(channel, fields)
    if "name" in fields:
        channel.name = (channel.name or "").strip()
    channel.address = _address_for(channel.kind, address, clean, channel.address)
    if config is not None:
        channel.config = channel_config_validate(channel.kind, config)
    if clean:
        channel.set_credentials(clean)
    return _channel_save(channel)


@transaction.atomic
def channel_secret_rotate(*, channel_id: UUID, by: User | None = None) -> tuple[Channel, str]:
    """A new generated secret for an email or web chat channel (the old one stops working at once); returned here
    once. 409 for kinds whose secrets come from the provider (SMS, WhatsApp: set new credentials instead)."""
    channel = Channel.objects.select_for_update().get(pk=channel_id)
    key = GENERATED_SECRET.get(channel.kind)
    if key is None:
        msg = _("A %(kind)s channel's secrets come from the provider: set new credentials instead.") % {
            "kind": channel.get_kind_display()
        }
        raise Conflict(msg, fields={"kind": [msg]})
    secret = new_secret()
    channel.set_credentials({key: secret})
    channel.save(update_fields=["credentials_encrypted", "updated_at"])
    return channel, secret


@transaction.atomic
def channel_delete(*, channel_id: UUID, by: User | None = None) -> None:
    """Delete a channel that never had a conversation; 409 otherwise (switch it off instead: its history stays)."""
    channel = Channel.objects.select_for_update().get(pk=channel_id)
    msg = _("The channel has conversations; switch it off instead.")
    if channel.conversations.exists():
        raise Conflict(msg, fields={"active": [msg]})
    try:
        with transaction.atomic():
            channel.delete()
    except ProtectedError:
        raise Conflict(msg, fields={"active": [msg]}) from None


# ---- inbox teams --------------------------------------------------------------------------------------------------


def _check_members(members) -> list[User]:
    from omni.choices import Audience

    members = list(members or [])
    for user in members:
        if not (user.audience == Audience.STAFF and user.is_staff and user.is_active):
            raise ValidationError({"members": [_("%(u)s is not an active staff user.") % {"u": user}]})
    return members


def _team_save(team: InboxTeam, members) -> InboxTeam:
    _check_name(InboxTeam, team, team.name)
    team.full_clean()
    team.save()
    if members is not None:
        team.members.set(members)
    return team


@transaction.atomic
def inboxteam_create(*, members=None, by: User | None = None, **fields) -> InboxTeam:
    """A new inbox team with its members (active staff users)."""
    members = _check_members(members)
    team = InboxTeam()
    fields_set(team, fields)
    return _team_save(team, members)


@transaction.atomic
def inboxteam_update(*, team_id: UUID, members=None, by: User | None = None, **fields) -> InboxTeam:
    """Rename a team, switch auto-assignment or the team on or off; `members` (when given) replaces the members."""
    team = InboxTeam.objects.select_for_update().get(pk=team_id)
    members = _check_members(members) if members is not None else None
    fields_set(team, fields)
    return _team_save(team, members)


@transaction.atomic
def inboxteam_delete(*, team_id: UUID, by: User | None = None) -> None:
    """Delete a team: its channels and conversations keep working without a team."""
    InboxTeam.objects.select_for_update().get(pk=team_id).delete()


# ---- labels and canned replies --------------------------------------------------------------------------------------


@transaction.atomic
def label_create(*, by: User | None = None, **fields) -> Label:
    label = Label()
    fields_set(label, fields)
    return _label_save(label)


@transaction.atomic
def label_update(*, label_id: UUID, by: User | None = None, **fields) -> Label:
    label = Label.objects.select_for_update().get(pk=label_id)
    fields_set(label, fields)
    return _label_save(label)


def _label_save(label: Label) -> Label:
    label.name = (label.name or "").strip()
    if not COLOUR.match(label.colour or ""):
        raise ValidationError({"colour": [_("A colour as #rrggbb, e.g. #0f766e.")]})
    label.colour = label.colour.lower()
    _check_name(Label, label, label.name)
    label.full_clean()
    label.save()
    return label


@transaction.atomic
def label_delete(*, label_id: UUID, by: User | None = None) -> None:
    """Delete a label; conversations lose it."""
    Label.objects.select_for_update().get(pk=label_id).delete()


def _reply_save(reply: CannedReply) -> CannedReply:
    reply.shortcode = (reply.shortcode or "").strip().lstrip("/").lower()
    _check_name(CannedReply, reply, reply.shortcode, "shortcode")
    reply.full_clean()
    reply.save()
    return reply


@transaction.atomic
def cannedreply_create(*, by: User | None = None, **fields) -> CannedReply:
    reply = CannedReply()
    fields_set(reply, fields)
    return _reply_save(reply)


@transaction.atomic
def cannedreply_update(*, reply_id: UUID, by: User | None = None, **fields) -> CannedReply:
    reply = CannedReply.objects.select_for_update().get(pk=reply_id)
    fields_set(reply, fields)
    return _reply_save(reply)


@transaction.atomic
def cannedreply_delete(*, reply_id: UUID, by: User | None = None) -> None:
    CannedReply.objects.select_for_update().get(pk=reply_id).delete()


# ---- conversations --------------------------------------------------------------------------------------------------
