"""Sales domain errors: business-rule conflicts with stable codes (see integration.errors).

A confirmation that finds too little stock raises inventory's `InsufficientStock`
(code "insufficient_stock", with the short `lines`), unchanged.
"""

from integration.errors import DomainError


class InvalidTransition(DomainError):
    """The document's status does not allow the action (confirming a cancelled order)."""

    code = "invalid_transition"
    default_detail = "This action is not allowed in the document's current status."

    def __init__(self, detail: str | None = None, *, status: str, action: str, **extra) -> None:
        detail = detail or f"Cannot {action} a document that is {status.replace('_', ' ')}."
        super().__init__(detail, status=status, action=action, **extra)


class NotEditable(DomainError):
    code = "not_editable"
    default_detail = "Only drafts can be edited."


class QuoteAlreadyAccepted(DomainError):
    code = "quote_already_accepted"
    default_detail = "This quote has already been accepted."


class QuoteExpired(DomainError):
    code = "quote_expired"
    default_detail = "This quote is past its validity date."


class OrderAlreadyShipped(DomainError):
    code = "order_shipped"
    default_detail = "Shipped goods cannot be cancelled: the order is (partly) delivered."


class OverShipment(DomainError):
    code = "over_shipment"
    default_detail = "More than the line's outstanding quantity cannot be shipped."


class NothingToShip(DomainError):
    code = "nothing_to_ship"
    default_detail = "Every line of this order has been shipped."


class NoWarehouse(DomainError):
    code = "no_warehouse"
    default_detail = "No default warehouse: create a warehouse or name one on the order."


class ContractEnded(DomainError):
    code = "contract_ended"
    default_detail = "This contract has ended."
