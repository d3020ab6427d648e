"""Contains all the data models used in inputs/outputs"""

from .field_error import FieldError
from .health import Health
from .list_users_status import ListUsersStatus
from .problem import Problem
from .user import User
from .user_create import UserCreate
from .user_page import UserPage
from .user_role import UserRole
from .user_status import UserStatus
from .user_update import UserUpdate

__all__ = (
    "FieldError",
    "Health",
    "ListUsersStatus",
    "Problem",
    "User",
    "UserCreate",
    "UserPage",
    "UserRole",
    "UserStatus",
    "UserUpdate",
)
