using System.Collections.Concurrent;
using System.Reflection;
using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated;

/// <summary>
/// The models the OpenAPI document maps in <c>VideoTaskRequest</c>'s discriminator, each with its generated request type.
/// Nothing here names a model: the list is read from the embedded document and the generated types.
/// </summary>
// CUSTOM: one place that turns the document's discriminator mapping into types, so the CLI, simulator and tools list models from the document.
public static class KlingModels
{
    private static readonly ConcurrentDictionary<Type, string> ModelsByType = new();
    private static readonly Lazy<IReadOnlyList<KlingModelInfo>> LazyAll = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Every model of the document, in the order of its discriminator mapping.</summary>
    public static IReadOnlyList<KlingModelInfo> All => LazyAll.Value;

    /// <summary>The model with the id <paramref name="model"/> (compared ordinally), or null when the document has none.</summary>
    public static KlingModelInfo? Find(string? model) => model is null ? null : All.FirstOrDefault(m => m.Id == model);

    /// <summary>The model id the generated code maps to <paramref name="requestType"/>, as sent in the body's <c>model</c>.</summary>
    /// <exception cref="ArgumentException">The type is not a request type the document maps to a model.</exception>
    public static string ModelOf(Type requestType)
    {
        ArgumentNullException.ThrowIfNull(requestType);
        return ModelsByType.GetOrAdd(requestType, static type =>
            typeof(VideoTaskRequest).GetCustomAttributes<JsonInheritanceAttribute>(inherit: true).FirstOrDefault(a => a.Type == type)?.Key
            ?? throw new ArgumentException($"{type.Name} is not a request type the OpenAPI document maps to a model.", nameof(requestType)));
    }

    private static IReadOnlyList<KlingModelInfo> Load()
    {
        var types = typeof(VideoTaskRequest).GetCustomAttributes<JsonInheritanceAttribute>(inherit: true).ToDictionary(a => a.Key, a => a.Type, StringComparer.Ordinal);
        var mapping = KlingOpenApiDocument.RequestDiscriminator()["mapping"] as JObject
            ?? throw new InvalidOperationException("The OpenAPI document's createTask body has no discriminator mapping.");
        var models = new List<KlingModelInfo>();
        foreach (var (id, reference) in mapping)
        {
            var requestSchema = ((string)reference!).Split('/')[^1];
            var input = KlingOpenApiDocument.InputSchemaOf(requestSchema);
            models.Add(new KlingModelInfo(
                id,
                requestSchema,
                input.Name,
                types.TryGetValue(id, out var type) ? type : throw new InvalidOperationException($"The generated code has no request type for the model '{id}'; rebuild from the document."),
                KlingInputField.Read(input.Schema)));
        }

        return models;
    }
}

/// <summary>A model of the document: its id, its request and input schemas, its generated request type and its input fields.</summary>
/// <param name="Id">The value of the body's <c>model</c>.</param>
/// <param name="RequestSchema">The name of its request schema under <c>components/schemas</c>.</param>
/// <param name="InputSchema">The name of its input schema under <c>components/schemas</c>.</param>
/// <param name="RequestType">The generated request type (derived from <see cref="VideoTaskRequest"/>).</param>
/// <param name="Inputs">The fields of its <c>input</c>, in the document's order.</param>
public sealed record KlingModelInfo(string Id, string RequestSchema, string InputSchema, Type RequestType, IReadOnlyList<KlingInputField> Inputs)
{
    /// <summary>The input field named <paramref name="name"/> (its JSON name), or null when this model has none.</summary>
    public KlingInputField? Input(string name) => Inputs.FirstOrDefault(f => f.Name == name);
}

/// <summary>A field of a model's <c>input</c>, as the document states it.</summary>
/// <param name="Name">The JSON name, such as <c>image_url</c>.</param>
/// <param name="Type">The JSON type: <c>string</c>, <c>number</c>, <c>integer</c>, <c>boolean</c>, <c>array</c> or <c>object</c>.</param>
/// <param name="Required">The model needs it.</param>
/// <param name="Values">The allowed values of an enum, in the document's order; null otherwise.</param>
/// <param name="Format">The <c>format</c> (for an array, of its items), such as <c>uri</c>; null when none.</param>
/// <param name="ItemType">The JSON type of an array's items; null otherwise.</param>
/// <param name="Description">The document's description, first line; null when none.</param>
public sealed record KlingInputField(string Name, string Type, bool Required, IReadOnlyList<string>? Values, string? Format, string? ItemType, string? Description)
{
    internal static IReadOnlyList<KlingInputField> Read(JObject input)
    {
        var required = (input["required"] as JArray)?.Select(r => (string)r!).ToHashSet(StringComparer.Ordinal) ?? [];
        return [.. ((input["properties"] as JObject) ?? []).Properties().Select(p =>
        {
            var schema = (JObject)KlingOpenApiDocument.Resolve(p.Value);
            var items = schema["items"] is { } node ? (JObject)KlingOpenApiDocument.Resolve(node) : null;
            var description = (string?)schema["description"] ?? (string?)((JObject)p.Value)["description"];
            return new KlingInputField(
                p.Name,
                (string?)schema["type"] ?? "object",
                required.Contains(p.Name),
                (schema["enum"] as JArray)?.Select(v => (string)v!).ToArray(),
                (string?)(items ?? schema)["format"],
                (string?)items?["type"],
                description?.Split('\n', 2)[0].Trim());
        })];
    }
}
