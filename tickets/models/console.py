"""What the staff console keeps per person and for the desk: saved views of the ticket list and macros."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

from ..choices import TicketPriority, TicketStatus
from .desk import Team

SAVED_VIEW_UNIQUE = "tickets_savedview_name_per_owner"
MACRO_NAME_UNIQUE = "tickets_macro_name_unique"


class SavedView(TimeStampedModel):
    """A named ticket-list filter (the list page's query string) of one staff user, or shared with every staff
    user when `shared`."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="ticket_views", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=1000, blank=True, help_text=_("The list's query string."))
    shared = models.BooleanField(_("shared"), default=False, help_text=_("Every staff user sees it."))

    class Meta:
        verbose_name = _("saved ticket view")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name=SAVED_VIEW_UNIQUE)]

    def __str__(self):
        return self.name


class Macro(TimeStampedModel):
    """One click on a ticket: a canned reply (public or a note, `{{ ticket.number }}` style placeholders), then a
    status, an assignment (to the one who runs it, a user or a team), a priority and tags, each optional."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("reply"), blank=True)
    public = models.BooleanField(_("public reply"), default=True, help_text=_("Off: the text is an internal note."))
    status = models.CharField(_("set status"), max_length=20, choices=TicketStatus, blank=True)
    priority = models.CharField(_("set priority"), max_length=16, choices=TicketPriority, blank=True)
    assign_to_self = models.BooleanField(_("assign to whoever runs it"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign to"),
    )
    team = models.ForeignKey(Team, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team"))
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, verbose_name=_("add tags"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("macro")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name=MACRO_NAME_UNIQUE),
            models.CheckConstraint(
                condition=Q(status="") | Q(status__in=TicketStatus.values), name="tickets_macro_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority="") | Q(priority__in=TicketPriority.values), name="tickets_macro_priority_valid"
            ),
            models.CheckConstraint(
                condition=~Q(assign_to_self=True, assignee__isnull=False), name="tickets_macro_one_assignee"
            ),
        ]

    def __str__(self):
        return self.name
