from typing import Literal

ApiClientStatus = Literal["active", "expired", "revoked"]

API_CLIENT_STATUS_VALUES: set[ApiClientStatus] = {
    "active",
    "expired",
    "revoked",
}


def check_api_client_status(value: str) -> ApiClientStatus:
    if value in API_CLIENT_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {API_CLIENT_STATUS_VALUES!r}")
