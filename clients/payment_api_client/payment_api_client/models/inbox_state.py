from enum import StrEnum


class InboxState(StrEnum):
    FAILED = "failed"
    PROCESSED = "processed"
    RECEIVED = "received"

    def __str__(self) -> str:
        return str(self.value)
