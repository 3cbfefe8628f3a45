"""The inbox's settings in the staff console: channels (create and edit per kind; credentials write-only; a
generated secret shown once after create or rotation; the web chat's <script> snippet), inbox teams, labels and
canned replies; and two conversation pages: start a conversation (one POST through
services.conversation_start) and merge one into another of the same contact.

Who (crm/apps.py): channels and teams are Admin's; everyone working the inbox reads labels and canned replies,
adds and changes canned replies; Admin writes labels and deletes canned replies."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from crm import selectors, services
from crm.choices import ChannelKind
from crm.models import CannedReply, Channel, Contact, InboxTeam, Label
from crm.services.inbox_config import GENERATED_SECRET
from omni.exceptions import DomainError

from ..forms_inbox import CannedReplyForm, ChannelForm, ConversationStartForm, LabelForm, MergeForm, TeamForm
from ..helpers import add_service_errors, render_form, staff_view

SECRET_KEY = "inbox-secret-{}"  # the session key holding a channel's new secret until its page shows it once
CONTACT_RESULTS = 10


def _context(**extra) -> dict:
    return {"nav_inbox": True, **extra}


# ---- channels -----------------------------------------------------------------------------------------------------


@staff_view("crm.change_channel")
def channel_list(request):
    channels = Channel.objects.select_related("team").annotate(open_count=Count("conversations")).order_by(
        "kind", "name")  # fmt: skip
    return render(
        request,
        "staff/inbox/settings/channels.html",
        _context(channels=channels, kinds=ChannelKind.choices, tab="channels"),
    )


def _channel_form(request, kind, channel=None):
    data = request.POST if request.method == "POST" else None
    initial = ChannelForm.initial_for(channel) if channel else None
    stored = channel.credentials_masked() if channel else {}
    teams = InboxTeam.objects.filter(active=True)
    return ChannelForm(data, initial=initial, kind=kind, teams=teams, editing=channel is not None, stored=stored)


@staff_view("crm.add_channel", methods=("GET", "POST"))
def channel_create(request, kind):
    if kind not in ChannelKind.values:
        raise Http404
    form = _channel_form(request, kind)
    if request.method == "POST" and form.is_valid():
        try:
            channel, secret = services.channel_create(kind=kind, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            if secret:
                request.session[SECRET_KEY.format(channel.pk)] = secret
            messages.success(request, _("Channel %(name)s created.") % {"name": channel.name})
            return redirect("staff:inbox_channel_edit", pk=channel.pk)
    context = _context(kind=ChannelKind(kind), channel=None, tab="channels")
    return render_form(request, "staff/inbox/settings/channel_form.html", form, context)


def _snippet(request, channel) -> str:
    # The web chat widget (static/js/webchat.js, the web chat helper's) reads its channel from data-channel.
    src = request.build_absolute_uri(static("js/webchat.js"))
    return f'<script src="{src}" data-channel="{channel.pk}" async></script>'


@staff_view("crm.change_channel", methods=("GET", "POST"))
def channel_edit(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    form = _channel_form(request, channel.kind, channel)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(channel_id=channel.pk, by=request.user, **form.service_fields())
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Channel %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("staff:inbox_channel_edit", pk=channel.pk)
    context = _context(
        kind=ChannelKind(channel.kind),
        channel=channel,
        masked=channel.credentials_masked(),
        secret=request.session.pop(SECRET_KEY.format(channel.pk), "") if request.method == "GET" else "",
        rotatable=channel.kind in GENERATED_SECRET,
        snippet=_snippet(request, channel) if channel.kind == ChannelKind.WEBCHAT else "",
        hook_url=request.build_absolute_uri(f"/hooks/{channel.kind}/{channel.pk}/")
        if channel.kind != ChannelKind.WEBCHAT
        else "",
        tab="channels",
    )
    return render_form(request, "staff/inbox/settings/channel_form.html", form, context)


@staff_view("crm.change_channel", methods=("POST",))
def channel_rotate(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    try:
        channel, secret = services.channel_secret_rotate(channel_id=channel.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session[SECRET_KEY.format(channel.pk)] = secret
        messages.success(request, _("A new secret was generated; the old one no longer works."))
    return redirect("staff:inbox_channel_edit", pk=channel.pk)


@staff_view("crm.delete_channel", methods=("POST",))
def channel_delete(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    try:
        services.channel_delete(channel_id=channel.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:inbox_channel_edit", pk=channel.pk)
    messages.success(request, _("Channel %(name)s deleted.") % {"name": channel.name})
    return redirect("staff:inbox_channels")


# ---- teams, labels, canned replies --------------------------------------------------------------------------------

LISTS = {"teams": "staff:inbox_teams", "labels": "staff:inbox_labels", "canned": "staff:inbox_canned"}


def _form_context(request, record, tab: str, title: str, model: str, url_name: str) -> dict:
    """The generic settings form's context: its tab, title, the list to go back to, and the delete button's URL
    when the record exists and the user may delete it."""
    delete_url = ""
    if record is not None and request.user.has_perm(f"crm.delete_{model}"):
        delete_url = reverse(f"staff:inbox_{url_name}_delete", args=[record.pk])
    return _context(record=record, tab=tab, title=title, back=LISTS[tab], delete_url=delete_url)


def _save_form(request, form, record, *, create, update, saved, done_url):
    """A settings form's POST: create (no record) or update through the service; the service's refusals go onto
    the form's fields. The record saved, or None when the form or the service refused (the form shows why)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        if record is not None:
            update(record.pk, form.cleaned_data)
        else:
            record = create(form.cleaned_data)
    except (ValidationError, DomainError) as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, saved(record))
    return redirect(done_url)


