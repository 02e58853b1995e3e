"""The service-backed CRUD viewset every domain API builds on, with its schema helper.

Every write validates with an input serializer and calls a service; answers use the output
serializer. PUT and PATCH take `If-Match` (ETagMixin). A subclass names its `api_scope`,
serializers, selector (`get_queryset`) and `service_create` / `service_update` /
`service_delete`.
"""

from typing import Any, ClassVar

from django.db.models import ProtectedError, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from integration.api.etag import IF_MATCH, IF_NONE_MATCH, ETagMixin
from integration.api.pagination import CursorPagination
from integration.errors import DomainError

NOT_MODIFIED = OpenApiResponse(description="Not modified: your `If-None-Match` is current.")


class InUse(DomainError):
    code = "protected"
    default_detail = "Other records still refer to this one: it cannot be deleted."


def crud_schema(output, create_input, update_input):
    """The schema of a CRUD viewset whose writes take input serializers and answer `output`."""
    return extend_schema_view(
        create=extend_schema(request=create_input, responses={201: output}),
        update=extend_schema(request=update_input, responses=output, parameters=[IF_MATCH]),
        partial_update=extend_schema(request=update_input, responses=output, parameters=[IF_MATCH]),
        retrieve=extend_schema(
            responses={200: output, 304: NOT_MODIFIED}, parameters=[IF_NONE_MATCH]
        ),
    )


def validated(
    serializer_class, data, *, instance=None, partial: bool = False, flat: bool = False
) -> dict[str, Any]:
    """`data` validated by `serializer_class`, or a 400 `{field: [messages]}`.

    `flat`: errors nested in lists of objects (`lines`) become messages naming the line,
    `{"lines": ["Line 2, quantity: …"]}`, instead of a list of per-line error objects.
    """
    serializer = serializer_class(instance, data=data, partial=partial)
    if flat:
        if not serializer.is_valid():
            raise serializers.ValidationError(
                {field: _flat(errors) for field, errors in serializer.errors.items()}
            )
    else:
        serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _flat(errors: Any, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        return [
            message
            for key, value in errors.items()
            for message in _flat(value, f"{prefix}{_label(key)}")
        ]
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        return [
            message
            for index, item in enumerate(errors, start=1)
            if item
            for message in _flat(item, f"{prefix}Line {index}, ")
        ]
    return [f"{prefix}{message}" for message in errors]


def _label(key: Any) -> str:
    if isinstance(key, int):
        return f"Line {key + 1}, "
    return "" if key == "non_field_errors" else f"{key}: "


class SelectorSearchFilter(filters.SearchFilter):
    """Documents `?search=`; the view hands the term to its selector, which knows what a
    match is for its resource (an account matches by its contacts' names and e-mails too)."""

    def filter_queryset(self, request, queryset, view):
        return queryset


class FieldSearchFilter(filters.SearchFilter):
    """DRF's search over the view's `search_fields`; a term it refuses (a NUL character) is
    a 400 naming `search`."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.search_param: exc.detail}) from exc


# ETags, cursor pages, filters and the create/update/delete flow shared by the resources
# of the domain APIs. (A comment, not a docstring: the schema would show it on every
# operation of a subclass without its own.) No `api_scope` here: permissions fall back to
# the model's app when a view names none, so each subclass sets its own.
class ServiceModelViewSet(ETagMixin, viewsets.ModelViewSet):
    pagination_class = CursorPagination
    filter_backends: ClassVar = [DjangoFilterBackend, SelectorSearchFilter, filters.OrderingFilter]
    create_serializer_class: ClassVar[type[serializers.Serializer]]
    update_serializer_class: ClassVar[type[serializers.Serializer]]
    detail_url_name: ClassVar[str]
    # Answer a write with the object read back through `get_queryset` (its annotations and
    # prefetches), not the instance the service returned.
    reload_after_write: ClassVar[bool] = False
    # Input errors nested in lines as flat messages (see `validated`).
    flat_errors: ClassVar[bool] = False

    def validated(self, serializer_class, data, **kwargs) -> dict[str, Any]:
        return validated(serializer_class, data, flat=self.flat_errors, **kwargs)

    def search_term(self) -> str:
        """The list's `?search=` term, validated (no NUL characters, for one)."""
        if self.action != "list":
            return ""
        raw = self.request.query_params.get(SelectorSearchFilter.search_param, "")
        try:
            return serializers.CharField(allow_blank=True).run_validation(raw)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                {SelectorSearchFilter.search_param: exc.detail}
            ) from exc

    def searched(self, queryset, *fields: str):
        """`queryset` narrowed to rows where any of `fields` contains the `?search=` term."""
        term = self.search_term()
        if not term:
            return queryset
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": term})
        return queryset.filter(match)

    def reload(self, instance):
        """The object as the list shows it (annotations, prefetches) after a write."""
        return self.get_queryset().get(pk=instance.pk)

    def answer(self, instance) -> Any:
        """The output serializer's data of a written object."""
        if self.reload_after_write:
            instance = self.reload(instance)
        return self.get_serializer(instance).data

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self.validated(self.create_serializer_class, request.data)
        instance = self.service_create(data)
        location = reverse(self.detail_url_name, args=[instance.pk], request=request)
        return Response(
            self.answer(instance), status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def apply_update(self, request: Request, *args, **kwargs) -> Response:
        # Runs after ETagMixin checked If-Match, with the row locked.
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        data = self.validated(
            self.update_serializer_class, request.data, instance=instance, partial=partial
        )
        return Response(self.answer(self.service_update(instance, data)))

    def perform_destroy(self, instance) -> None:
        try:
            self.service_delete(instance)
        except ProtectedError as exc:
            raise InUse from exc

    def service_create(self, data: dict[str, Any]):
        raise NotImplementedError

    def service_update(self, instance, data: dict[str, Any]):
        raise NotImplementedError

    def service_delete(self, instance) -> None:
        raise NotImplementedError
