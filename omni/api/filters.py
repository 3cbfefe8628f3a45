from rest_framework import filters


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at`. Unknown fields are a 400 naming the field, not silently ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        from rest_framework.exceptions import ValidationError

        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        bad = [term for term in fields if term.lstrip("-") not in valid]
        if bad:
            raise ValidationError(
                {"ordering": [f"Cannot order by {', '.join(bad)}; choose from {', '.join(sorted(valid))}."]}
            )
        # The primary key breaks ties so limit/offset pages never repeat or skip rows.
        return [*fields, "pk"] if fields else fields
