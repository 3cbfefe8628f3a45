import base64
import binascii
import copy
from urllib import parse

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.settings import api_settings


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`?limit=&offset=` with `count`, `next`, `previous`, `results`. Lists that read rows (not models)
    call `paginate_rows`, which counts the base queryset and maps only the page."""

    default_limit = 50
    max_limit = 1000

    def paginate_rows(self, queryset, request, to_rows, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count = self.get_count(queryset)
        if self.count == 0 or self.offset > self.count:
            return []
        return to_rows(queryset[self.offset : self.offset + self.limit])


class CursorPagination(pagination.CursorPagination):
    """`?cursor=&limit=` with `next`, `previous`, `results` and no `count`: for append-only logs that grow without
    bound (deliveries, webhook messages, the in-app inbox), where counting every row on every page costs more than
    the page. Newest first; rows created in the same microsecond keep their order by id. A cursor that was not
    made here is a 400 naming `cursor` (DRF's own answer is a 404)."""

    page_size = api_settings.PAGE_SIZE
    page_size_query_param = "limit"
    page_size_query_description = "Number of results to return per page (at most 1000)."
    max_page_size = 1000
    ordering = ("-created_at", "-id")
    invalid_cursor_message = "This cursor is not valid; use the next or previous link of an earlier page."

    def _invalid(self):
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None:
            # DRF decodes leniently: characters outside base64 are dropped, so "%%%" reads as the first page.
            try:
                fields = parse.parse_qs(base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii"))
            except (binascii.Error, UnicodeError, ValueError):
                raise self._invalid() from None
            if not fields:
                raise self._invalid()
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid() from None

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError:  # a well-formed cursor whose position is not a value of the ordering field
            raise self._invalid() from None


def cursor_page(queryset, request, *, page_size: int, ordering: tuple[str, ...] = CursorPagination.ordering) -> dict:
    """A page of `queryset` for an HTML page, by cursor, as the API pages its logs: {"rows", "next", "previous"},
    the links as query strings (`?…&cursor=…`) keeping the page's other parameters. No count, no page numbers.
    A cursor that is not valid (an old or edited link) starts again at the first page."""
    paginator = CursorPagination()
    paginator.page_size, paginator.page_size_query_param, paginator.ordering = page_size, None, ordering
    drf_request = Request(request)
    try:
        rows = paginator.paginate_queryset(queryset, drf_request)
    except exceptions.ValidationError:
        query = request.GET.copy()
        query.pop(paginator.cursor_query_param, None)
        request = copy.copy(request)
        request.GET = query
        drf_request = Request(request)
        rows = paginator.paginate_queryset(queryset, drf_request)

    def link(url):
        return "?" + parse.urlsplit(url).query if url else ""

    return {"rows": rows, "next": link(paginator.get_next_link()), "previous": link(paginator.get_previous_link())}
