"""Query filters of the inventory API lists (django-filter), one FilterSet per resource.

Related objects are filtered by id with integer filters, not model-choice filters.
"""

import django_filters

from integration.api.filters import FilterSet, IdFilter
from inventory import selectors
from inventory.models import Product, PurchaseOrder, ReorderRule, StockMove, Supplier, Warehouse


class ProductFilter(FilterSet):
    category = IdFilter(method="filter_category", help_text="A category id (and its subtree).")
    active = django_filters.BooleanFilter()
    tracked = django_filters.BooleanFilter()
    low_stock = django_filters.BooleanFilter(
        field_name="is_low", help_text="Available below a reorder rule's minimum."
    )
    warehouse = IdFilter(
        method="filter_noop",
        help_text="Stock figures of this warehouse only (default: all warehouses).",
    )

    class Meta:
        model = Product
        fields = ["category", "active", "tracked", "low_stock", "warehouse"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=selectors.category_tree_ids(int(value)))

    def filter_noop(self, queryset, name, value):
        return queryset  # applied by the view through the selector


class WarehouseFilter(FilterSet):
    active = django_filters.BooleanFilter()

    class Meta:
        model = Warehouse
        fields = ["active"]


class StockMoveFilter(FilterSet):
    product = IdFilter(field_name="product_id")
    warehouse = IdFilter(field_name="warehouse_id")
    kind = django_filters.ChoiceFilter(choices=StockMove.Kind.choices)
    reference = django_filters.CharFilter()

    class Meta:
        model = StockMove
        fields = ["product", "warehouse", "kind", "reference"]


class SupplierFilter(FilterSet):
    active = django_filters.BooleanFilter()

    class Meta:
        model = Supplier
        fields = ["active"]


class PurchaseOrderFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=PurchaseOrder.Status.choices)
    supplier = IdFilter(field_name="supplier_id")
    warehouse = IdFilter(field_name="warehouse_id")
    source = django_filters.ChoiceFilter(choices=PurchaseOrder.Source.choices)

    class Meta:
        model = PurchaseOrder
        fields = ["status", "supplier", "warehouse", "source"]


class ReorderRuleFilter(FilterSet):
    product = IdFilter(field_name="product_id")
    warehouse = IdFilter(field_name="warehouse_id")
    active = django_filters.BooleanFilter()

    class Meta:
        model = ReorderRule
        fields = ["product", "warehouse", "active"]
