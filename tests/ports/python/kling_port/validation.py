"""Checks a request against the document's own schemas before it is sent.

Three things a JSON Schema validator gets wrong for this document, each read from the document:
- `nullable` (OpenAPI 3.0) becomes a "null" type;
- `multipleOf` 0.1 is checked with `x-multipleOf-tolerance` (0.3 / 0.1 is not an integer in binary floating point);
- lengths with `x-utf16-maxLength` count UTF-16 code units (jsonschema counts code points).
"""
import copy
import math

import jsonschema

from .spec import MODEL_REQUESTS, SPEC, input_fields_of


class ValidationError(Exception):
    """The request was not sent; each problem names its dotted JSON field."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("The request was not sent: " + " ".join(problems))


def _to_json_schema(node, extra_checks, path):
    """OpenAPI 3.0 schema objects to JSON Schema draft 4, collecting the x- checks by field path."""
    if isinstance(node, list):
        return [_to_json_schema(item, extra_checks, path) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if node.get("nullable") is True and "type" in node:
        node["type"] = [node["type"], "null"]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = list(node["enum"]) + [None]
    if "multipleOf" in node and "x-multipleOf-tolerance" in node:
        extra_checks.append(("multipleOf", node.pop("multipleOf"), node["x-multipleOf-tolerance"]))
    return {key: _to_json_schema(value, extra_checks, path) for key, value in node.items()}


_EXTRA = []
_ROOT = {"components": _to_json_schema(SPEC["components"], _EXTRA, "")}
# One validator per model: the body's model chooses its request schema (VideoTaskRequest's discriminator mapping).
_UTF16_LIMITS = {
    model: {"input." + name: prop["x-utf16-maxLength"] for name, prop in input_fields_of(model).items() if "x-utf16-maxLength" in prop}
    for model in MODEL_REQUESTS
}
_VALIDATORS = {
    model: jsonschema.Draft4Validator({"$ref": ref, **_ROOT}, resolver=jsonschema.RefResolver("", {**_ROOT}))
    for model, ref in MODEL_REQUESTS.items()
}


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def _field(error):
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        parts.append(error.message.split("'")[1])
    return ".".join(parts) or "the body"


def validate_create_task(body):
    """The problems of a createTask body, each naming its dotted JSON field; empty when it may be sent."""
    problems = []
    model = body.get("model") if isinstance(body, dict) else None
    if model not in _VALIDATORS:
        return [f"model must be one of {', '.join(MODEL_REQUESTS)}, not {model!r}."]
    cfg = body.get("input", {}).get("cfg_scale") if isinstance(body.get("input"), dict) else None
    if isinstance(cfg, float) and not math.isfinite(cfg):
        # JSON cannot carry NaN or infinities: name the real problem first.
        return [f"input.cfg_scale must be a finite number, not {cfg}."]
    for error in sorted(_VALIDATORS[model].iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        problems.append(f"{_field(error)}: {error.message} (model {model})")
    # Every input field with a step (cfg_scale, or any a model adds), checked with its x-multipleOf-tolerance.
    values = body.get("input") if isinstance(body.get("input"), dict) else {}
    for name, schema in input_fields_of(model).items():
        value = values.get(name)
        if "multipleOf" in schema and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            step, tolerance = schema["multipleOf"], schema.get("x-multipleOf-tolerance", 0)
            ratio = value / step
            if abs(ratio - round(ratio)) > tolerance:
                problems.append(f"input.{name} must be a multiple of {step}, not {value}.")
    # A lone UTF-16 surrogate is not Unicode text (UTF-8 cannot carry it): refused before sending, naming the field.
    for field, value in _strings(body, ""):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            problems.append(f"{field} is not text: it contains a lone UTF-16 surrogate.")
    # JSON Schema's $ is ECMA-262's (the very end); Python's re.search also matches before a final newline.
    callback = body.get("callBackUrl")
    if isinstance(callback, str) and callback.endswith("\n"):
        problems.append("callBackUrl must match its pattern: it ends with a newline.")
    for field, limit in _UTF16_LIMITS[model].items():
        value = body.get("input", {}).get(field.split(".")[1]) if isinstance(body.get("input"), dict) else None
        if isinstance(value, str) and utf16_length(value) > limit:
            problems.append(f"{field} must be at most {limit} UTF-16 code units, not {utf16_length(value)}.")
    return problems


def _strings(value, field):
    """Every string in a JSON value, with its dotted field path."""
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{field}.{key}" if field else key)


def validate_task_id(task_id):
    return ["taskId must not be empty."] if not isinstance(task_id, str) or task_id == "" else []
