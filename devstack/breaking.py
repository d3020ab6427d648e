"""Breaking-change check: compare a spec with its last released version under specs/history/.

A released version is a copy of the spec at `specs/history/<name>/<info.version>.yaml`
(`python -m devstack.breaking release specs/X.yaml` makes one). A change breaks clients when
it removes an operation, a parameter or a success response, makes a request field or parameter
required that was not, requires authentication where none was needed, narrows a request type
(type or enum values removed), or removes a response field or a value a client may receive.
Breaking changes are allowed only when the major number of `info.version` grows.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "specs" / "history"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

Spec = dict[str, Any]


def load(path: Path) -> Spec:
    data: Spec = yaml.safe_load(path.read_text())
    return data


def _major(spec: Spec) -> int:
    return int(str(spec.get("info", {}).get("version", "0")).split(".")[0])


def _resolve(spec: Spec, node: Any, seen: frozenset[str] = frozenset()) -> Any:
    """Inline local $refs (a ref already being expanded stays a ref, to stop cycles)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                return {"$ref": ref}
            target: Any = spec
            for part in ref[2:].split("/"):
                target = target[part]
            return _resolve(spec, target, seen | {ref})
        return {k: _resolve(spec, v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(spec, v, seen) for v in node]
    return node


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    found = set(t) if isinstance(t, list) else ({t} if t else set())
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            found |= _types(sub) or {"any"}
    return found


def _enum(schema: dict[str, Any]) -> set[str] | None:
    return set(map(str, schema["enum"])) if "enum" in schema else None


def _compare_schema(old: Any, new: Any, where: str, direction: str, out: list[str]) -> None:
    """direction 'request': the server must accept at least what it accepted;
    'response': the server must not send less (fields) or anything new it did not declare."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    old_t, new_t, old_e, new_e = _types(old), _types(new), _enum(old), _enum(new)
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    if direction == "request":
        if old_t and new_t and not old_t <= new_t and "any" not in new_t:
            out.append(f"{where}: type narrowed from {sorted(old_t)} to {sorted(new_t)}")
        if old_e is not None and new_e is not None and old_e - new_e:
            out.append(f"{where}: enum values removed")
        out.extend(f"{where}: property '{n}' became required" for n in sorted(new_req - old_req))
    else:
        if old_t and new_t and not new_t <= old_t and "any" not in old_t:
            out.append(f"{where}: response type widened from {sorted(old_t)} to {sorted(new_t)}")
        if old_e is not None and new_e is not None and new_e - old_e:
            out.append(f"{where}: response enum gained values clients do not know")
        out.extend(
            f"{where}: response property '{n}' no longer required"
            for n in sorted(old_req - new_req)
        )
        removed = set(old.get("properties", {})) - set(new.get("properties", {}))
        out.extend(f"{where}: response property '{n}' removed" for n in sorted(removed))
    for name, sub in old.get("properties", {}).items():
        if name in new.get("properties", {}):
            _compare_schema(sub, new["properties"][name], f"{where}.{name}", direction, out)
    if "items" in old and "items" in new:
        _compare_schema(old["items"], new["items"], f"{where}[]", direction, out)


def _params(item: dict[str, Any], op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    params = item.get("parameters", []) + op.get("parameters", [])
    return {f"{p['in']}.{p['name']}": p for p in params}


def _compare_parameters(
    where: str, old: dict[str, Any], new: dict[str, Any], out: list[str]
) -> None:
    for key, param in new.items():
        was = old.get(key)
        if param.get("required") and not (was and was.get("required")):
            out.append(f"{where}: parameter {key} is newly required")
        if was:
            _compare_schema(
                was.get("schema"), param.get("schema"), f"{where} {key}", "request", out
            )
    out.extend(f"{where}: parameter {key} removed" for key in sorted(old.keys() - new.keys()))


def _compare_request_body(
    where: str, old: dict[str, Any], new: dict[str, Any], out: list[str]
) -> None:
    if new.get("required") and not old.get("required"):
        out.append(f"{where}: request body became required")
    for ctype, media in old.get("content", {}).items():
        new_media = new.get("content", {}).get(ctype)
        if new_media is None:
            out.append(f"{where}: request content type {ctype} removed")
        else:
            _compare_schema(
                media.get("schema"), new_media.get("schema"), f"{where} body", "request", out
            )


def _compare_responses(
    where: str, old: dict[str, Any], new: dict[str, Any], out: list[str]
) -> None:
    for code, resp in old.items():
        if code not in new:
            if str(code).startswith("2"):
                out.append(f"{where}: response {code} removed")
            continue
        for ctype, media in resp.get("content", {}).items():
            new_media = new[code].get("content", {}).get(ctype)
            if new_media is None:
                out.append(f"{where}: response {code} {ctype} removed")
            else:
                _compare_schema(
                    media.get("schema"), new_media.get("schema"), f"{where} {code}", "response", out
                )


def _open_to_anonymous(spec: Spec, op: dict[str, Any]) -> bool:
    """No security requirement applies, or one alternative is the empty requirement `{}`."""
    requirements = op.get("security", spec.get("security"))
    return not requirements or any(not r for r in requirements)


def breaking_changes(old_spec: Spec, new_spec: Spec) -> list[str]:
    old, new = _resolve(old_spec, old_spec), _resolve(new_spec, new_spec)
    out: list[str] = []
    for path, old_item in old.get("paths", {}).items():
        new_item = new.get("paths", {}).get(path) or {}
        for method in (m for m in METHODS if m in old_item):
            where = f"{method.upper()} {path}"
            if method not in new_item:
                out.append(f"{where}: operation removed")
                continue
            o, n = old_item[method], new_item[method]
            if _open_to_anonymous(old, o) and not _open_to_anonymous(new, n):
                out.append(f"{where}: now requires authentication")
            _compare_parameters(where, _params(old_item, o), _params(new_item, n), out)
            _compare_request_body(where, o.get("requestBody", {}), n.get("requestBody", {}), out)
            _compare_responses(where, o.get("responses", {}), n.get("responses", {}), out)
    return out


def last_release(spec_path: Path) -> Path | None:
    folder = HISTORY / spec_path.stem
    releases = sorted(folder.glob("*.yaml"), key=lambda p: tuple(int(x) for x in p.stem.split(".")))
    return releases[-1] if releases else None


def check(spec_path: Path) -> list[str]:
    """Breaking changes of the spec against its last release, unless its major version grew."""
    release = last_release(spec_path)
    if release is None:
        return []
    old, new = load(release), load(spec_path)
    if _major(new) > _major(old):
        return []
    return breaking_changes(old, new)


def release(spec_path: Path) -> Path:
    version = str(load(spec_path)["info"]["version"])
    target = HISTORY / spec_path.stem / f"{version}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec_path, target)
    return target


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "release":
        print(f"released {release(Path(argv[1])).relative_to(ROOT)}")
        return 0
    status = 0
    for spec in [Path(a) for a in argv] or sorted((ROOT / "specs").glob("*.yaml")):
        problems = check(spec)
        for problem in problems:
            print(f"{spec.name}: BREAKING {problem}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
