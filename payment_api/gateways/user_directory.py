"""The user directory port's adapter over the GENERATED user service client."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import httpx

from payment_api.domain.ports import (
    DirectoryUser,
    ForwardedTokenRejectedError,
    LookupResult,
    UserDirectoryUnavailableError,
)
from payment_api.observability import record_dependency_failure
from service_kit.logs import current_request_id


def _operation_module(operation_id: str) -> Any:
    """The generated module of an operation, whatever tag folder the generator put it in."""
    name = "".join("_" + c.lower() if c.isupper() else c for c in operation_id)
    api = importlib.import_module("user_management_client.api")
    for tag in pkgutil.iter_modules(api.__path__):
        try:
            return importlib.import_module(f"user_management_client.api.{tag.name}.{name}")
        except ModuleNotFoundError:
            continue
    raise ImportError(f"no generated module for operation {operation_id}")


def forwarded_headers() -> dict[str, str]:
    """The current request's id, so that the user service logs it too."""
    request_id = current_request_id()
    return {"X-Request-ID": request_id} if request_id else {}


class UserServiceDirectory:
    """`getUser` through `user_management_client`; forwards the caller's bearer token if given."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url
        self.timeout = timeout
        # One connection pool shared by every lookup (thread-safe): a new httpx client per call
        # built a new TLS context (loading the CA bundle, ~30 ms of CPU) and a new connection.
        self._transport = httpx.HTTPTransport()

    def lookup(self, user_id: str, *, bearer_token: str | None = None) -> LookupResult:
        # Imported at call time: the service starts (and reports 503 here) even if the client
        # package is missing, and mypy does not need the other team's package to check ours.
        try:
            package = importlib.import_module("user_management_client")
            get_user = _operation_module("getUser")
            user_type = importlib.import_module("user_management_client.models").User
        except ImportError as exc:  # the generated client is not installed
            raise UserDirectoryUnavailableError(f"user service client missing: {exc}") from exc
        timeout = httpx.Timeout(self.timeout)
        shared = {"transport": self._transport}  # per-call client, pooled connections
        common: dict[str, Any] = {
            "base_url": self.base_url,
            "timeout": timeout,
            "httpx_args": shared,
            "headers": forwarded_headers(),
        }
        client: Any = (
            package.AuthenticatedClient(token=bearer_token, **common)
            if bearer_token
            else package.Client(**common)
        )
        try:
            response = get_user.sync_detailed(user_id, client=client)
        except (httpx.HTTPError, OSError) as exc:
            record_dependency_failure("user_service", "unreachable")
            raise UserDirectoryUnavailableError(f"user service unreachable: {exc}") from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # The generated client parses the body itself: an answer that breaks the contract
            # (not JSON, missing or mistyped fields) is the dependency's fault, not ours.
            record_dependency_failure("user_service", "malformed")
            raise UserDirectoryUnavailableError("user service sent a malformed answer") from exc
        status = int(response.status_code)
        if status in (404, 410, 422, 400):
            return "not_found"
        if status in (401, 403) and bearer_token:
            raise ForwardedTokenRejectedError(f"the user service answered {status} to the token")
        if status != 200 or not isinstance(response.parsed, user_type):
            record_dependency_failure("user_service", f"status_{status}")
            raise UserDirectoryUnavailableError(f"user service answered {status}")
        user = response.parsed
        return DirectoryUser(
            id=str(user.id),
            email=str(user.email),
            full_name=str(user.full_name),
            active=str(user.status) == "active",
        )

    def ping(self) -> None:
        try:
            httpx.get(
                f"{self.base_url}/healthz", timeout=self.timeout, headers=forwarded_headers()
            ).raise_for_status()
        except httpx.HTTPError as exc:
            raise UserDirectoryUnavailableError(str(exc)) from exc
