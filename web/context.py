"""Per-request context for the pages: the session, the APIs, rendering, flashes, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from web import money
from web.api import Api, Transports
from web.sessions import Session, SessionStore
from web.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"

STATUS_LABELS = {
    "pending": "Awaiting payment",
    "processing": "Processing",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "expired": "Expired",
    "canceled": "Canceled",
    "partially_refunded": "Partially refunded",
    "refunded": "Refunded",
}
FINAL_STATUSES = frozenset(
    {"succeeded", "failed", "expired", "canceled", "partially_refunded", "refunded"}
)


class CsrfRefused(Exception):  # noqa: N818
    pass


class NotAdmin(Exception):  # noqa: N818
    pass


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.globals["merchant_name"] = settings.merchant_name
    env.globals["status_labels"] = STATUS_LABELS
    env.filters["money"] = lambda m, locale=settings.locale: (
        money.format_money(int(m.amount), str(m.currency), locale) if m is not None else ""
    )
    env.filters["minor"] = lambda amount, currency: money.format_money(
        int(amount), str(currency), settings.locale
    )
    env.filters["when"] = lambda dt: dt.strftime("%Y-%m-%d %H:%M UTC") if dt else ""
    env.filters["when_seconds"] = lambda dt: dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else ""
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(str(s), str(s))
    return templates


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no host, no `//`): never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


class Ctx:
    def __init__(self, request: Request) -> None:
        self.request = request
        state = request.app.state
        self.settings: Settings = state.settings
        self.store: SessionStore = state.store
        self.templates: Jinja2Templates = state.templates
        self.session: Session = request.state.session
        transports: Transports = state.transports
        self.api = Api(
            self.settings,
            self.store,
            self.session,
            transports,
            request.state.request_id,
            machine=getattr(state, "machine", None),  # guest checkout's (web/machine.py)
            end_user_address=request.client.host if request.client else "",
        )

    # -- who --------------------------------------------------------------------------
    @property
    def user(self) -> dict[str, Any] | None:
        return self.session.user if self.session.tokens is not None else None

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.get("role") == "admin")

    def require_admin(self) -> dict[str, Any]:
        from web.api import SignInRequired

        if self.user is None:
            raise SignInRequired
        if not self.is_admin:
            raise NotAdmin
        return self.user

    def require_user(self) -> dict[str, Any]:
        from web.api import SignInRequired

        if self.user is None:
            raise SignInRequired
        return self.user

    # -- session data -----------------------------------------------------------------
    def csrf_token(self) -> str:
        token = self.session.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.session.data["csrf"] = token
            self.session.mark()
        return token

    def flash(self, text: str, kind: str = "info") -> None:
        self.session.data.setdefault("flash", []).append({"kind": kind, "text": text})
        self.session.mark()

    @property
    def cart(self) -> dict[str, int]:
        cart = self.session.data.get("cart")
        return cart if isinstance(cart, dict) else {}

    def set_cart(self, cart: dict[str, int]) -> None:
        self.session.data["cart"] = {k: v for k, v in cart.items() if v > 0}
        self.session.mark()

    # -- answers ----------------------------------------------------------------------
    def render(
        self, name: str, context: Mapping[str, Any] | None = None, status_code: int = 200
    ) -> Response:
        flashes = self.session.data.pop("flash", [])
        if flashes:
            self.session.mark()
        full = {
            "ctx": self,
            "user": self.user,
            "is_admin": self.is_admin,
            "cart_count": sum(self.cart.values()),
            "flashes": flashes,
            "csrf_token": self.csrf_token(),
            "path": self.request.url.path,
            **(context or {}),
        }
        return self.templates.TemplateResponse(self.request, name, full, status_code=status_code)

    def redirect(self, url: str, status_code: int = 303) -> RedirectResponse:
        return RedirectResponse(url, status_code=status_code)

    def sign_in_url(self, next_path: str | None = None, reason: str = "") -> str:
        target = next_path or self.request.url.path
        url = "/account/sign-in?next=" + quote(safe_next(target), safe="/")
        return url + (f"&reason={reason}" if reason else "")

    def new_idempotency_key(self) -> str:
        return secrets.token_urlsafe(18)


MAX_FORM_FIELDS = 200


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, refused (403 page) unless it carries this session's CSRF token.

    Every POST route of the web takes its fields through this dependency (a test walks the
    routes to prove it)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    expected = request.state.session.data.get("csrf")
    sent = data.get("csrf_token", "")
    if not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRefused
    return data
