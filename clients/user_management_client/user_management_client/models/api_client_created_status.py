from typing import Literal

ApiClientCreatedStatus = Literal["active", "expired", "revoked"]

API_CLIENT_CREATED_STATUS_VALUES: set[ApiClientCreatedStatus] = {
    "active",
    "expired",
    "revoked",
}


def check_api_client_created_status(value: str) -> ApiClientCreatedStatus:
    if value in API_CLIENT_CREATED_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {API_CLIENT_CREATED_STATUS_VALUES!r}")
