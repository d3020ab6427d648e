"""Stripe's form encoding: `a[b][0][c]=v` and `a[]=v` into nested dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from stripe_sandbox.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse_form(raw: str) -> dict[str, Any]:
    """Parse a query string / urlencoded body; lists come from numeric or empty brackets."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                part = f"\x00{len(node)}"  # `[]`: append
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter: {key}", param=key)
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.startswith("\x00") or k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=lambda k: int(k.lstrip("\x00")))]
    return items


def as_int(value: Any, param: str, *, minimum: int | None = None) -> int:
    """Stripe rejects anything but a base-10 integer for integer params."""
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise invalid(f"Invalid integer: {value!r}", param=param)
    number = int(value)
    if minimum is not None and number < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param=param)
    if number > 99_999_999_999:
        raise invalid("This value must be less than or equal to 99999999999.", param=param)
    return number


def as_str(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {param} must be a string.", param=param)
    return value


def as_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param=param)
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise invalid("Invalid metadata value", param=f"{param}[{k}]")
        if len(k) > 40 or len(v) > 500:
            raise invalid("Metadata key or value too long", param=f"{param}[{k}]")
        if v != "":
            out[k] = v
    return out


def as_list(value: Any, param: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise invalid("Invalid array", param=param)
    return value
