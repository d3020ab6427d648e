from enum import StrEnum


class PaymentStatus(StrEnum):
    CANCELED = "canceled"
    EXPIRED = "expired"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    PENDING = "pending"
    PROCESSING = "processing"
    REFUNDED = "refunded"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
