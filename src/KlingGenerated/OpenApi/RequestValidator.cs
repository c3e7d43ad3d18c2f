using System.Collections.Concurrent;
using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>Validates a request (method, path with query, JSON body) against its operation in the OpenAPI document.</summary>
internal static class RequestValidator
{
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64 };
    private static readonly ConcurrentDictionary<string, Operation?> Operations = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Operation?>.AlternateLookup<ReadOnlySpan<char>> OperationsBySpan = Operations.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Returns one sentence per violation; empty when the request is valid. Reads <paramref name="utf8Body"/> without copying it.</summary>
    public static IReadOnlyList<string> Validate(string method, string pathAndQuery, Stream? utf8Body)
    {
        var split = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = (split < 0 ? pathAndQuery.AsSpan() : pathAndQuery.AsSpan(0, split)).TrimStart('/');
        var query = split < 0 ? ReadOnlySpan<char>.Empty : pathAndQuery.AsSpan(split + 1);
        if (Lookup(method, path) is not { } operation)
        {
            return [$"{method} /{path} is not an operation of the API."];
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

    private static string? QueryValue(ReadOnlySpan<char> query, string name)
    {
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            var key = equals < 0 ? pair : pair[..equals];
            if (key.SequenceEqual(name) || (key.Contains('%') && Uri.UnescapeDataString(key.ToString()) == name))
            {
                return equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].ToString().Replace('+', ' '));
            }
        }

        return null;
    }

    // Keyed "METHOD path"; looked up without building the key string when it is cached.
    private static Operation? Lookup(string method, ReadOnlySpan<char> path)
    {
        var length = method.Length + 1 + path.Length;
        Span<char> key = length <= 256 ? stackalloc char[length] : new char[length];
        method.AsSpan().ToUpperInvariant(key);
        key[method.Length] = ' ';
        path.CopyTo(key[(method.Length + 1)..]);
        if (OperationsBySpan.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var found = Find(method.ToUpperInvariant(), path.ToString());
        Operations.TryAdd(key.ToString(), found);
        return found;
    }

    private static Operation? Find(string method, string path)
    {
        if (KlingOpenApiDocument.Root["paths"]?["/" + path]?[method.ToLowerInvariant()] is not JObject operation)
        {
            return null;
        }

        var parameters = (operation["parameters"] as JArray ?? [])
            .Select(KlingOpenApiDocument.Resolve).OfType<JObject>().Where(p => (string?)p["in"] == "query")
            .Select(p => ((string)p["name"]!, (bool?)p["required"] == true, p["schema"]))
            .ToArray();
        var requestBody = operation["requestBody"] is { } node ? KlingOpenApiDocument.Resolve(node) : null;
        // Only a JSON body is validated here; a multipart form (UploadFileStream) is checked part by part (KlingUploadRules).
        var json = requestBody?["content"]?["application/json"];
        return new Operation(parameters, json is not null, json is not null && (bool?)requestBody?["required"] == true, json?["schema"]);
    }

    private sealed record Operation((string Name, bool Required, JToken? Schema)[] QueryParameters, bool HasBody, bool BodyRequired, JToken? BodySchema);
}
