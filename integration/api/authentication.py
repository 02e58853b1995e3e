"""`Authorization: Bearer <token>` authentication for integrators."""

import hmac
from functools import cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from integration.access import held_permissions_subquery, remember_held_permissions
from integration.events import set_current_actor
from integration.models import ApiToken
from integration.prepared import Statement
from integration.services import TOKEN_PREFIX, api_token_touch, hash_token


def token_by_secret(raw: str) -> ApiToken | None:
    """The token a raw secret belongs to (in any state) with its user loaded, or None.

    One plain SQL join, a prepared statement on PostgreSQL (integration.prepared): every API
    request asks, and compiling the equivalent ORM query (ApiToken with
    select_related("user"), by prefix) cost more than running it. The state is
    read afresh on every call (nothing cached), so a revoked token fails at once.
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    statement, token_columns, user_columns = _token_query()
    with connection.cursor() as cursor:
        statement.execute(cursor, [raw[: len(TOKEN_PREFIX) + 8]])
        row = cursor.fetchone()
    if row is None:
        return None
    token = _instance(ApiToken, token_columns, row[: len(token_columns)])
    # Constant-time compare: the prefix is public, the rest of the secret is not.
    if not hmac.compare_digest(token.token_hash, hash_token(raw)):
        return None
    user_values = row[len(token_columns) : len(token_columns) + len(user_columns)]
    token.user = _instance(get_user_model(), user_columns, user_values)
    if len(row) > len(token_columns) + len(user_columns):
        # The user's permissions came with the token: the request's checks need no query.
        remember_held_permissions(token.user, row[-1])
    return token


def _instance(model: type[Model], columns: list, values: tuple) -> Model:
    """A model instance from raw column values, converted as the ORM would convert them."""
    converted = []
    for value, (_attname, col, converters) in zip(values, columns, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, [attname for attname, _, _ in columns], converted)


def _columns(model: type[Model], alias: str) -> list:
    """(attname, column expression, converters) of each concrete field, in field order."""
    result = []
    for field in model._meta.concrete_fields:
        col = field.get_col(alias)
        converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        result.append((field.attname, col, converters))
    return result


@cache
def _token_query() -> tuple[Statement, list, list]:
    """The token-and-user join, built once from the models' metadata.

    On PostgreSQL it also carries the user's permissions ("app_label.codename", their own
    and their groups'), so that a request authenticated by a token checks them without
    another query; they are read afresh with the token on every request.
    """
    qn = connection.ops.quote_name
    user_model = get_user_model()
    token_columns = _columns(ApiToken, "t")
    user_columns = _columns(user_model, "u")
    selected = ", ".join(
        [f"t.{qn(field.column)}" for field in ApiToken._meta.concrete_fields]
        + [f"u.{qn(field.column)}" for field in user_model._meta.concrete_fields]
    )
    if connection.vendor == "postgresql":
        selected += f", ARRAY({held_permissions_subquery('u.' + qn(user_model._meta.pk.column))})"
    user_fk = ApiToken._meta.get_field("user")
    sql = (
        f"SELECT {selected} FROM {qn(ApiToken._meta.db_table)} t "  # noqa: S608 - names from the models
        f"INNER JOIN {qn(user_model._meta.db_table)} u "
        f"ON u.{qn(user_model._meta.pk.column)} = t.{qn(user_fk.column)} "
        f"WHERE t.{qn(ApiToken._meta.get_field('prefix').column)} = %s"
    )
    return Statement("tandem_api_token", sql, ("text",)), token_columns, user_columns


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: expected 'Bearer <token>'.")
            )
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        token = token_by_secret(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        self._check_usable(token)
        api_token_touch(token=token)
        set_current_actor(token)  # events published by this request name the token
        return token.user, token

    @staticmethod
    def _check_usable(token: ApiToken) -> None:
        if token.is_revoked:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.is_expired:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's user is inactive."))

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`tdm_…`) created in admin or with "
            "`manage.py create_api_token`.",
        }
