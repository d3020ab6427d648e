"""The web application: FastAPI + Jinja2, sessions, security headers, friendly errors."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from user_management_client.api.users import get_current_user
from user_management_client.models import User

from web.api import SERVICE_NAMES, ApiError, ServiceUnavailable, SignInRequired, Transports
from web.context import CsrfRefused, Ctx, NotAdmin, make_templates
from web.sessions import SessionStore
from web.settings import Settings

log = logging.getLogger("web")
STATIC = Path(__file__).resolve().parent / "static"

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


def content_security_policy(settings: Settings) -> str:
    # form-action must allow the hosted page: the checkout form's answer redirects there.
    form_action = " ".join(["'self'", *settings.hosted_checkout_origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
        f"form-action {form_action}; frame-ancestors 'none'"
    )


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if settings.secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class WebMiddleware(BaseHTTPMiddleware):
    """Loads the server-side session from its cookie, stores it after the page, sets the
    cookie, adds the security headers and turns any unexpected error into a friendly page."""

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        app = request.app
        settings: Settings = app.state.settings
        store: SessionStore = app.state.store
        request.state.request_id = request.headers.get("X-Request-ID", "")[:64] or (
            secrets.token_hex(8)
        )
        path = request.url.path
        if path.startswith("/static/") or path == "/healthz":
            response = await call_next(request)
            response.headers.update(security_headers(settings))
            return response

        cookie = request.cookies.get(settings.cookie_name, "")
        session = await run_in_threadpool(store.load, cookie) if cookie else None
        request.state.session_expired = bool(cookie) and session is None
        request.state.session = session or store.new()
        try:
            response = await call_next(request)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, path)
            response = await run_in_threadpool(error_page, request, 500)

        final = request.state.session
        if final.dirty:
            await run_in_threadpool(store.save, final)
        elif final.persisted:
            await run_in_threadpool(store.touch, final)
        if final.persisted and final.cookie:
            response.set_cookie(
                settings.cookie_name,
                final.cookie,
                httponly=True,
                secure=settings.secure,
                samesite="lax",
                path="/",
            )
        elif not final.persisted and cookie:
            response.delete_cookie(
                settings.cookie_name, path="/", secure=settings.secure, httponly=True
            )
        response.headers.update(security_headers(settings))
        # pages carry personal data and per-form tokens: never cached
        response.headers.setdefault("Cache-Control", "no-store")
        return response


ERROR_TEXT = {
    400: ("That request could not be handled", "Please go back and try again."),
    403: ("Not allowed", "This page is for the shop's operators."),
    404: ("Page not found", "The page you asked for does not exist or is no longer here."),
    405: ("Not allowed", "That address does not take this kind of request."),
    409: ("That did not work", "Something changed meanwhile; please reload and try again."),
    500: (
        "Something went wrong on our side",
        "We could not show this page. Nothing was charged twice; please try again in a moment.",
    ),
    502: (
        "The payment provider did not answer properly",
        "Nothing was charged. Please try again in a moment.",
    ),
    504: (
        "The payment provider is taking too long",
        "Your payment may still go through; check your orders in a minute before retrying.",
    ),
}


def error_page(
    request: Request, status: int, title: str = "", message: str = "", mfa_hint: bool = False
) -> Response:
    default_title, default_message = ERROR_TEXT.get(status, ERROR_TEXT[500])
    ctx = Ctx(request)
    return ctx.render(
        "errors/error.html",
        {
            "title": title or default_title,
            "message": message or default_message,
            "status": status,
            "request_id": request.state.request_id,
            "mfa_hint": mfa_hint,
        },
        status_code=status,
    )


def refused_page(request: Request) -> Response:
    """The 403 page of a page an API (or the web) refused, with the two-step sign-in hint for
    an admin without a second factor (`lacks_second_factor`)."""
    return error_page(request, 403, mfa_hint=lacks_second_factor(Ctx(request)))


def lacks_second_factor(ctx: Ctx) -> bool:
    """An admin by their record (getCurrentUser, read now) who has no second factor: under
    ADMIN_MFA_REQUIRED the user service gives them a customer's tokens until they enrol, so
    both APIs refuse them the console. A customer, or a failing read, gets no hint."""
    if not ctx.is_admin:
        return False
    try:
        response = ctx.api.users(lambda c: get_current_user.sync_detailed(client=c))
    except (ServiceUnavailable, SignInRequired):
        return False
    me = response.parsed
    return isinstance(me, User) and str(me.role) == "admin" and not me.mfa_enabled


def install_error_pages(app: FastAPI) -> None:
    async def unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceUnavailable)
        service = SERVICE_NAMES.get(exc.service, "a service we depend on")
        return await run_in_threadpool(
            error_page,
            request,
            503,
            f"Our {service} is not answering right now",
            "This is on our side, not yours. Your cart is kept; please try again in a minute.",
        )

    async def sign_in(request: Request, exc: Exception) -> Response:
        ctx = Ctx(request)
        target = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        expired = request.state.session_expired or ctx.session.data.pop("signed_out_reason", "")
        if expired:
            ctx.session.mark()
        return ctx.redirect(ctx.sign_in_url(target, "expired" if expired else ""))

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        status = exc.status if exc.status in ERROR_TEXT else 500
        if exc.status == 404:
            return await run_in_threadpool(error_page, request, 404)
        if exc.status == 403:
            return await run_in_threadpool(refused_page, request)
        log.warning("API problem not handled by the page: %s", exc)
        return await run_in_threadpool(error_page, request, status, "", exc.detail)

    async def csrf(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(
            error_page,
            request,
            403,
            "This form has expired",
            "For your safety we did not send it. Go back, reload the page and try again.",
        )

    async def not_admin(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(refused_page, request)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code if exc.status_code in ERROR_TEXT else 400
        return await run_in_threadpool(error_page, request, status)

    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(CsrfRefused, csrf)
    app.add_exception_handler(NotAdmin, not_admin)
    app.add_exception_handler(StarletteHTTPException, http_error)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    store = SessionStore(
        settings.database_url, settings.session_idle_seconds, settings.refresh_lease_seconds
    )
    transports = Transports()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(store.purge_expired)
        yield
        transports.close()
        store.engine.dispose()

    app = FastAPI(title="Web", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.transports = transports
    if settings.allow_guest_checkout:  # the web's own API client, for guests' payments
        from web.machine import machine_credential

        app.state.machine = machine_credential(settings, transports.users)
    app.state.templates = make_templates(settings)
    app.add_middleware(WebMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_pages(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    from web.routes import (
        account,
        account_recovery,
        account_security,
        console,
        console_api_clients,
        console_audit,
        console_webhooks,
        shop,
    )

    app.include_router(shop.router)
    app.include_router(account.router)
    app.include_router(account_recovery.router)
    app.include_router(account_security.router)
    app.include_router(console.router)
    app.include_router(console_webhooks.router)
    app.include_router(console_api_clients.router)
    app.include_router(console_audit.router)
    return app
