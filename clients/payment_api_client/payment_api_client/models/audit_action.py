from enum import StrEnum


class AuditAction(StrEnum):
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    REFUND_CREATED = "refund.created"
    WEBHOOK_DELIVERY_RETRIED = "webhook_delivery.retried"
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted"
    WEBHOOK_ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated"
    WEBHOOK_EVENT_REPLAYED = "webhook_event.replayed"

    def __str__(self) -> str:
        return str(self.value)
