from enum import StrEnum


class SubscribedType(StrEnum):
    PAYMENT_CANCELED = "payment.canceled"
    PAYMENT_EXPIRED = "payment.expired"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_PARTIALLY_REFUNDED = "payment.partially_refunded"
    PAYMENT_PROCESSING = "payment.processing"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    REFUND_FAILED = "refund.failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    VALUE_0 = "*"

    def __str__(self) -> str:
        return str(self.value)
