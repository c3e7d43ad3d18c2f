"""The document, read once, and the names it gives (x-enum-varnames) as Python enums."""
import enum
import os

import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SPEC_PATH = os.path.join(REPO_ROOT, "openapi", "kling.openapi.yaml")
CONFORMANCE_DIR = os.path.join(REPO_ROOT, "openapi", "conformance")

with open(SPEC_PATH, encoding="utf-8") as _file:
    SPEC = yaml.safe_load(_file)

SCHEMAS = SPEC["components"]["schemas"]


def resolve(node):
    """Follows local $refs such as #/components/schemas/TaskRecord."""
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _named_enum(schema_name):
    schema = SCHEMAS[schema_name]
    return enum.Enum(schema_name, {name: value for name, value in zip(schema["x-enum-varnames"], schema["enum"])}, type=str)


# Typed values, named by the document (as a generator would make them).
KlingModel = _named_enum("KlingModel")
VideoDuration = _named_enum("VideoDuration")
AspectRatio = _named_enum("AspectRatio")
TaskState = _named_enum("TaskState")
KNOWN_STATES = frozenset(SCHEMAS["TaskState"]["enum"])

# The models: createTask's body is the request schema VideoTaskRequest's discriminator maps the body's model to.
MODEL_REQUESTS = dict(SCHEMAS["VideoTaskRequest"]["discriminator"]["mapping"])


def input_schema_of(model):
    """The input schema of a model's request (its allOf part that declares `input`), resolved; None for an unmapped model."""
    if model not in MODEL_REQUESTS:
        return None
    request = resolve({"$ref": MODEL_REQUESTS[model]})
    for part in request.get("allOf", [request]):
        part = resolve(part)
        if "input" in part.get("properties", {}):
            return resolve(part["properties"]["input"])
    return None


def input_fields_of(model):
    """A model's input fields, each resolved: {wire name: schema}."""
    schema = input_schema_of(model) or {}
    return {name: resolve(prop) for name, prop in schema.get("properties", {}).items()}
