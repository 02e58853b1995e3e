"""Pages of sales, under /sales/."""

from django.urls import path

from sales.views import contracts, dashboard, editor, orders, quotes

app_name = "sales"

urlpatterns = [
    path("", dashboard.index, name="index"),
    # quotes
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/new/", quotes.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/print/", quotes.quote_print, name="quote_print"),
    path("quotes/<int:pk>/send/", quotes.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quotes.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quotes.quote_reject, name="quote_reject"),
    # orders
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_create, name="order_create"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", orders.order_edit, name="order_edit"),
    path("orders/<int:pk>/confirm/", orders.order_confirm, name="order_confirm"),
    path("orders/<int:pk>/ship/", orders.order_ship, name="order_ship"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/close/", orders.order_close, name="order_close"),
    # contracts
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/new/", contracts.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", contracts.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/end/", contracts.contract_end, name="contract_end"),
    # the line editor's helpers (htmx) and its product picker
    path("lines/totals/", editor.line_totals, name="line_totals"),
    path("lines/new/", editor.line_row, name="line_row"),
    path("lookups/products/", editor.product_lookup, name="product_lookup"),
]
