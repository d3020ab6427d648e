"""Contains all the data models used in inputs/outputs"""

from .accepted import Accepted
from .api_client import ApiClient
from .api_client_create import ApiClientCreate
from .api_client_create_scopes_item import ApiClientCreateScopesItem
from .api_client_created import ApiClientCreated
from .api_client_created_status import ApiClientCreatedStatus
from .api_client_page import ApiClientPage
from .api_client_status import ApiClientStatus
from .audit_actor import AuditActor
from .audit_actor_kind import AuditActorKind
from .audit_event import AuditEvent
from .audit_event_action import AuditEventAction
from .audit_event_details import AuditEventDetails
from .audit_event_page import AuditEventPage
from .email_verification import EmailVerification
from .field_error import FieldError
from .health import Health
from .jwk import Jwk
from .jwks import Jwks
from .list_audit_events_action import ListAuditEventsAction
from .list_users_status import ListUsersStatus
from .password_reset import PasswordReset
from .password_reset_request import PasswordResetRequest
from .problem import Problem
from .refresh_request import RefreshRequest
from .token_request import TokenRequest
from .token_request_grant_type import TokenRequestGrantType
from .token_response import TokenResponse
from .token_response_token_type import TokenResponseTokenType
from .totp_code import TotpCode
from .totp_enrolment import TotpEnrolment
from .totp_enrolment_request import TotpEnrolmentRequest
from .totp_recovery_codes import TotpRecoveryCodes
from .user import User
from .user_create import UserCreate
from .user_create_role import UserCreateRole
from .user_page import UserPage
from .user_role import UserRole
from .user_status import UserStatus
from .user_update import UserUpdate
from .user_update_role import UserUpdateRole

__all__ = (
    "Accepted",
    "ApiClient",
    "ApiClientCreate",
    "ApiClientCreated",
    "ApiClientCreatedStatus",
    "ApiClientCreateScopesItem",
    "ApiClientPage",
    "ApiClientStatus",
    "AuditActor",
    "AuditActorKind",
    "AuditEvent",
    "AuditEventAction",
    "AuditEventDetails",
    "AuditEventPage",
    "EmailVerification",
    "FieldError",
    "Health",
    "Jwk",
    "Jwks",
    "ListAuditEventsAction",
    "ListUsersStatus",
    "PasswordReset",
    "PasswordResetRequest",
    "Problem",
    "RefreshRequest",
    "TokenRequest",
    "TokenRequestGrantType",
    "TokenResponse",
    "TokenResponseTokenType",
    "TotpCode",
    "TotpEnrolment",
    "TotpEnrolmentRequest",
    "TotpRecoveryCodes",
    "User",
    "UserCreate",
    "UserCreateRole",
    "UserPage",
    "UserRole",
    "UserStatus",
    "UserUpdate",
    "UserUpdateRole",
)
