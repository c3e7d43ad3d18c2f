using System.Globalization;
using Newtonsoft.Json.Linq;
using YamlDotNet.RepresentationModel;

namespace KlingGenerated.OpenApi;

/// <summary>
/// The OpenAPI document the client was generated from, embedded at build and read once.
/// </summary>
// CUSTOM: validation reads its constraints from the same document NSwag generated from, so a spec change needs no C# change.
internal static class KlingOpenApiDocument
{
    private static readonly Lazy<JObject> LazyRoot = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The whole document as JSON.</summary>
    public static JObject Root => LazyRoot.Value;

    /// <summary>The document's YAML text, as embedded.</summary>
    public static string ReadText()
    {
        using var stream = typeof(KlingOpenApiDocument).Assembly.GetManifestResourceStream("kling.openapi.yaml")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded in KlingGenerated.dll; rebuild the project.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Follows a local <c>$ref</c> such as <c>#/components/schemas/TaskRecord</c>.</summary>
    public static JToken Resolve(JToken node) => Resolve(Root, node);

    /// <summary>Follows a local <c>$ref</c> within <paramref name="root"/>.</summary>
    public static JToken Resolve(JObject root, JToken node)
    {
        var guard = 0;
        while (node is JObject obj && obj["$ref"] is JValue { Value: string reference })
        {
            if (!reference.StartsWith("#/", StringComparison.Ordinal) || ++guard > 32)
            {
                throw new InvalidOperationException($"Unsupported $ref '{reference}' in the OpenAPI document.");
            }

            node = root.SelectToken(
                "$" + string.Concat(reference[2..].Split('/').Select(p => "['" + p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal) + "']")))
                ?? throw new InvalidOperationException($"The $ref '{reference}' points nowhere in the OpenAPI document.");
        }

        return node;
    }

    /// <summary>The operation with the id <paramref name="operationId"/>, or null.</summary>
    public static JObject? Operation(string operationId) => Find(operationId)?.Operation;

    /// <summary>The HTTP method (upper case) and path of the operation with the id <paramref name="operationId"/>, or null.</summary>
    public static (string Method, string Path)? RouteOf(string operationId) =>
        Find(operationId) is { } found ? (found.Method, found.Path) : null;

    /// <summary>The one walk over the document's paths: an operation by its id, with its method and path.</summary>
    private static (string Method, string Path, JObject Operation)? Find(string operationId) =>
        (Root["paths"] as JObject)?.Properties()
            .SelectMany(path => ((path.Value as JObject) ?? []).Properties().Select(method => (Path: path.Name, Method: method.Name, Operation: method.Value as JObject)))
            .Where(route => (string?)route.Operation?["operationId"] == operationId)
            .Select(route => ((string, string, JObject)?)(route.Method.ToUpperInvariant(), route.Path, route.Operation!))
            .FirstOrDefault();

    /// <summary>
    /// The server URL the document gives the operation <paramref name="operationId"/> itself (its own or its path's
    /// <c>servers</c>, as the upload operations have), or null when it uses the document's top-level server.
    /// </summary>
    public static Uri? OwnServerOf(string operationId)
    {
        foreach (var path in (Root["paths"] as JObject)?.Properties() ?? [])
        {
            foreach (var method in (path.Value as JObject ?? []).Properties())
            {
                if (method.Value is JObject operation && (string?)operation["operationId"] == operationId)
                {
                    var servers = operation["servers"] as JArray ?? path.Value["servers"] as JArray;
                    return servers is { Count: > 0 } && (string?)servers[0]["url"] is { } url ? new Uri(url) : null;
                }
            }
        }

        return null;
    }

    /// <summary>The schema of createTask's JSON body, as written (usually a <c>$ref</c>).</summary>
    public static JToken CreateTaskBodySchema() =>
        Operation("CreateTask") is { } operation && Resolve(operation["requestBody"]!)["content"]?["application/json"]?["schema"] is { } schema
            ? schema
            : throw new InvalidOperationException("The OpenAPI document has no CreateTask operation with a JSON body.");

    /// <summary>The discriminator of createTask's body schema (<c>propertyName</c>, <c>mapping</c>).</summary>
    public static JObject RequestDiscriminator() =>
        Resolve(CreateTaskBodySchema())["discriminator"] as JObject
            ?? throw new InvalidOperationException("The OpenAPI document's createTask body schema has no discriminator: it cannot tell the models apart.");

    /// <summary>The input schema (name and resolved schema) of the request schema <paramref name="requestSchema"/>: its <c>input</c> property, through <c>allOf</c>.</summary>
    public static (string Name, JObject Schema) InputSchemaOf(string requestSchema)
    {
        var request = Root["components"]?["schemas"]?[requestSchema]
            ?? throw new InvalidOperationException($"The OpenAPI document has no schema named '{requestSchema}'.");
        foreach (var part in new[] { Resolve(request) }.Concat((Resolve(request)["allOf"] as JArray ?? []).Select(Resolve)))
        {
            if (part["properties"]?["input"] is JObject { } input)
            {
                var name = (string?)input["$ref"] is { } reference ? reference.Split('/')[^1] : requestSchema + ".input";
                return (name, (JObject)Resolve(input));
            }
        }

        throw new InvalidOperationException($"The request schema '{requestSchema}' has no 'input' property.");
    }

    private static JObject Load() => Parse(ReadText());

    /// <summary>Reads OpenAPI YAML text as JSON.</summary>
    public static JObject Parse(string yamlText)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(yamlText))
        {
            yaml.Load(reader);
        }

        return (JObject)ToJson(yaml.Documents[0].RootNode);
    }

    // YAML 1.2 core schema: plain scalars that read as null, booleans or numbers are typed; quoted ones stay strings.
    private static JToken ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JObject(map.Children.Select(kv => new JProperty(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JArray(seq.Children.Select(ToJson)),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar => PlainScalar(scalar.Value ?? string.Empty),
        YamlScalarNode scalar => new JValue(scalar.Value),
        _ => throw new InvalidOperationException($"Unsupported YAML node {node.NodeType} in the OpenAPI document."),
    };

    private static JValue PlainScalar(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return JValue.CreateNull();
            case "true" or "True" or "TRUE":
                return new JValue(true);
            case "false" or "False" or "FALSE":
                return new JValue(false);
        }

        if (System.Text.RegularExpressions.Regex.IsMatch(text, "^[-+]?[0-9]+$")
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return new JValue(integer);
        }

        if (System.Text.RegularExpressions.Regex.IsMatch(text, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return new JValue(number);
        }

        return new JValue(text);
    }
}
