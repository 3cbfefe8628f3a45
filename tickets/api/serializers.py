"""Input (`…In`) and output (`…Out`) serializers (STYLE.md section 5). Names are unique across the API: they are
the OpenAPI schema's component names."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Account, Contact
from omni.choices import Audience
from omni.models import User

from .. import selectors
from ..choices import TicketPriority, TicketSource, TicketStatus, Weekday
from ..models import (
    BusinessCalendar,
    BusinessHours,
    EscalationRule,
    Holiday,
    SLACondition,
    SLAPolicy,
    SLATarget,
    Team,
    Ticket,
    TicketComment,
)
from ..selectors import CALENDAR_FIELDS, COMMENT_FIELDS, TICKET_FIELDS


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"})
class WallTimeField(serializers.TimeField):
    """A wall-clock time of day as HH:MM (OpenAPI's `format: time` wants an RFC 3339 offset, which a calendar's
    hours do not have: they are in the calendar's zone)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class BusinessHoursOut(serializers.ModelSerializer):
    start = WallTimeField(read_only=True)
    end = WallTimeField(read_only=True, help_text="00:00 is midnight at the end of the day.")

    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end"]
        read_only_fields = fields


class HolidayOut(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name", "source"]
        read_only_fields = fields


class BusinessCalendarOut(serializers.ModelSerializer):
    hours = BusinessHoursOut(many=True, read_only=True)
    holidays = HolidayOut(many=True, read_only=True)
    ical_url = serializers.CharField(read_only=True, help_text="The iCal holiday feed's URL, or empty.")
    country = serializers.CharField(read_only=True, help_text="ISO 3166 code whose holidays are seeded, or empty.")

    class Meta:
        model = BusinessCalendar
        fields = [*CALENDAR_FIELDS, "hours", "holidays"]
        read_only_fields = fields


class BusinessCalendarIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    time_zone = serializers.CharField(max_length=64, help_text="An IANA zone, e.g. Africa/Lagos.")
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    ical_url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")


class TimeRangeIn(serializers.Serializer):
    start = WallTimeField()
    end = WallTimeField(help_text="00:00 is midnight at the end of the day.")


class BusinessHoursSetIn(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 is Monday.")
    ranges = TimeRangeIn(many=True, allow_empty=True, help_text="The day's ranges; none makes it a day off.")


class HolidayIn(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=200)


class HolidaySeedIn(serializers.Serializer):
    year = serializers.IntegerField(min_value=1900, max_value=2200)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")


class HolidaySeedOut(serializers.Serializer):
    added = serializers.IntegerField(help_text="Holidays added (dates the calendar had already are kept).")


class BusinessCalendarBriefOut(serializers.ModelSerializer):
    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone"]
        read_only_fields = fields


class SLAConditionOut(serializers.ModelSerializer):
    class Meta:
        model = SLACondition
        fields = ["field", "values"]
        read_only_fields = fields


class SLATargetOut(serializers.ModelSerializer):
    class Meta:
        model = SLATarget
        fields = ["metric", "minutes", "business_hours"]
        read_only_fields = fields


class EscalationRuleOut(serializers.ModelSerializer):
    priority = serializers.CharField(read_only=True, help_text="The priority raise_priority sets, or empty.")

    class Meta:
        model = EscalationRule
        fields = ["metric", "kind", "level", "percent", "offset_minutes", "action", "user", "team", "priority"]
        read_only_fields = fields


class SLAPolicyOut(serializers.ModelSerializer):
    calendar = BusinessCalendarBriefOut(read_only=True)
    conditions = SLAConditionOut(many=True, read_only=True)
    targets = SLATargetOut(many=True, read_only=True)
    escalations = EscalationRuleOut(many=True, read_only=True)
    description = serializers.CharField(read_only=True)

    class Meta:
        model = SLAPolicy
        fields = [
            "id", "name", "position", "active", "description", "calendar", "conditions", "targets", "escalations",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


# ---- teams and tickets -------------------------------------------------------------------------------------------


class TeamOut(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Staff user ids.")

    class Meta:
        model = Team
        fields = ["id", "name", "description", "active", "members", "created_at", "updated_at"]
        read_only_fields = fields


class TicketOut(serializers.ModelSerializer):
    """A ticket, with its SLA at a glance: the first-response and resolution dues of its current clocks (null while
    paused or without a policy) and sla_state, the worst of its clocks (breached, warning, running, paused, met;
    empty without a policy)."""

    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Ticket
        fields = list(TICKET_FIELDS)
        read_only_fields = fields


def _scoped(field: serializers.PrimaryKeyRelatedField, queryset) -> None:
    field.queryset = queryset


class TicketIn(serializers.Serializer):
    """Opening a ticket (staff). Related rows are scoped: a ticket the user cannot see is not a valid parent."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), required=False, allow_null=True)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    source = serializers.ChoiceField(choices=TicketSource.choices, default=TicketSource.API)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True, help_text="An active staff user's id."
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(), required=False, allow_null=True, help_text="The master ticket."
    )
    follow_up_of = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(), required=False, allow_null=True, help_text="The closed ticket this follows."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # the schema generator: the fields' types are all it needs
            return
        user = request.user
        _scoped(self.fields["account"], Account.objects.live())
        _scoped(self.fields["contact"], Contact.objects.live())
        _scoped(self.fields["team"], Team.objects.filter(active=True))
        _scoped(self.fields["assignee"], User.objects.filter(audience=Audience.STAFF, is_active=True))
        for name in ("parent", "follow_up_of"):
            _scoped(self.fields[name], selectors.ticket_list_visible_to(user=user))


class TicketChangeIn(TicketIn):
    """Changing a ticket: its fields, and `status` through the transition rules (an invalid move is a 409);
    resolving needs `resolution`."""

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    resolution = serializers.CharField(required=False, allow_blank=True, help_text="Required to resolve.")


class TicketCommentOut(serializers.ModelSerializer):
    class Meta:
        model = TicketComment
        fields = list(COMMENT_FIELDS)
        read_only_fields = fields


class TicketCommentIn(serializers.Serializer):
    body = serializers.CharField()
    public = serializers.BooleanField(
        default=True, help_text="False: an internal note, staff only (portal users may post public replies only)."
    )
