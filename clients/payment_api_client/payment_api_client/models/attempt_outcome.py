from enum import StrEnum


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    REFUSED = "refused"

    def __str__(self) -> str:
        return str(self.value)
