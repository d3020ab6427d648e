"""Log in to the user service from tests, benchmarks and the contract test (plain httpx)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def login(base_url: str, email: str, password: str, *, timeout: float = 10.0) -> TokenPair:
    """POST /auth/token (OAuth2 password grant); raises httpx.HTTPStatusError unless 200."""
    response = httpx.post(
        f"{base_url.rstrip('/')}/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
        timeout=timeout,
    )
    response.raise_for_status()
    body = response.json()
    return TokenPair(body["access_token"], body["refresh_token"], int(body["expires_in"]))


def register(
    base_url: str,
    email: str,
    password: str,
    full_name: str = "Test Customer",
    *,
    timeout: float = 10.0,
) -> str:
    """POST /users (open registration, creates a customer); returns the new user's id."""
    response = httpx.post(
        f"{base_url.rstrip('/')}/users",
        json={"email": email, "full_name": full_name, "password": password},
        timeout=timeout,
    )
    response.raise_for_status()
    user_id: str = response.json()["id"]
    return user_id
