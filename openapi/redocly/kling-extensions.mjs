// Teaches Redocly the types of the document's own x- extensions, so it follows (and checks) the schemas they name:
// `x-contentSchema` names the schema of the JSON text inside a string field (as OpenAPI 3.1's contentSchema does),
// `x-known-values` names the enum of the known values of an open type. Without this, Redocly would call those
// schemas unused.
function extend(types) {
  return {
    ...types,
    Schema: {
      ...types.Schema,
      properties: {
        ...types.Schema.properties,
        'x-contentSchema': 'Schema',
        'x-known-values': 'Schema',
      },
    },
  };
}

export default function klingExtensions() {
  return {
    id: 'kling-extensions',
    typeExtension: { oas3: extend },
  };
}
