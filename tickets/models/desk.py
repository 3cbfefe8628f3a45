"""Teams (queues), tickets, their status history and comments (issue 10, the support desk)."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from omni.db import NextNumber
from omni.models import SoftDeleteModel, TimeStampedModel

from ..choices import SLAState, TicketPriority, TicketSource, TicketStatus

TEAM_NAME_UNIQUE = "tickets_team_name_unique"
# Team object permissions (guardian): members work their team's tickets; other staff get one of these.
TEAM_READ = "read_team_tickets"
TEAM_FULL = "work_team_tickets"
ALL_TEAMS = "manage_all_tickets"


class Team(TimeStampedModel):
    """A queue of tickets and the staff who work it. Other staff reach its tickets through a guardian object
    permission on the team (TEAM_READ or TEAM_FULL: services.team_access_set)."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="ticket_teams", verbose_name=_("members")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name=TEAM_NAME_UNIQUE)]
        permissions = [
            (TEAM_READ, _("Can read the team's tickets")),
            (TEAM_FULL, _("Can read and work the team's tickets")),
        ]

    def __str__(self):
        return self.name


class TeamUserObjectPermission(UserObjectPermissionBase):
    """guardian's direct foreign key table for teams: selectors join it instead of a generic object_pk text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content_object = models.ForeignKey(Team, models.CASCADE, related_name="user_permissions")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("team access")


class Ticket(SoftDeleteModel):
    """A customer's request. Its status changes only through services.ticket_transition."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        db_default=NextNumber("TCK-", "tickets_ticket_number_seq"),
    )
    account = models.ForeignKey("crm.Account", models.PROTECT, related_name="tickets", verbose_name=_("account"))
    contact = models.ForeignKey(
        "crm.Contact", models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name=_("contact")
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=50, blank=True)
    priority = models.CharField(_("priority"), max_length=16, choices=TicketPriority, default=TicketPriority.NORMAL)
    source = models.CharField(_("source"), max_length=16, choices=TicketSource, default=TicketSource.PORTAL)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus, default=TicketStatus.NEW, editable=False
    )
    team = models.ForeignKey(
        Team, models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, verbose_name=_("tags"))
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets", verbose_name=_("watchers")
    )
    parent = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="children", verbose_name=_("master ticket")
    )
    follow_up_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="follow_ups", verbose_name=_("follow-up of")
    )
    # The inbox conversation the ticket was opened from (services.ticket_from_conversation); kept when the
    # conversation goes (SET_NULL): the ticket stands on its own.
    conversation = models.ForeignKey(
        "crm.Conversation",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("conversation"),
    )
    resolution = models.TextField(_("resolution note"), blank=True, editable=False)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(
        _("customer reminded"), null=True, blank=True, editable=False, help_text=_("While pending customer.")
    )
    # The SLA at a glance, kept by the SLA services and the scan from the ticket's current clocks: lists, queues,
    # filters and the API read these columns instead of joining the clocks.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    sla_state = models.CharField(
        _("SLA"), max_length=16, choices=SLAState, default=SLAState.NONE, blank=True, editable=False
    )
    # Full-text search, kept by database triggers (migration 0004): subject (A), description (B) and public
    # replies (C) in `search_vector`; internal notes in `notes_vector`, which only staff searches read.
    search_vector = SearchVectorField(null=True, editable=False)
    notes_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("ticket")
        ordering = ["-created_at"]
        # Admin holds it (every permission): sees and works every team's tickets, members or not.
        permissions = [(ALL_TEAMS, _("Can see and work every team's tickets"))]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="tickets_ticket_status_valid"),
            models.CheckConstraint(
                condition=Q(priority__in=TicketPriority.values), name="tickets_ticket_priority_valid"
            ),
            models.CheckConstraint(condition=Q(source__in=TicketSource.values), name="tickets_ticket_source_valid"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="tickets_ticket_not_own_parent"),
            models.CheckConstraint(condition=Q(sla_state__in=SLAState.values), name="tickets_ticket_sla_state_valid"),
        ]
        indexes = [
            GinIndex(fields=["tags"], name="tickets_ticket_tags"),
            GinIndex(fields=["search_vector"], name="tickets_ticket_search"),
            GinIndex(fields=["notes_vector"], name="tickets_ticket_notes_search"),
            models.Index(fields=["sla_state"], name="tickets_ticket_sla_state", condition=Q(deleted_at=None)),
            models.Index(
                fields=["status", "status_changed_at"],
                name="tickets_ticket_pending",
                condition=Q(status=TicketStatus.PENDING_CUSTOMER, deleted_at=None),
            ),
            # The team queues and the staff list: live tickets of a team by status.
            models.Index(fields=["team", "status"], name="tickets_ticket_team_status", condition=Q(deleted_at=None)),
            models.Index(fields=["updated_at"], name="tickets_ticket_updated"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"


class TicketStatusChange(models.Model):
    """One status move of a ticket (history, written by services.ticket_transition only)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="status_changes", verbose_name=_("ticket"))
    old = models.CharField(_("from"), max_length=20, choices=TicketStatus)
    new = models.CharField(_("to"), max_length=20, choices=TicketStatus)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ticket status change")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.old} -> {self.new}"


class TicketComment(TimeStampedModel):
    """A public reply (customer or staff) or an internal note (public=False, staff only: never shown to portal
    users)."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="comments", verbose_name=_("ticket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("body"))
    public = models.BooleanField(_("public"), default=True, help_text=_("Off: an internal note for staff only."))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="ticket_mentions", verbose_name=_("mentioned staff")
    )

    class Meta:
        verbose_name = _("ticket comment")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_comment_ticket_time")]

    def __str__(self):
        return f"{self.ticket_id}: {self.body[:40]}"


def attachment_path(instance: "TicketAttachment", filename: str) -> str:
    """Stored under the ticket's id with a random name: the original name is kept in `name`, never in the path, so
    one file cannot overwrite another and a path says nothing about the customer."""
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    """A file on a ticket, usually on a comment: it is as visible as its comment (a file on an internal note is
    staff only). Stored through Django's storage; served only through views that check the ticket's selector."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    comment = models.ForeignKey(
        TicketComment, models.CASCADE, null=True, blank=True, related_name="attachments", verbose_name=_("comment")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    public = models.BooleanField(_("public"), default=True, help_text=_("Off: staff only (on an internal note)."))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ticket attachment")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_attachment_ticket_time")]

    def __str__(self):
        return self.name
