"""Mail bodies from Jinja2 templates (templates/mail/<kind>.txt and .html), text and HTML."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from user_management_service.domain.mail import MailKind, Message

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
SUBJECTS = {
    MailKind.PASSWORD_RESET: "Reset your password",
    MailKind.EMAIL_VERIFICATION: "Confirm your email address",
    MailKind.PASSWORD_CHANGED: "Your password was changed",
}


class MailTemplates:
    def __init__(self, product_name: str) -> None:
        self.product_name = product_name
        # StrictUndefined: a template naming a value the sender did not pass fails loudly.
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, kind: MailKind, to: str, context: Mapping[str, object]) -> Message:
        values = {**context, "product": self.product_name}
        return Message(
            to=to,
            subject=f"{SUBJECTS[kind]} · {self.product_name}",
            text=self.env.get_template(f"{kind.value}.txt").render(values),
            html=self.env.get_template(f"{kind.value}.html").render(values),
        )