@staff_view("crm.change_inboxteam")
def team_list(request):
    teams = InboxTeam.objects.prefetch_related("members").order_by("name")
    return render(request, "staff/inbox/settings/teams.html", _context(teams=teams, tab="teams"))


@staff_view(["crm.add_inboxteam", "crm.change_inboxteam"], methods=("GET", "POST"))
def team_edit(request, pk=None):
    team = get_object_or_404(InboxTeam, pk=pk) if pk else None
    initial = None
    if team:
        initial = {"name": team.name, "description": team.description, "members": list(team.members.all()),
                   "auto_assign": team.auto_assign, "active": team.active}  # fmt: skip
    form = TeamForm(
        request.POST if request.method == "POST" else None, initial=initial, staff=selectors.staff_user_choices()
    )
    done = _save_form(
        request, form, team,
        create=lambda data: services.inboxteam_create(by=request.user, **data),
        update=lambda pk, data: services.inboxteam_update(team_id=pk, by=request.user, **data),
        saved=lambda record: _("Team %(name)s saved.") % {"name": record.name},
        done_url="staff:inbox_teams",
    )  # fmt: skip
    if done:
        return done
    context = _form_context(request, team, "teams", team.name if team else _("New team"), "inboxteam", "team")
    return render_form(request, "staff/inbox/settings/form.html", form, context)


@staff_view("crm.view_label")
def label_list(request):
    labels = selectors.labels_with_use()
    return render(request, "staff/inbox/settings/labels.html", _context(labels=labels, tab="labels"))


@staff_view(["crm.add_label", "crm.change_label"], methods=("GET", "POST"))
def label_edit(request, pk=None):
    label = get_object_or_404(Label, pk=pk) if pk else None
    initial = {"name": label.name, "colour": label.colour, "description": label.description} if label else None
    form = LabelForm(request.POST if request.method == "POST" else None, initial=initial)
    done = _save_form(
        request, form, label,
        create=lambda data: services.label_create(by=request.user, **data),
        update=lambda pk, data: services.label_update(label_id=pk, by=request.user, **data),
        saved=lambda record: _("Label %(name)s saved.") % {"name": record.name},
        done_url="staff:inbox_labels",
    )  # fmt: skip
    if done:
        return done
    context = _form_context(request, label, "labels", label.name if label else _("New label"), "label", "label")
    return render_form(request, "staff/inbox/settings/form.html", form, context)


@staff_view("crm.view_cannedreply")
def canned_list(request):
    query = (request.GET.get("q") or "").strip()
    replies = selectors.canned_replies_matching(query)
    context = _context(replies=replies[:200], query=query, tab="canned")
    return render(request, "staff/inbox/settings/canned_replies.html", context)


