from typing import Literal

UserCreateRole = Literal["admin", "customer"]

USER_CREATE_ROLE_VALUES: set[UserCreateRole] = {
    "admin",
    "customer",
}


def check_user_create_role(value: str) -> UserCreateRole:
    if value in USER_CREATE_ROLE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {USER_CREATE_ROLE_VALUES!r}")
