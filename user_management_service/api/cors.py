"""CORS on the token endpoints only, for the configured origins (CORS_ALLOWED_ORIGINS): another
service's Swagger UI posts its OAuth2 password form to our /auth/token from its own origin.
Tokens travel in bodies and headers, never cookies, so credentials stay disallowed."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

PATHS = (r"/auth/token", r"/auth/refresh", r"/\.well-known/jwks\.json")
ALLOW_HEADERS = ["Content-Type", "Authorization", "X-Requested-With", "X-Request-ID"]
EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "WWW-Authenticate"]
MAX_AGE_SECONDS = 600


def register(app: Flask, origins: list[str]) -> None:
    if not origins:
        return  # the default: no CORS headers on any answer
    CORS(
        app,
        resources={f"^{path}$": {} for path in PATHS},
        origins=list(origins),
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        supports_credentials=False,
        max_age=MAX_AGE_SECONDS,
        vary_header=True,
    )