def _canned_edit(request, reply):
    initial = {"shortcode": reply.shortcode, "title": reply.title, "body": reply.body} if reply else None
    form = CannedReplyForm(request.POST if request.method == "POST" else None, initial=initial)
    done = _save_form(
        request, form, reply,
        create=lambda data: services.cannedreply_create(by=request.user, **data),
        update=lambda pk, data: services.cannedreply_update(reply_id=pk, by=request.user, **data),
        saved=lambda record: _("Canned reply /%(code)s saved.") % {"code": record.shortcode},
        done_url="staff:inbox_canned",
    )  # fmt: skip
    if done:
        return done
    title = f"/{reply.shortcode}" if reply else _("New canned reply")
    context = _form_context(request, reply, "canned", title, "cannedreply", "canned")
    return render_form(request, "staff/inbox/settings/form.html", form, context)


@staff_view("crm.add_cannedreply", methods=("GET", "POST"))
def canned_create(request):
    return _canned_edit(request, None)


@staff_view("crm.change_cannedreply", methods=("GET", "POST"))
def canned_edit(request, pk):
    return _canned_edit(request, get_object_or_404(CannedReply, pk=pk))


def _delete_view(permission, model, service, id_arg, done_url):
    @staff_view(permission, methods=("POST",))
    def view(request, pk):
        record = get_object_or_404(model, pk=pk)
        service(**{id_arg: record.pk}, by=request.user)
        messages.success(request, _("%(record)s deleted.") % {"record": record})
        return redirect(done_url)

    return view


team_delete = _delete_view("crm.delete_inboxteam", InboxTeam, services.inboxteam_delete, "team_id", "staff:inbox_teams")
label_delete = _delete_view("crm.delete_label", Label, services.label_delete, "label_id", "staff:inbox_labels")
canned_delete = _delete_view(
    "crm.delete_cannedreply", CannedReply, services.cannedreply_delete, "reply_id", "staff:inbox_canned"
)


# ---- start and merge conversations ----------------------------------------------------------------------------------


def _contact_matches(query: str):
    query = (query or "").strip()
    if len(query) < 2:
        return []
    condition = Q(email__icontains=query) | Q(phone__icontains=query)
    terms = Q()
    for term in query.split()[:4]:
        terms &= Q(first_name__icontains=term) | Q(last_name__icontains=term)
    return list(Contact.objects.live().filter(condition | terms).order_by("last_name", "first_name")[:CONTACT_RESULTS])


@staff_view(["crm.add_conversation", "crm.add_message"], methods=("GET", "POST"))
def conversation_start(request):
    """Start a conversation: a known contact (searched by name, email or phone) or a new one's details, a channel
    and the first message, in one POST through services.conversation_start."""
    channels = Channel.objects.filter(active=True).order_by("kind", "name")
    form = ConversationStartForm(request.POST if request.method == "POST" else None, channels=channels)
    query = request.GET.get("q", "")
    chosen = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation, _message = services.conversation_start(
                channel_id=data["channel"].pk,
                body=data["message"],
                by=request.user,
                contact_id=data["contact"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                subject=data["subject"],
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc, {"body": "message"})
        else:
            messages.success(request, _("Conversation %(number)s started.") % {"number": conversation.number})
            return redirect("staff:inbox_conversation", pk=conversation.pk)
    picked = getattr(form, "cleaned_data", {}).get("contact")
    if picked:  # the known contact stays picked when the page comes back with errors
        chosen = Contact.objects.live().filter(pk=picked).first()
    context = _context(query=query, matches=_contact_matches(query), chosen=chosen, has_channels=channels.exists())
    return render_form(request, "staff/inbox/new.html", form, context)


@staff_view("crm.change_conversation", methods=("GET", "POST"))
def conversation_merge(request, pk):
    conversation = get_object_or_404(selectors.conversations_live().select_related("contact", "channel"), pk=pk)
    targets = (
        selectors.conversations_live()
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-last_message_at")
    )
    form = MergeForm(request.POST if request.method == "POST" else None, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            target = services.conversation_merge(
                source_id=conversation.pk, target_id=form.cleaned_data["target"].pk, by=request.user
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(a)s merged into %(b)s.") % {"a": conversation.number, "b": target.number})
            return redirect("staff:inbox_conversation", pk=target.pk)
    context = _context(conversation=conversation, has_targets=targets.exists())
    return render_form(request, "staff/inbox/merge.html", form, context)
