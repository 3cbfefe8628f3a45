"""The customer portal's chat (issue 11): the web chat widget of the portal's channel (crm.providers.webchat
.portal_channel), opened for the signed-in customer, who is identified by the server: the identifier is their
contact's id (their email when no contact is linked to their portal user) and its HMAC is computed here with the
channel's identity secret, so the conversation is theirs on every device and linked to their contact."""

import logging

from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from crm.hooks.webchat import identity_hash
from crm.providers.webchat import portal_channel
from omni.auth import audience_required

logger = logging.getLogger(__name__)


@require_GET
@audience_required
def chat(request):
    channel = portal_channel()
    context = {"nav_chat": True, "channel": None}
    if channel is not None and channel.credential("identity_secret"):
        membership = getattr(request.user, "customer_membership", None)
        identifier = str(membership.contact_id) if membership and membership.contact_id else request.user.email
        context |= {
            "channel": channel,
            # The widget's endpoints live on the staff host (/hooks/); its script is the same static file.
            "base": settings.OMNI_BASE_URL.rstrip("/"),
            "script_url": static("js/webchat.js"),
            "identifier": identifier,
            "identifier_hash": identity_hash(channel, identifier),
        }
    elif channel is not None:
        logger.warning("portal chat: channel %s has no identity secret; the chat is not shown", channel.pk)
    return render(request, "customer/chat/page.html", context)
