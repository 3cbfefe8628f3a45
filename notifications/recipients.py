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
        return cls(
            key=f"omni.user:{user.pk}",
            name=user.get_full_name(),
            email=user.email,
            language=getattr(user, "language", "") or "",
            user_id=user.pk,
        )
