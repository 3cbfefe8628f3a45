"""Invitations: a new user without a password gets a link to set one on their own portal's host."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .context_processors import portal_name
from .hosts import portal_home_url, portal_url
from .models import User


def invitation_send(*, user_id) -> bool:
    """Email the set-password link (a worker runs this: omni.tasks.invitation_send_task). Safe to repeat: each
    link works once and expires like a password reset. Sends nothing to a user who is gone, inactive or has
    chosen a password meanwhile. SMTP errors propagate (the task retries them). Returns whether it sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return False
    link = portal_url(
        user.audience,
        "account_reset_password_from_key",
        uidb36=user_pk_to_url_str(user),
        key=default_token_generator.make_token(user),
    )
    context = {
        "user": user,
        "link": link,
        "portal_name": portal_name(user.audience),
        "portal_url": portal_home_url(user.audience),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation.txt", context)
    send_mail(subject, body, None, [user.email])
    return True
