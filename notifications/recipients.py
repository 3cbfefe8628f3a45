"""Who a notification goes to, as plain data: notifications never imports the apps people live in.

A recipient's `key` is stable (`omni.user:<uuid>`, `crm.contact:<uuid>`); preferences and quiet hours attach
to it. Apps build recipients from their own models (crm.selectors.contact_recipient, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Recipient:
    key: str
    name: str = ""
    email: str = ""
    phone: str = ""  # E.164
    language: str = ""  # empty: the instance's LANGUAGE_CODE
    time_zone: str = ""  # empty: the instance's TIME_ZONE
    user_id: UUID | None = None  # users also get in-app and web push notifications

    @classmethod
    def for_user(cls, user) -> Recipient:
        """A user as a recipient: their email, their profile's phone (so SMS reaches staff) and time zone (their
        quiet hours follow it when they name none of their own), language, and in-app and push by user id."""
        phone = getattr(user, "phone", None)
        return cls(
            key=f"omni.user:{user.pk}",
            name=user.get_full_name(),
            email=user.email,
            phone=phone.as_e164 if phone and phone.is_valid() else "",
            language=getattr(user, "language", "") or "",
            time_zone=getattr(user, "time_zone", "") or "",
            user_id=user.pk,
        )


@dataclass(frozen=True)
class Attachment:
    """A file sent with a notification's email (notify's `attachments`), as plain data."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"
