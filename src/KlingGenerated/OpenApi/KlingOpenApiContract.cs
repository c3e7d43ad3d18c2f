using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>
/// The OpenAPI document this assembly was generated from, for programs that speak the same contract from the other side
/// (the simulator, test servers, proxies): request validation against it, and its schemas' declared properties. Its
/// version and SHA-256 are <see cref="KlingClient.SpecVersion"/> and <see cref="KlingClient.SpecSha256"/>.
/// </summary>
// CUSTOM: the simulator and the CLI use this public seam instead of the library's internals (no InternalsVisibleTo between shipped packages).
public static class KlingOpenApiContract
{
    /// <summary>
    /// Validates a request against its operation in the document: the method and path must name an operation, required query
    /// parameters and body must be present, and the query values and the JSON body must match their schemas.
    /// </summary>
    /// <param name="method">The HTTP method, for example <c>POST</c>.</param>
    /// <param name="pathAndQuery">The path relative to the server URL, with its query, for example <c>api/v1/jobs/recordInfo?taskId=t1</c>.</param>
    /// <param name="utf8Body">The UTF-8 JSON body, or <see langword="null"/> when there is none; read from its current position.</param>
    /// <returns>One sentence per violation; empty when the request is valid.</returns>
    public static IReadOnlyList<string> ValidateRequest(string method, string pathAndQuery, Stream? utf8Body)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        return RequestValidator.Validate(method, pathAndQuery, utf8Body);
    }

    /// <summary>
    /// Returns a copy of <paramref name="value"/> that keeps only the properties the schema <paramref name="schemaName"/>
    /// (under <c>components/schemas</c>) declares, recursively into declared objects; unknown properties are dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The document has no schema named <paramref name="schemaName"/>.</exception>
    public static JsonObject KeepDeclaredProperties(JsonObject value, string schemaName)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(schemaName);
        var schema = KlingOpenApiDocument.Root["components"]?["schemas"]?[schemaName]
            ?? throw new ArgumentException($"The OpenAPI document has no schema named '{schemaName}'.", nameof(schemaName));
        return KeepDeclared(value, schema);
    }

    /// <summary>
    /// Returns a copy of the JSON body of the operation <paramref name="operationId"/> that keeps only the properties its
    /// schema declares (for createTask, the schema of the model the body's <c>model</c> chooses), recursively.
    /// </summary>
    /// <exception cref="ArgumentException">The document has no operation <paramref name="operationId"/> with a JSON body.</exception>
    public static JsonObject KeepDeclaredBodyProperties(string operationId, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(operationId);
        ArgumentNullException.ThrowIfNull(body);
        var schema = KlingOpenApiDocument.Operation(operationId) is { } operation && operation["requestBody"] is { } requestBody
            ? KlingOpenApiDocument.Resolve(requestBody)["content"]?["application/json"]?["schema"]
            : null;
        return KeepDeclared(body, schema ?? throw new ArgumentException($"The OpenAPI document has no operation '{operationId}' with a JSON body.", nameof(operationId)));
    }

    private static JsonObject KeepDeclared(JsonObject value, JToken schema)
    {
        var properties = Declared(value, schema, dispatch: true);
        var kept = new JsonObject();
        foreach (var (name, node) in value)
        {
            if (!properties.TryGetValue(name, out var propertySchema))
            {
                continue;
            }

            kept[name] = node is JsonObject child && IsObjectSchema(propertySchema)
                ? KeepDeclared(child, propertySchema)
                : node?.DeepClone();
        }

        return kept;
    }

    // The properties a schema declares, through allOf, and through the discriminator to the schema it chooses for this value.
    private static Dictionary<string, JToken> Declared(JsonObject value, JToken schema, bool dispatch)
    {
        var resolved = KlingOpenApiDocument.Resolve(schema);
        if (dispatch && resolved["discriminator"] is JObject discriminator
            && (string?)discriminator["propertyName"] is { } property
            && value[property] is JsonValue tag && tag.TryGetValue<string>(out var model)
            && discriminator["mapping"]?[model] is JValue { Value: string target })
        {
            return Declared(value, new JObject { ["$ref"] = target }, dispatch: false);
        }

        var declared = new Dictionary<string, JToken>(StringComparer.Ordinal);
        foreach (var part in (resolved["allOf"] as JArray ?? []))
        {
            foreach (var (name, child) in Declared(value, part, dispatch: false))
            {
                declared[name] = child;
            }
        }

        foreach (var declaredProperty in (resolved["properties"] as JObject)?.Properties() ?? [])
        {
            declared[declaredProperty.Name] = declaredProperty.Value;
        }

        return declared;
    }

    private static bool IsObjectSchema(JToken schema)
    {
        var resolved = KlingOpenApiDocument.Resolve(schema);
        return resolved["properties"] is JObject || resolved["allOf"] is JArray || resolved["discriminator"] is JObject;
    }
}
