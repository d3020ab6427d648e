"""Root fixtures: real processes on free loopback ports, started once per session.

Each service's fixtures live in their own plugin module under tests/fixtures/.
"""

pytest_plugins = [
    "tests.fixtures.common",
    "tests.fixtures.user_service",
    "tests.fixtures.mail",
    "tests.fixtures.auth",
    "tests.fixtures.stripe_sandbox",
    "tests.fixtures.payment_service",
    "tests.fixtures.receiver",
    "tests.browser",  # the Chromium `browser` fixture of every browser test
    "tests.fixtures.web",
]
