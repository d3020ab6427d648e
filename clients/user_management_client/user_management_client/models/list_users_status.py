from typing import Literal

ListUsersStatus = Literal["active", "deactivated"]

LIST_USERS_STATUS_VALUES: set[ListUsersStatus] = {
    "active",
    "deactivated",
}


def check_list_users_status(value: str) -> ListUsersStatus:
    if value in LIST_USERS_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_USERS_STATUS_VALUES!r}")
