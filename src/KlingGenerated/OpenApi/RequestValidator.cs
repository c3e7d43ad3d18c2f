using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>Validates a request (method, path with query, JSON body) against its operation in the OpenAPI document.</summary>
internal static class RequestValidator
{
    /// <summary>Returns one sentence per violation; empty when the request is valid.</summary>
    public static IReadOnlyList<string> Validate(string method, string pathAndQuery, string? jsonBody)
    {
        var split = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = "/" + (split < 0 ? pathAndQuery : pathAndQuery[..split]).TrimStart('/');
        var query = split < 0 ? string.Empty : pathAndQuery[(split + 1)..];

        if (KlingOpenApiDocument.Root["paths"]?[path]?[method.ToLowerInvariant()] is not JObject operation)
        {
            return [$"{method} {path} is not an operation of the API."];
        }

        var errors = new List<string>();
        CheckQuery(operation, query, errors);
        CheckBody(operation, jsonBody, errors);
        return errors;
    }

    private static void CheckQuery(JObject operation, string query, List<string> errors)
    {
        if (operation["parameters"] is not JArray parameters)
        {
            return;
        }

        var values = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToLookup(kv => Uri.UnescapeDataString(kv[0]), kv => kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : string.Empty, StringComparer.Ordinal);

        foreach (var parameter in parameters.Select(KlingOpenApiDocument.Resolve).OfType<JObject>().Where(p => (string?)p["in"] == "query"))
        {
            var name = (string)parameter["name"]!;
            var value = values[name].FirstOrDefault();
            if (value is null)
            {
                if ((bool?)parameter["required"] == true)
                {
                    errors.Add($"The query parameter {name} is required.");
                }

                continue;
            }

            if (parameter["schema"] is { } schema)
            {
                errors.AddRange(SchemaValidator.Validate(new JValue(value), schema, name));
            }
        }
    }

    private static void CheckBody(JObject operation, string? jsonBody, List<string> errors)
    {
        if (operation["requestBody"] is not { } requestBodyNode)
        {
            return;
        }

        var requestBody = KlingOpenApiDocument.Resolve(requestBodyNode);
        var schema = requestBody["content"]?["application/json"]?["schema"];
        if (string.IsNullOrWhiteSpace(jsonBody))
        {
            if ((bool?)requestBody["required"] == true)
            {
                errors.Add("The request body is required.");
            }

            return;
        }

        JToken body;
        try
        {
            using var reader = new JsonTextReader(new StringReader(jsonBody)) { FloatParseHandling = FloatParseHandling.Double, DateParseHandling = DateParseHandling.None, MaxDepth = 64 };
            body = JToken.ReadFrom(reader);
        }
        catch (JsonException exception)
        {
            errors.Add($"The request body is not valid JSON ({exception.Message}).");
            return;
        }

        if (schema is not null)
        {
            errors.AddRange(SchemaValidator.Validate(body, schema, string.Empty));
        }
    }
}
