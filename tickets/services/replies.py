"""Replies with their files and mentions: what the console's and the portals' reply forms call (reply_post), in
one transaction, so a reply whose file is refused leaves no comment behind.

Files are checked before anything is written: at most TICKET_ATTACHMENT_MAX_FILES per reply, each at most
TICKET_ATTACHMENT_MAX_BYTES, with an extension from TICKET_ATTACHMENT_EXTENSIONS; images and PDFs must start with
their format's signature (a renamed executable is refused). They are stored through Django's default storage
under a random name; the original name is kept for the download, which only selectors-checked views serve."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePath
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from omni.choices import Audience
from omni.models import User

from .. import events
from ..models import TicketAttachment, TicketComment
from .desk import comment_add, staff_users

__all__ = ["attachments_check", "attachments_store", "files_removed_on_failure", "mentions_in", "reply_post"]

# The first bytes each of these formats starts with: a file named .png that is not a PNG is refused.
SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
    "webp": (b"RIFF",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",),
    "ods": (b"PK\x03\x04",),
}
# @alice or @alice.o (a staff user's email local part, unique among active staff) in a reply's text.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][\w.+-]*[A-Za-z0-9_])")


def _extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def attachments_check(files: Sequence[UploadedFile]) -> None:
    """ValidationError keyed `files` naming the file and the reason, for the first rule a file breaks."""
    limit, allowed = settings.TICKET_ATTACHMENT_MAX_BYTES, settings.TICKET_ATTACHMENT_EXTENSIONS
    if len(files) > settings.TICKET_ATTACHMENT_MAX_FILES:
        raise ValidationError(
            {"files": [_("At most %(n)d files per reply.") % {"n": settings.TICKET_ATTACHMENT_MAX_FILES}]}
        )
    for upload in files:
        name, extension = upload.name or "", _extension(upload.name or "")
        if upload.size > limit:
            raise ValidationError(
                {
                    "files": [
                        _("%(name)s is %(size)s; the limit is %(limit)s.")
                        % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
                    ]
                }
            )
        if extension not in allowed:
            raise ValidationError(
                {
                    "files": [
                        _("%(name)s: .%(ext)s files are not accepted (allowed: %(allowed)s).")
                        % {"name": name, "ext": extension or "?", "allowed": ", ".join(sorted(allowed))}
                    ]
                }
            )
        if extension in SIGNATURES:
            upload.seek(0)
            head = upload.read(16)
            upload.seek(0)
            if not head.startswith(SIGNATURES[extension]):
                raise ValidationError(
                    {"files": [_("%(name)s is not a real .%(ext)s file.") % {"name": name, "ext": extension}]}
                )


def mentions_in(body: str, *, explicit: Iterable[UUID] = ()) -> list[User]:
    """The active staff a reply mentions: the ones picked (`explicit`; anyone else is a 400 naming `mention_ids`)
    plus every @name in the text that is exactly one active staff user's email local part."""
    handles = {handle.lower() for handle in MENTION.findall(body)}
    users = {user.pk: user for user in staff_users(explicit, "mention_ids")} if explicit else {}
    if handles:
        candidates = User.objects.filter(audience=Audience.STAFF, is_active=True)
        by_handle: dict[str, list[User]] = {}
        for user in candidates.filter(email__iregex=r"^(" + "|".join(re.escape(h) for h in handles) + r")@"):
            by_handle.setdefault(user.email.split("@")[0].lower(), []).append(user)
        for matches in by_handle.values():
            if len(matches) == 1:
                users.setdefault(matches[0].pk, matches[0])
    return list(users.values())


def attachments_store(
    files: Sequence[UploadedFile], *, ticket_id: UUID, comment: TicketComment | None, by: User, stored: list
) -> None:
    """Write each file (appending its row to `stored` as it goes, so a failure can remove what was written: see
    files_removed_on_failure), then insert the rows in one statement. A file is as visible as its comment; one
    without a comment (opened with the ticket) is public."""
    for upload in files:
        attachment = TicketAttachment(
            ticket_id=ticket_id,
            comment=comment,
            name=PurePath(upload.name).name[:255],
            content_type=mimetypes.guess_type(upload.name)[0] or "application/octet-stream",
            size=upload.size,
            uploaded_by=by,
            public=comment.public if comment else True,
        )
        attachment.file.save(upload.name, upload, save=False)
        stored.append(attachment)
    TicketAttachment.objects.bulk_create(stored)


@contextmanager
def files_removed_on_failure() -> Iterator[list[TicketAttachment]]:
    """A list for attachments_store: when the block fails (its transaction rolled back), the files written for
    the rows are removed from storage too. Put it outside the transaction, so a failing commit counts."""
    stored: list[TicketAttachment] = []
    try:
        yield stored
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


def reply_post(
    *,
    ticket_id: UUID,
    author: User,
    body: str,
    public: bool = True,
    files: Sequence[UploadedFile] = (),
    mention_ids: Iterable[UUID] = (),
) -> TicketComment:
    """A reply or internal note (services.comment_add's rules) with its files and mentions, in one transaction.
    Mentions are for staff replies only: each mentioned person is notified (tickets.comment.mentioned) once;
    someone mentioned in an internal note sees it because they are staff."""
    files = list(files)
    attachments_check(files)
    staff = author.audience == Audience.STAFF
    with files_removed_on_failure() as stored, transaction.atomic():
        mentioned = mentions_in(body, explicit=mention_ids) if staff else []
        comment = comment_add(ticket_id=ticket_id, author=author, body=body, public=public)
        if files:
            attachments_store(files, ticket_id=comment.ticket_id, comment=comment, by=author, stored=stored)
        if mentioned:
            comment.mentions.set(mentioned)
            events.comment_mentioned(comment.pk, [user for user in mentioned if user.pk != author.pk])
    return comment
