"""The console dashboard's figures, computed from pages of listPayments, and its SVG chart.

There is no reporting API: the dashboard reads at most WEB_DASHBOARD_MAX_PAGES pages of 100
payments created in the last WEB_DASHBOARD_DAYS days (newest first) and says when it stopped
before the end.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from web.money import format_money

EARNING_STATUSES = frozenset({"succeeded", "partially_refunded", "refunded"})
CHART_WIDTH = 640
CHART_HEIGHT = 220
MARGIN_LEFT = 8
MARGIN_BOTTOM = 28
MARGIN_TOP = 20


class MoneyLike(Protocol):
    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> object: ...


class PaymentLike(Protocol):
    @property
    def status(self) -> object: ...

    @property
    def amount(self) -> MoneyLike: ...

    @property
    def refunded_amount(self) -> MoneyLike: ...

    @property
    def created_at(self) -> dt.datetime: ...


@dataclass
class Bar:
    day: dt.date
    amount: int
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass
class Chart:
    currency: str
    total: int
    total_label: str
    bars: list[Bar]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: float = CHART_HEIGHT - MARGIN_BOTTOM


@dataclass
class Dashboard:
    by_status: list[tuple[str, int]]
    charts: list[Chart]
    payments_read: int
    pages_read: int
    complete: bool  # False: stopped at the page bound, older payments not counted
    days: list[dt.date] = field(default_factory=list)


T = TypeVar("T")


def read_pages(
    fetch: Callable[[str | None], tuple[list[T], str | None]], max_pages: int
) -> tuple[list[T], int, bool]:
    """Follow `next_cursor` from the first page for at most `max_pages` pages; returns the
    items, the pages read and whether the listing ended (False: stopped at the bound)."""
    items: list[T] = []
    cursor: str | None = None
    for pages in range(1, max_pages + 1):
        data, cursor = fetch(cursor)
        items.extend(data)
        if cursor is None:
            return items, pages, True
    return items, max_pages, False


def day_range(today: dt.date, days: int) -> list[dt.date]:
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]


def net_revenue(payment: PaymentLike) -> int:
    """What a payment earned: its amount less what was refunded, for paid statuses only."""
    if str(payment.status) not in EARNING_STATUSES:
        return 0
    return int(payment.amount.amount) - int(payment.refunded_amount.amount)


def summarize(
    payments: Iterable[PaymentLike],
    *,
    today: dt.date,
    days: int,
    pages_read: int,
    complete: bool,
    locale: str = "en_US",
    max_charts: int = 3,
) -> Dashboard:
    statuses: Counter[str] = Counter()
    revenue: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    earning: Counter[str] = Counter()
    count = 0
    for payment in payments:
        count += 1
        statuses[str(payment.status)] += 1
        earned = net_revenue(payment)
        if earned:
            day = payment.created_at.astimezone(dt.UTC).date()
            revenue[str(payment.amount.currency)][day] += earned
            earning[str(payment.amount.currency)] += 1
    span = day_range(today, days)
    # amounts of different currencies do not compare: the most used currencies first
    ordered = sorted(revenue.items(), key=lambda kv: (-earning[kv[0]], kv[0]))[:max_charts]
    charts = [chart(currency, per_day, span, locale) for currency, per_day in ordered]
    return Dashboard(
        by_status=statuses.most_common(),
        charts=charts,
        payments_read=count,
        pages_read=pages_read,
        complete=complete,
        days=span,
    )


def chart(currency: str, per_day: dict[dt.date, int], span: list[dt.date], locale: str) -> Chart:
    values = [per_day.get(day, 0) for day in span]
    top = max(values) if values and max(values) > 0 else 1
    plot_height = CHART_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = (CHART_WIDTH - MARGIN_LEFT) / max(1, len(span))
    bars = []
    for index, (day, value) in enumerate(zip(span, values, strict=True)):
        height = round(plot_height * value / top, 1)
        bars.append(
            Bar(
                day=day,
                amount=value,
                x=round(MARGIN_LEFT + index * slot + slot * 0.15, 1),
                y=round(CHART_HEIGHT - MARGIN_BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
                label=format_money(value, currency, locale),
            )
        )
    total = sum(values)
    return Chart(currency, total, format_money(total, currency, locale), bars)
