"""/attachments/<id>/ on every host: a ticket's file, downloaded by someone who may see it. The file is looked up
through tickets.selectors.attachment_list_visible_to, so another account's file, or a file on an internal note
asked for by a portal user, is a 404 (as if it did not exist). Always a download (Content-Disposition:
attachment, nosniff), never rendered inline: an uploaded HTML or SVG file cannot run in our origin."""

from django.http import FileResponse, Http404
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from omni.auth import audience_required
from tickets import selectors

app_name = "attachments"


@require_GET
@audience_required
@cache_control(private=True, max_age=0)
def attachment_download(request, pk):
    attachment = selectors.attachment_list_visible_to(user=request.user).filter(pk=pk).first()
    if attachment is None or not attachment.file.storage.exists(attachment.file.name):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [path("<uuid:pk>/", attachment_download, name="download")]
