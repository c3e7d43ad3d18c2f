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

    private static JsonObject KeepDeclared(JsonObject value, JToken schema)
    {
        var properties = KlingOpenApiDocument.Resolve(schema)["properties"] as JObject;
        var kept = new JsonObject();
        foreach (var (name, node) in value)
        {
            if (properties?[name] is not { } propertySchema)
            {
                continue;
            }

            kept[name] = node is JsonObject child && KlingOpenApiDocument.Resolve(propertySchema)["properties"] is JObject
                ? KeepDeclared(child, propertySchema)
                : node?.DeepClone();
        }

        return kept;
    }
}
