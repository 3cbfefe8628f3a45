"""One error shape for the whole API: `{"code", "detail", "fields"}`; fields maps each bad field to reasons."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import DomainError

logger = logging.getLogger("omni.api")


class ErrorOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField(), help_text="Field name -> list of reasons.")


def _django_fields(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def _first_reason(fields) -> str:
    for name, reasons in (fields or {}).items():
        while isinstance(reasons, list | dict) and reasons:
            reasons = reasons[0] if isinstance(reasons, list) else next(iter(reasons.values()))
        if reasons:
            return f"{name}: {reasons}"
    return "Invalid input."


def _body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        fields = _django_fields(exc)
        return Response(_body("invalid", _first_reason(fields), fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response(_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(_body("invalid", _first_reason(detail), detail), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
        response.data = _body(code, detail if isinstance(detail, str) else str(detail))
        return response
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(_body("server_error", "Internal server error."), status=500)
