"""Shared API plumbing: token auth, permissions, pagination, one error shape, orjson rendering."""

from rest_framework import serializers


def parse(serializer_class: type[serializers.Serializer], request, **kwargs) -> dict:
    """Validate request.data with an `…In` serializer; a 400 naming each bad field otherwise."""
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
