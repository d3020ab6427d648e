"""Contains all the data models used in inputs/outputs"""

from .checkout_session import CheckoutSession
from .currency import Currency
from .custom_amount_checkout import CustomAmountCheckout
from .event_type import EventType
from .field_error import FieldError
from .gateway_refs import GatewayRefs
from .health import Health
from .inbox_state import InboxState
from .line_item import LineItem
from .line_item_input import LineItemInput
from .line_items_checkout import LineItemsCheckout
from .lower_currency import LowerCurrency
from .money import Money
from .outbound_event import OutboundEvent
from .outbound_event_list import OutboundEventList
from .payment import Payment
from .payment_event_payload import PaymentEventPayload
from .payment_event_type import PaymentEventType
from .payment_list import PaymentList
from .payment_status import PaymentStatus
from .problem import Problem
from .product import Product
from .product_create import ProductCreate
from .product_list import ProductList
from .product_update import ProductUpdate
from .readiness import Readiness
from .readiness_checks import ReadinessChecks
from .refund import Refund
from .refund_create import RefundCreate
from .refund_event_payload import RefundEventPayload
from .refund_event_type import RefundEventType
from .refund_list import RefundList
from .refund_reason import RefundReason
from .refund_status import RefundStatus
from .status_change import StatusChange
from .stripe_event import StripeEvent
from .stripe_event_data import StripeEventData
from .webhook_ack import WebhookAck
from .webhook_event_list import WebhookEventList
from .webhook_event_record import WebhookEventRecord

__all__ = (
    "CheckoutSession",
    "Currency",
    "CustomAmountCheckout",
    "EventType",
    "FieldError",
    "GatewayRefs",
    "Health",
    "InboxState",
    "LineItem",
    "LineItemInput",
    "LineItemsCheckout",
    "LowerCurrency",
    "Money",
    "OutboundEvent",
    "OutboundEventList",
    "Payment",
    "PaymentEventPayload",
    "PaymentEventType",
    "PaymentList",
    "PaymentStatus",
    "Problem",
    "Product",
    "ProductCreate",
    "ProductList",
    "ProductUpdate",
    "Readiness",
    "ReadinessChecks",
    "Refund",
    "RefundCreate",
    "RefundEventPayload",
    "RefundEventType",
    "RefundList",
    "RefundReason",
    "RefundStatus",
    "StatusChange",
    "StripeEvent",
    "StripeEventData",
    "WebhookAck",
    "WebhookEventList",
    "WebhookEventRecord",
)
