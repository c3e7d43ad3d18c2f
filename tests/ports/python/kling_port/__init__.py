"""A Python client of the kie.ai Kling service, written from openapi/kling.openapi.yaml and openapi/conformance/ alone.

It is a test of the document, not a published package: Debian's python3-requests, python3-jsonschema and
python3-yaml only. The rules it needs beyond the schemas are read from the document's x- extensions
(x-error-classification, x-utf16-maxLength, x-multipleOf-tolerance, x-enum-varnames).
"""
