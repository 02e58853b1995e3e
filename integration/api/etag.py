"""Optimistic locking for model viewsets: `ETag` on reads, `If-Match` on PUT/PATCH, 304s.

An object's ETag is its `version` (`"7"`) when the model has an integer `version` field,
else its `updated_at` in microseconds since the epoch (`"1795760000123456"`). A PUT or
PATCH with an `If-Match` that no longer matches is answered 412 `precondition_failed` and
changes nothing; without `If-Match` it proceeds (the header is optional). A GET with a
matching `If-None-Match` is answered 304 without a body.

Use: `class OrderViewSet(ETagMixin, viewsets.ModelViewSet)`.
"""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models, transaction
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `ETag` of the object as you read it: if it has changed since, the "
    "answer is 412 `precondition_failed` and nothing changes. Optional.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The `ETag` you hold: if it is still current, the answer is 304 without a body.",
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = (
        "The object has changed since you read it (If-Match does not match its ETag): "
        "read it again and reapply your change."
    )


def etag_field(model: type[models.Model]) -> str:
    """The field an ETag is made from: `version` if it is an integer field, else `updated_at`."""
    try:
        if isinstance(model._meta.get_field("version"), models.IntegerField):
            return "version"
    except FieldDoesNotExist:
        pass
    try:
        model._meta.get_field("updated_at")
    except FieldDoesNotExist as exc:
        raise ImproperlyConfigured(
            f"{model.__name__} has neither an integer `version` nor `updated_at` for its ETag."
        ) from exc
    return "updated_at"


def etag_for(obj: models.Model) -> str:
    """The object's strong ETag, quoted as HTTP wants it."""
    field = etag_field(type(obj))
    value = getattr(obj, field)
    if field == "updated_at":
        value = (value - _EPOCH) // _MICROSECOND
    return f'"{value}"'


def etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    """Whether an If-Match (strong comparison) or If-None-Match (weak) header names `etag`."""
    tags = parse_etags(header)
    if "*" in tags:
        return True
    if weak:
        return etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in tags}
    return etag in tags


# ETags and conditional requests for a ModelViewSet's retrieve, update and partial_update.
# A write compares If-Match and saves in one transaction, with the object's row locked
# (select_for_update) before it is read, so no concurrent write slips in between. (A comment,
# not a docstring: the schema generator would show it as the description of every operation
# of a viewset without its own docstring.)
class ETagMixin:
    _etag_locked_object: models.Model | None = None

    def get_object(self):
        if self._etag_locked_object is not None:
            return self._etag_locked_object
        return super().get_object()

    @extend_schema(parameters=[IF_NONE_MATCH])
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        etag = etag_for(instance)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None and etag_matches(if_none_match, etag, weak=True):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(instance).data, headers={"ETag": etag})

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self._locked_object()
            if_match = request.headers.get("If-Match")
            if if_match is not None and not etag_matches(if_match, etag_for(instance), weak=False):
                raise PreconditionFailed
            self._etag_locked_object = instance
            try:
                response = self.apply_update(request, *args, **kwargs)
            finally:
                self._etag_locked_object = None
            # The service that saved may have used its own copy of the object.
            instance.refresh_from_db(fields=[etag_field(type(instance))])
            response["ETag"] = etag_for(instance)
        return response

    def apply_update(self, request, *args, **kwargs):
        """The update proper, run after If-Match passed: override to call a service."""
        return super().update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def _locked_object(self) -> models.Model:
        # Resolve the object as the view sees it (filters, 404, object permissions), lock
        # its row, then read it again: a write that committed between the first read and
        # the lock is then seen.
        obj = super().get_object()
        model = type(obj)
        list(model._base_manager.select_for_update().filter(pk=obj.pk).values_list("pk"))
        return super().get_object()
