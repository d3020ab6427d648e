"""Marshmallow schemas of the users API; they mirror specs/user_management.yaml."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from user_management_service.domain.api_clients import SCOPES, ClientStatus
from user_management_service.domain.audit import ActorKind, AuditAction
from user_management_service.domain.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    common_passwords,
)
from user_management_service.domain.users import Page, Role, Status, normalise_email
from user_management_service.domain.users import User as DomainUser

NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]+$"
NO_NUL = r"^[^\x00]*$"
CURSOR = r"^[0-9]{1,18}$"
GRANT_TYPES = ("password", "client_credentials")


def encodable(value: str) -> None:
    """Lone surrogates (valid JSON escapes) cannot be stored or hashed: reject them as input."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Not a valid Unicode string.") from None


def unique_items(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Each item may be given once.")


def fits_once_normalised(value: str) -> None:
    """Lower-casing can lengthen a string (e.g. U+0130): the stored form must fit too."""
    if len(normalise_email(value)) > 254:
        raise ValidationError("Longer than maximum length 254 once lower-cased.")


def email_field(**kwargs: Any) -> fields.Email:
    return fields.Email(
        validate=[validate.Length(max=254), encodable, fits_once_normalised],
        metadata={"description": "Normalised (trimmed, lower-cased) on input."},
        **kwargs,
    )


def full_name_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=200), validate.Regexp(NO_CONTROL_CHARS), encodable],
        **kwargs,
    )


def not_common(value: str) -> None:
    if value.strip().lower() in common_passwords():
        raise ValidationError("This password is one of the most common passwords; choose another.")


def password_field(**kwargs: Any) -> fields.String:
    return fields.String(
        load_only=True,
        validate=[
            validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH),
            encodable,
            not_common,
        ],
        metadata={"description": "Write-only; stored as an Argon2id hash, never returned."},
        **kwargs,
    )


def role_field(**kwargs: Any) -> fields.Enum[Role]:
    return fields.Enum(Role, by_value=fields.String, **kwargs)


class Problem(Schema):
    """RFC 9457 problem details (only documented here; the answers are built by problems.py)."""

    class Meta:
        # apispec writes a Meta description instead of additionalProperties: the shared
        # schema (specs/common/problem.yaml) is open, as RFC 9457 allows extension members.
        description = (
            "An RFC 9457 problem details object, served as application/problem+json for every"
            " 4xx and 5xx answer."
        )

    type = fields.String(required=True, metadata={"format": "uri-reference"})
    title = fields.String(required=True)
    status = fields.Integer(required=True, validate=validate.Range(min=100, max=599))
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Nested("FieldError"))


class FieldError(Schema):
    class Meta:
        unknown = EXCLUDE  # documented open, like the shared schema

    field = fields.String(required=True)
    message = fields.String(required=True)


class UserCreate(Schema):
    class Meta:
        unknown = RAISE

    email = email_field(required=True)
    full_name = full_name_field(required=True)
    password = password_field(required=True)
    role = role_field()


class UserUpdate(Schema):
    class Meta:
        unknown = RAISE

    email = email_field()
    full_name = full_name_field()
    password = password_field()
    # Only checked, never stored; any string up to the longest password (no policy here: an
    # old password may predate it).
    current_password = fields.String(
        load_only=True, validate=[validate.Length(min=1, max=MAX_PASSWORD_LENGTH), encodable]
    )
    role = role_field()


