from rest_framework import pagination


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
