"""What every API view shares: the error format, ids that are numbers, lookups by code that refuse NUL."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ServiceError


def exception_handler(exc, context):
    """DRF's handler, plus a service's refusal (``jianhua.errors.ServiceError``) as its own status with
    ``{"detail": "...", "field": ...}``, and model validation errors as 400s instead of 500s.

    DRF's own errors are ``{"detail": "..."}`` or, for field errors, ``{"field": ["..."]}`` as DRF gives them;
    a request with no valid sign-in adds ``"code": "not_authenticated"`` (or ``"authentication_failed"``).
    """
    if isinstance(exc, ServiceError):
        return Response({"detail": exc.message, "field": exc.field}, status=exc.status_code, headers=exc.headers)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)) and response is not None:
        # Said apart from a refusal, so that a phone's outbox keeps what waits until its officer signs in again.
        response.data["code"] = exc.default_code
    return response


class Router(SimpleRouter):
    """DRF's SimpleRouter, with ids that are numbers: a viewset looked up by its primary key (and not
    naming a ``lookup_value_regex`` of its own) matches digits only, so ``/issues/true/`` or
    ``/issues/null,null/accept/`` is a 404 – not a 500 from the database asked for id "true"."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_field", "pk") in ("pk", "id") and not hasattr(viewset, "lookup_value_regex"):
            viewset = type(viewset.__name__, (viewset,), {"lookup_value_regex": "[0-9]+"})
        return super().get_lookup_regex(viewset, lookup_prefix)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's SlugRelatedField (an object named by its code, username or number), refusing a NUL character
    before the lookup: PostgreSQL cannot compare text holding one and fails the query (a 500), while no
    code holds one. The message is Django's, as DRF's CharField gives it for the same input."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError(ProhibitNullCharactersValidator.message, code="null_characters")
        return super().to_internal_value(data)
