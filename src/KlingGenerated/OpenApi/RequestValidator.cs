using System.Collections.Concurrent;
using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>Validates a request (method, path with query, JSON body) against its operation in the OpenAPI document.</summary>
internal static class RequestValidator
{
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64 };
    private static readonly ConcurrentDictionary<(string Method, string Path), Operation?> Operations = new();

    /// <summary>Returns one sentence per violation; empty when the request is valid.</summary>
    public static IReadOnlyList<string> Validate(string method, string pathAndQuery, string? jsonBody)
    {
        using var body = string.IsNullOrWhiteSpace(jsonBody) ? null : new MemoryStream(System.Text.Encoding.UTF8.GetBytes(jsonBody), writable: false);
        return Validate(method, pathAndQuery, body);
    }

    /// <summary>Returns one sentence per violation; empty when the request is valid. Reads <paramref name="utf8Body"/> without copying it.</summary>
    public static IReadOnlyList<string> Validate(string method, string pathAndQuery, Stream? utf8Body)
    {
        var split = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = split < 0 ? pathAndQuery : pathAndQuery[..split];
        var query = split < 0 ? string.Empty : pathAndQuery[(split + 1)..];
        if (Operations.GetOrAdd((method.ToUpperInvariant(), path.TrimStart('/')), Find) is not { } operation)
        {
            return [$"{method} /{path.TrimStart('/')} is not an operation of the API."];
        }

        List<string>? errors = null;
        foreach (var (name, required, schema) in operation.QueryParameters)
        {
            var value = QueryValue(query, name);
            if (value is null)
            {
                if (required)
                {
                    (errors ??= []).Add($"The query parameter {name} is required.");
                }
            }
            else if (schema is not null)
            {
                Append(ref errors, SchemaValidator.ValidateText(value, schema, name));
            }
        }

        if (operation.HasBody)
        {
            if (utf8Body is null || utf8Body.Length == 0)
            {
                if (operation.BodyRequired)
                {
                    (errors ??= []).Add("The request body is required.");
                }
            }
            else
            {
                try
                {
                    using var document = JsonDocument.Parse(utf8Body, JsonOptions);
                    if (operation.BodySchema is not null)
                    {
                        Append(ref errors, SchemaValidator.Validate(document.RootElement, operation.BodySchema, string.Empty));
                    }
                }
                catch (JsonException exception)
                {
                    (errors ??= []).Add($"The request body is not valid JSON ({exception.Message}).");
                }
            }
        }

        return errors ?? (IReadOnlyList<string>)[];
    }

    private static void Append(ref List<string>? errors, IReadOnlyList<string> more)
    {
        if (more.Count > 0)
        {
            (errors ??= []).AddRange(more);
        }
    }

    private static string? QueryValue(string query, string name)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            if (key == name)
            {
                return equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }

    private static Operation? Find((string Method, string Path) key)
    {
        if (KlingOpenApiDocument.Root["paths"]?["/" + key.Path]?[key.Method.ToLowerInvariant()] is not JObject operation)
        {
            return null;
        }

        var parameters = (operation["parameters"] as JArray ?? [])
            .Select(KlingOpenApiDocument.Resolve).OfType<JObject>().Where(p => (string?)p["in"] == "query")
            .Select(p => ((string)p["name"]!, (bool?)p["required"] == true, p["schema"]))
            .ToArray();
        var requestBody = operation["requestBody"] is { } node ? KlingOpenApiDocument.Resolve(node) : null;
        return new Operation(parameters, requestBody is not null, (bool?)requestBody?["required"] == true, requestBody?["content"]?["application/json"]?["schema"]);
    }

    private sealed record Operation((string Name, bool Required, JToken? Schema)[] QueryParameters, bool HasBody, bool BodyRequired, JToken? BodySchema);
}
