from typing import Literal

UserUpdateRole = Literal["admin", "customer"]

USER_UPDATE_ROLE_VALUES: set[UserUpdateRole] = {
    "admin",
    "customer",
}


def check_user_update_role(value: str) -> UserUpdateRole:
    if value in USER_UPDATE_ROLE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {USER_UPDATE_ROLE_VALUES!r}")
