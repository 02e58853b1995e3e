"""Serializer fields the domain APIs share: UTC times, money and quantities.

Money is a decimal string with 2 places, quantities with 3 (the models' `max_digits=14`);
both must be positive unless a caller gives another `min_value`.
"""

from datetime import UTC
from decimal import Decimal

from django.db import models
from rest_framework import serializers

ONE_CENT = Decimal("0.01")
ONE_MILLI = Decimal("0.001")


class UtcDateTimeField(serializers.DateTimeField):
    """Times in UTC ("…Z"): a local zone's historical offsets (Helsinki's +01:39:49 before
    1921) are not valid RFC 3339."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


# An answer's shape: e-mail and URL fields are plain strings, since "" (not given) is
# neither a valid e-mail nor a URI to a schema validator; times are in UTC. (A comment,
# not a docstring: the schema would show it on every serializer without its own.)
class OutputSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.EmailField: serializers.CharField,
        models.URLField: serializers.CharField,
        models.DateTimeField: UtcDateTimeField,
    }


def money_field(**kwargs) -> serializers.DecimalField:
    """An amount: at most 2 decimals, positive unless `min_value` says otherwise."""
    kwargs.setdefault("min_value", ONE_CENT)
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def quantity_field(**kwargs) -> serializers.DecimalField:
    """A quantity: at most 3 decimals, positive unless `min_value` says otherwise."""
    kwargs.setdefault("min_value", ONE_MILLI)
    return serializers.DecimalField(max_digits=14, decimal_places=3, **kwargs)
