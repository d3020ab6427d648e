"""RFC 6238 TOTP codes with pyotp: the domain's TotpAlgorithm port (6 digits, 30 s, SHA-1:
what every authenticator app reads from an otpauth:// URI)."""

from __future__ import annotations

from datetime import datetime

import pyotp

STEP_SECONDS = 30
# The current step and one on either side: a code typed as it changes, or a phone's clock a
# few seconds off, still works; the replay check keeps each step single-use.
WINDOW = 1


class PyotpTotp:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def new_secret(self) -> str:
        return pyotp.random_base32(32)  # 160 bits, RFC 4226's recommended secret length

    def provisioning_uri(self, secret: str, account: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=self.issuer)

    def matching_step(self, secret: str, code: str, now: datetime) -> int | None:
        code = code.strip().replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
        current = totp.timecode(now)
        for step in range(current - WINDOW, current + WINDOW + 1):
            if pyotp.utils.strings_equal(totp.generate_otp(step), code):
                return step
        return None
