"""CORS for the token endpoints only, for configured browser origins (CORS_ALLOWED_ORIGINS).

Why: the payment service's Swagger UI offers an OAuth2 password form whose tokenUrl is our
`/auth/token`; the browser posts it from the payment service's origin (another port), so it
needs our `Access-Control-Allow-Origin`, and Swagger UI's `X-Requested-With` header makes it a
preflighted request. Only the endpoints a browser on another origin needs to log in are open
(`/auth/token`, `/auth/refresh`, the JWKS); nothing else answers with CORS headers, and no origin
that is not configured gets any. No cookies are involved (tokens travel in bodies and the
Authorization header), so credentials are not allowed.
"""

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
