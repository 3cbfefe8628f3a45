"""Round-robin auto-assignment inside a team (`conversation_auto_assign`: the available member below their cap
who was assigned least recently, agents locked in primary-key order) and an agent's availability for it
(`agent_availability_set`)."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from omni.choices import Audience
from omni.models import User

from ...choices import ConversationStatus
from ...models import Conversation, InboxAgent

# ---- auto-assignment --------------------------------------------------------------------------------------------

OPEN_STATUSES = (ConversationStatus.OPEN, ConversationStatus.PENDING)


def conversation_auto_assign(*, conversation_id: UUID) -> User | None:
    """Give an unassigned conversation with a team to the team's available member (InboxAgent.available, active
    staff) below their cap of open or pending conversations who was assigned least recently (round-robin).
    Locks the conversation, then every candidate's InboxAgent row in primary-key order (FOR UPDATE, never SKIP
    LOCKED): two assignments racing for the same agents run one after the other, and the second counts the
    first's conversation, so no agent goes past the cap. Nobody available: the conversation stays with the team,
    unassigned (None). Returns the assignee."""
    from ..conversations import conversation_assign

    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("team")
            .filter(pk=conversation_id, merged_into=None)
            .first()
        )
        if conversation is None or conversation.assignee_id or conversation.team_id is None:
            return None
        team = conversation.team
        if not (team.active and team.auto_assign):
            return None
        agents = list(
            InboxAgent.objects.select_for_update(of=("self",))
            .filter(
                user__in=team.members.values("pk"),
                available=True,
                user__is_active=True,
                user__is_staff=True,
                user__audience=Audience.STAFF,
            )
            .select_related("user")
            .order_by("pk")
        )
        if not agents:
            return None
        open_counts = dict(
            Conversation.objects.filter(
                assignee__in=[agent.user_id for agent in agents], status__in=OPEN_STATUSES, merged_into=None
            )
            .values("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        below_cap = [agent for agent in agents if open_counts.get(agent.user_id, 0) < agent.max_open]
        if not below_cap:
            return None
        # Never assigned first, then the longest ago; the primary key breaks ties so the order is stable.
        chosen = min(
            below_cap, key=lambda a: (a.last_assigned_at is not None, a.last_assigned_at or timezone.now(), str(a.pk))
        )
        chosen.last_assigned_at = timezone.now()
        chosen.save(update_fields=["last_assigned_at", "updated_at"])
        conversation_assign(conversation_id=conversation.pk, assignee=chosen.user, team_id=team.pk)
        return chosen.user


def agent_availability_set(*, user: User, available: bool | None = None) -> InboxAgent:
    """Mark a staff user available (or not) for auto-assignment; None toggles. Creates their InboxAgent row on
    first use. The row is locked, so a toggle racing an assignment waits for it."""
    with transaction.atomic():
        agent, _created = InboxAgent.objects.get_or_create(user=user)
        agent = InboxAgent.objects.select_for_update().get(pk=agent.pk)
        agent.available = (not agent.available) if available is None else bool(available)
        agent.save(update_fields=["available", "updated_at"])
    return agent
