"""Writes to users that every app shares."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .exceptions import Conflict
from .invitations import invitation_send
from .models import User


def portal_user_create(*, email: str, password: str | None, full_name: str, audience: str) -> User:
    """A portal user (not staff). Without a password they get an invitation email to set one, after commit.
    Conflict (409) when the email is taken, also when a concurrent request takes it first."""
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("A user with email %(email)s already exists.") % {"email": email}, fields={"email": ["exists"]}
        )
    user = User(email=email, full_name=full_name, audience=audience, is_staff=False)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # set through the invitation link
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent invite of the same email won the unique constraint
        raise Conflict(_("A user with email %(email)s already exists.") % {"email": email}) from None
    if not password:
        transaction.on_commit(lambda: invitation_send(user_id=user.pk))
    return user