def rfc3339(moment: datetime) -> str:
    """The platform's timestamp format: RFC 3339 in UTC with `Z` (specs/STYLE.md)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UtcDateTime(fields.AwareDateTime):
    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else rfc3339(value)


class User(Schema):
    id = fields.UUID(required=True, dump_only=True)
    email = fields.String(required=True, dump_only=True, metadata={"format": "email"})
    full_name = fields.String(required=True, dump_only=True)
    role = fields.Enum(Role, by_value=fields.String, required=True, dump_only=True)
    status = fields.Enum(Status, by_value=fields.String, required=True, dump_only=True)
    created_at = UtcDateTime(required=True, dump_only=True)
    updated_at = UtcDateTime(required=True, dump_only=True)
    deactivated_at = UtcDateTime(required=True, dump_only=True, allow_none=True)
    email_verified = fields.Boolean(required=True, dump_only=True)
    email_verified_at = UtcDateTime(required=True, dump_only=True, allow_none=True)
    mfa_enabled = fields.Boolean(required=True, dump_only=True)


def dump_user(user: DomainUser) -> dict[str, Any]:
    """What `User().dump(user)` gives, built directly (same keys, order and values)."""
    deactivated, verified = user.deactivated_at, user.email_verified_at
    return {
        "id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role.value,
        "status": user.status.value,
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
        "deactivated_at": None if deactivated is None else rfc3339(deactivated),
        "email_verified": verified is not None,
        "email_verified_at": None if verified is None else rfc3339(verified),
        "mfa_enabled": user.mfa_enabled,
    }


class UserPage(Schema):
    data = fields.List(fields.Nested(User), required=True, dump_only=True, attribute="items")
    next_cursor = fields.String(required=True, dump_only=True, allow_none=True)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """A `Page` is dumped by `dump_user`: the same output as the fields declared above
        (which still document the response), without marshmallow's generic per-field
        dispatch, ~22% of a 50-user listing in the bench profile."""
        if many or not isinstance(obj, Page):
            return super().dump(obj, many=many)
        return {"data": [dump_user(u) for u in obj.items], "next_cursor": obj.next_cursor}


class ListUsersQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=[validate.Length(max=18), validate.Regexp(CURSOR)])
    email = fields.String(validate=[validate.Length(min=1, max=254), validate.Regexp(NO_NUL)])
    status = fields.Enum(Status, by_value=fields.String)


class TokenRequest(Schema):
    """OAuth2 token request, form-encoded: the password grant (RFC 6749 section 4.3) or the
    client-credentials grant (section 4.4)."""

    class Meta:
        unknown = RAISE

    grant_type = fields.String(validate=validate.OneOf(list(GRANT_TYPES)))
    username = fields.String(validate=[validate.Length(min=1, max=254), encodable])
    password = fields.String(load_only=True, validate=[validate.Length(min=1, max=1024), encodable])
    scope = fields.String(validate=[validate.Length(max=1024), encodable])
    client_id = fields.String(validate=[validate.Length(max=256), encodable])
    client_secret = fields.String(load_only=True, validate=[validate.Length(max=256), encodable])
    otp = fields.String(load_only=True, validate=[validate.Length(min=1, max=64), encodable])

    @validates_schema
    def _grant_fields(self, data: dict[str, Any], **_: Any) -> None:
        """The password grant needs both username and password (422 naming each missing)."""
        if data.get("grant_type", "password") != "password":
            return
        message = "Missing data for required field (the password grant)."
        missing = {name: [message] for name in ("username", "password") if name not in data}
        if missing:
            raise ValidationError(missing)


class TokenResponse(Schema):
    access_token = fields.String(required=True, dump_only=True)
    token_type = fields.String(required=True, dump_only=True, validate=validate.OneOf(["Bearer"]))
    expires_in = fields.Integer(required=True, dump_only=True)
    refresh_token = fields.String(dump_only=True)
    refresh_expires_in = fields.Integer(dump_only=True)
    scope = fields.String(dump_only=True)


class RefreshRequest(Schema):
    class Meta:
        unknown = RAISE

    refresh_token = fields.String(
        required=True, validate=[validate.Length(min=1, max=512), encodable]
    )


def account_token_field() -> fields.String:
    return fields.String(
        required=True, load_only=True, validate=[validate.Length(min=1, max=512), encodable]
    )


class PasswordResetRequest(Schema):
    class Meta:
        unknown = RAISE

    email = email_field(required=True)


class PasswordReset(Schema):
    class Meta:
        unknown = RAISE

    token = account_token_field()
    password = password_field(required=True)


class EmailVerification(Schema):
    class Meta:
        unknown = RAISE

    token = account_token_field()


class Accepted(Schema):
    detail = fields.String(required=True, dump_only=True)


class Jwk(Schema):
    kty = fields.String(required=True, dump_only=True)
    crv = fields.String(required=True, dump_only=True)
    x = fields.String(required=True, dump_only=True)
    kid = fields.String(required=True, dump_only=True)
    alg = fields.String(required=True, dump_only=True)
    use = fields.String(required=True, dump_only=True)


class Jwks(Schema):
    keys = fields.List(fields.Nested(Jwk), required=True, dump_only=True)


class Health(Schema):
    status = fields.String(required=True, dump_only=True)


class ListAuditEventsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=[validate.Length(max=18), validate.Regexp(CURSOR)])
    action = fields.Enum(AuditAction, by_value=fields.String)
    # A UUID is 36 characters: the bound documents what the parse refuses anyway (422).
    actor_id = fields.UUID(metadata={"maxLength": 36})
    target_id = fields.UUID(metadata={"maxLength": 36})


class AuditActor(Schema):
    kind = fields.Enum(ActorKind, by_value=fields.String, required=True, dump_only=True)
    user_id = fields.UUID(required=True, dump_only=True, allow_none=True)
    address = fields.String(required=True, dump_only=True, allow_none=True)
    request_id = fields.String(required=True, dump_only=True, allow_none=True)


class AuditEvent(Schema):
    id = fields.UUID(required=True, dump_only=True)
    at = UtcDateTime(required=True, dump_only=True)
    action = fields.Enum(AuditAction, by_value=fields.String, required=True, dump_only=True)
    actor = fields.Nested(AuditActor, required=True, dump_only=True)
    target_id = fields.UUID(required=True, dump_only=True, allow_none=True)
    details = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True, dump_only=True
    )


class AuditEventPage(Schema):
    data = fields.List(fields.Nested(AuditEvent), required=True, dump_only=True, attribute="items")
    next_cursor = fields.String(required=True, dump_only=True, allow_none=True)


class ApiClientCreate(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(
        required=True, validate=[validate.Length(min=1, max=100), validate.Regexp(NO_CONTROL_CHARS)]
    )
    scopes = fields.List(
        fields.String(validate=validate.OneOf(list(SCOPES))),
        required=True,
        validate=[validate.Length(min=1, max=len(SCOPES)), unique_items],
        metadata={"uniqueItems": True},
    )
    expires_at = fields.AwareDateTime(format="iso", allow_none=True, metadata={"maxLength": 40})


class ApiClient(Schema):
    id = fields.String(required=True, dump_only=True)
    name = fields.String(required=True, dump_only=True)
    scopes = fields.List(fields.String(), required=True, dump_only=True)
    status = fields.Enum(ClientStatus, by_value=fields.String, required=True, dump_only=True)
    created_at = UtcDateTime(required=True, dump_only=True)
    created_by = fields.UUID(required=True, dump_only=True, allow_none=True)
    expires_at = UtcDateTime(required=True, dump_only=True, allow_none=True)
    revoked_at = UtcDateTime(required=True, dump_only=True, allow_none=True)
    last_used_at = UtcDateTime(required=True, dump_only=True, allow_none=True)


class ApiClientCreated(ApiClient):
    client_secret = fields.String(required=True, dump_only=True)


class ApiClientPage(Schema):
    data = fields.List(fields.Nested(ApiClient), required=True, dump_only=True)
    next_cursor = fields.String(required=True, dump_only=True, allow_none=True)


class ListApiClientsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=[validate.Length(max=18), validate.Regexp(CURSOR)])


def code_field() -> fields.String:
    return fields.String(
        required=True, load_only=True, validate=[validate.Length(min=1, max=64), encodable]
    )


class TotpEnrolmentRequest(Schema):
    class Meta:
        unknown = RAISE

    current_password = fields.String(
        required=True, load_only=True, validate=[validate.Length(min=1, max=1024), encodable]
    )


class TotpEnrolment(Schema):
    secret = fields.String(required=True, dump_only=True)
    otpauth_uri = fields.String(required=True, dump_only=True)


class TotpCode(Schema):
    class Meta:
        unknown = RAISE

    code = code_field()


class TotpRecoveryCodes(Schema):
    recovery_codes = fields.List(fields.String(), required=True, dump_only=True)
