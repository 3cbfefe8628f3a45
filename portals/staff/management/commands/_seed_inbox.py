"""The inbox part of the demo (seed_demo calls seed_inbox): an email address, an SMS number, a WhatsApp number and a
web chat widget; a Support team of the demo agents; labels and canned replies; a dozen conversations with demo
customers across the channels, some answered, one resolved, one snoozed, one private note.

Idempotent: nothing is added once the demo channels exist. Inbound messages go through the services (identity,
threading, events are real); the demo's past replies are written as sent messages (nothing goes out)."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm import services
from crm.choices import ChannelKind, ConversationStatus, MessageDirection, MessageKind, MessageStatus
from crm.models import CannedReply, Channel, Contact, Conversation, InboxAgent, InboxTeam, Label, Message
from crm.models.inbox import new_secret
from crm.services.inbox import Inbound
from omni.choices import Role
from omni.models import User

LABELS = [("outage", "#dc2626"), ("billing", "#2563eb"), ("installation", "#059669"), ("vip", "#7c3aed")]
CANNED = [
    ("thanks", "Thanks", "Thank you {{ contact.first_name }}, we are on it and will update you shortly."),
    ("outage", "Known outage", "Hello {{ contact.first_name }}, there is a fibre cut in your area; our team is "
     "repairing it and service should be back within 4 hours. We will message you when it is restored."),
    ("reboot", "Reboot the router", "Please switch your router off for 30 seconds, then on again, and tell us "
     "whether the light marked PON turns green."),
]  # fmt: skip
# (channel kind, customer text, minutes ago, our reply or "", final status)
THREADS = [
    (ChannelKind.WHATSAPP, "Good morning, my internet has been down since 6am. The PON light is red.", 35, "", "open"),
    (ChannelKind.SMS, "Hi, is there an outage in Lekki? Nothing works since last night", 50, "outage", "open"),
    (ChannelKind.EMAIL, "Please send me the invoice for November, I need it for my records.", 240, "thanks", "pending"),
    (ChannelKind.WEBCHAT, "Do you cover Ajah? I want to move my plan to my new flat.", 15, "", "open"),
    (ChannelKind.WHATSAPP, "The technician did not come today although I waited all afternoon.", 90, "thanks", "open"),
    (ChannelKind.EMAIL, "Speed is very slow in the evenings, around 5 Mbps instead of 50.", 60 * 26, "reboot",
     "resolved"),
    (ChannelKind.SMS, "Can I change my installation appointment to Saturday?", 130, "", "snoozed"),
    (ChannelKind.WEBCHAT, "Hello, how do I upgrade to the 100 Mbps plan?", 5, "", "open"),
]  # fmt: skip


def seed_inbox(*, domain: str, seed: int = 7) -> None:
    if Channel.objects.filter(name="Support email").exists():
        return
    rnd = random.Random(seed)
    agents = list(User.objects.filter(groups__name=Role.AGENT, is_active=True).order_by("email"))
    admin = User.objects.filter(email=f"admin@{domain}").first()
    with transaction.atomic():
        team = InboxTeam.objects.create(name="Support", description="First-line support on every channel")
        team.members.set(agents)
        for agent in agents:
            InboxAgent.objects.update_or_create(user=agent, defaults={"available": True, "max_open": 8})
        hours = {"time_zone": "Africa/Lagos", "days": {day: [["08:00", "18:00"]] for day in
                                                        ("mon", "tue", "wed", "thu", "fri", "sat")}}  # fmt: skip
        channels = {
            ChannelKind.EMAIL: Channel(kind=ChannelKind.EMAIL, name="Support email", address=f"support@{domain}"),
            ChannelKind.SMS: Channel(kind=ChannelKind.SMS, name="SMS line", address="+2348005550100"),
            ChannelKind.WHATSAPP: Channel(kind=ChannelKind.WHATSAPP, name="WhatsApp", address="105550100"),
            ChannelKind.WEBCHAT: Channel(
                kind=ChannelKind.WEBCHAT,
                name="Website chat",
                address=f"www.{domain}",
                config={
                    "colour": "#0e7490",
                    "greeting": "Hi! Ask us anything about your connection.",
                    "business_hours": hours,
                    "prechat": {"name": "required", "email": "required", "phone": "optional"},
                    "portal": True,
                },
            ),
        }
        secrets = {
            ChannelKind.EMAIL: {"inbound_secret": new_secret()},
            ChannelKind.SMS: {
                "account_sid": "AC" + "0" * 32,
                "auth_token": new_secret(),
                "from_number": "+2348005550100",
                "api_base_url": "https://api.twilio.com",
            },
            ChannelKind.WHATSAPP: {
                "phone_number_id": "105550100",
                "access_token": new_secret(),
                "app_secret": new_secret(),
                "verify_token": new_secret(),
                "api_base_url": "https://graph.facebook.com",
            },
            ChannelKind.WEBCHAT: {"identity_secret": new_secret()},
        }
        for kind, channel in channels.items():
            channel.team = team
            channel.set_credentials(secrets[kind])
            channel.save()
        labels = [Label.objects.create(name=name, colour=colour) for name, colour in LABELS]
        canned = {
            code: CannedReply.objects.create(shortcode=code, title=title, body=body) for code, title, body in CANNED
        }

    contacts = list(Contact.objects.live().exclude(phone="").exclude(email="").order_by("created_at")[:40])
    now = timezone.now()
    for n, (kind, text, minutes, reply, status) in enumerate(THREADS):
        if not contacts:
            break
        contact = contacts[(n * 3) % len(contacts)]
        channel = channels[kind]
        thread = {
            ChannelKind.EMAIL: f"<demo-{n}@mail.{domain}>",
            ChannelKind.SMS: str(contact.phone),
            ChannelKind.WHATSAPP: str(contact.phone).lstrip("+"),  # the WhatsApp id: E.164 without "+"
            ChannelKind.WEBCHAT: f"demo-visitor-{n}",
        }[kind]
        at = now - timedelta(minutes=minutes)
        message, _created = services.inbound_receive(
            channel=channel,
            sender=contact,
            inbound=Inbound(
                thread_key=thread,
                external_id=thread if kind == ChannelKind.EMAIL else f"demo-{kind}-{n}",
                body=text,
                subject=text[:60] if kind == ChannelKind.EMAIL else "",
                sent_at=at,
            ),
        )
        conversation = message.conversation
        Message.objects.filter(pk=message.pk).update(created_at=at)
        updates = {"created_at": at, "last_message_at": at, "last_inbound_at": at}
        if agents:
            updates["assignee"] = agents[n % len(agents)] if n % 4 else None
            updates["team"] = team
        if reply:
            replied = at + timedelta(minutes=rnd.randint(2, 12))
            Message.objects.create(
                conversation=conversation,
                channel=channel,
                kind=MessageKind.MESSAGE,
                direction=MessageDirection.OUTBOUND,
                author=updates.get("assignee") or admin,
                body=canned[reply].body.replace("{{ contact.first_name }}", contact.first_name),
                status=MessageStatus.DELIVERED,
                external_id=f"demo-reply-{n}",
                sent_at=replied,
                delivered_at=replied + timedelta(seconds=20),
            )
            Message.objects.filter(external_id=f"demo-reply-{n}").update(created_at=replied)
            updates |= {"first_reply_at": replied, "last_message_at": replied}
        if status == "resolved":
            updates |= {"status": ConversationStatus.RESOLVED, "resolved_at": now - timedelta(hours=20)}
        elif status == "snoozed":
            updates |= {"status": ConversationStatus.SNOOZED, "snoozed_until": now + timedelta(hours=3)}
        elif status == "pending":
            updates["status"] = ConversationStatus.PENDING
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        if kind == ChannelKind.WHATSAPP and n == 0:
            conversation.labels.add(labels[0])
            if agents:
                services.note_add(
                    conversation_id=conversation.pk,
                    author=agents[0],
                    body="Looks like the Lekki cut from this morning; NOC is on it.",
                )
        if "invoice" in text:
            conversation.labels.add(labels[1])
