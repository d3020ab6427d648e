"""Contains all the data models used in inputs/outputs"""

from .actor_type import ActorType
from .attempt_outcome import AttemptOutcome
from .audit_action import AuditAction
from .audit_actor import AuditActor
from .audit_event import AuditEvent
from .audit_event_details import AuditEventDetails
from .audit_event_list import AuditEventList
from .checkout_session import CheckoutSession
from .currency import Currency
from .custom_amount_checkout import CustomAmountCheckout
from .delivery_attempt import DeliveryAttempt
from .delivery_attempt_list import DeliveryAttemptList
from .delivery_state import DeliveryState
from .endpoint_status import EndpointStatus
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
from .secret_rotation import SecretRotation
from .status_change import StatusChange
from .stripe_event import StripeEvent
from .stripe_event_data import StripeEventData
from .subscribed_type import SubscribedType
from .webhook_ack import WebhookAck
from .webhook_delivery import WebhookDelivery
from .webhook_delivery_list import WebhookDeliveryList
from .webhook_endpoint import WebhookEndpoint
from .webhook_endpoint_create import WebhookEndpointCreate
from .webhook_endpoint_list import WebhookEndpointList
from .webhook_endpoint_update import WebhookEndpointUpdate
from .webhook_endpoint_with_secret import WebhookEndpointWithSecret
from .webhook_event_list import WebhookEventList
from .webhook_event_record import WebhookEventRecord

__all__ = (
    "ActorType",
    "AttemptOutcome",
    "AuditAction",
    "AuditActor",
    "AuditEvent",
    "AuditEventDetails",
    "AuditEventList",
    "CheckoutSession",
    "Currency",
    "CustomAmountCheckout",
    "DeliveryAttempt",
    "DeliveryAttemptList",
    "DeliveryState",
    "EndpointStatus",
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
    "SecretRotation",
    "StatusChange",
    "StripeEvent",
    "StripeEventData",
    "SubscribedType",
    "WebhookAck",
    "WebhookDelivery",
    "WebhookDeliveryList",
    "WebhookEndpoint",
    "WebhookEndpointCreate",
    "WebhookEndpointList",
    "WebhookEndpointUpdate",
    "WebhookEndpointWithSecret",
    "WebhookEventList",
    "WebhookEventRecord",
)
