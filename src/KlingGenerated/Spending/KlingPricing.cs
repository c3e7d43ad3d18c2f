using System.Globalization;
using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated;

/// <summary>
/// What a createTask costs, in credits: per model, and per value of the one input that changes the price (for
/// <c>kling/v2-5-turbo-text-to-video-pro</c>, <c>duration</c> "5" = 42 and "10" = 84). <see cref="Document"/> reads it from
/// the OpenAPI document's <c>x-kling-pricing</c> (on createTask), with the date kie.ai's price was read; a user whose price
/// differs overrides it with <see cref="WithPrice"/> and sets <see cref="KlingClientOptions.Pricing"/>. Immutable.
/// </summary>
// CUSTOM: the prices are data in the document (x-kling-pricing), read at run time like the validation rules, never copied into C#.
public sealed class KlingPricing
{
    private static readonly Lazy<KlingPricing> LazyDocument = new(() => FromDocument(KlingOpenApiDocument.Root), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly IReadOnlyList<ModelPrice> _models;
    private readonly JObject _root; // the document the prices came from: its schemas give an absent input's default

    private KlingPricing(JObject root, string unit, string? readOn, IReadOnlyList<ModelPrice> models)
    {
        _root = root;
        Unit = unit;
        ReadOn = readOn;
        _models = models;
    }

    /// <summary>The prices the embedded OpenAPI document states (<c>x-kling-pricing</c> on createTask).</summary>
    public static KlingPricing Document => LazyDocument.Value;

    /// <summary>The unit of the prices: <c>credits</c>.</summary>
    public string Unit { get; }

    /// <summary>When the prices were read from kie.ai (for the document's, a month such as <c>2026-12</c>); null for prices set in code.</summary>
    public string? ReadOn { get; }

    /// <summary>The models priced, by their wire name.</summary>
    public IReadOnlyList<string> Models => [.. _models.Select(m => m.Model)];

    /// <summary>The lowest price of any priced task, or null when nothing is priced: a budget below it pays for nothing.</summary>
    public decimal? LowestPrice => _models.SelectMany(m => m.Credits.Values).DefaultIfEmpty().Min() is var min && _models.Any(m => m.Credits.Count > 0) ? min : null;

    /// <summary>Reads the pricing of an OpenAPI document's text (a copy of the document, to check a change of it).</summary>
    /// <exception cref="InvalidOperationException">The document has no <c>x-kling-pricing</c> on createTask, or it is malformed.</exception>
    public static KlingPricing Parse(string openApiYaml)
    {
        ArgumentNullException.ThrowIfNull(openApiYaml);
        return FromDocument(KlingOpenApiDocument.Parse(openApiYaml));
    }

    /// <summary>
    /// A copy of these prices in which a task of <paramref name="model"/> whose priced input is <paramref name="inputValue"/>
    /// costs <paramref name="credits"/> (a model not priced yet is added, priced by <c>duration</c>).
    /// </summary>
    public KlingPricing WithPrice(string model, string inputValue, decimal credits)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentException.ThrowIfNullOrEmpty(inputValue);
        ArgumentOutOfRangeException.ThrowIfNegative(credits);
        var models = _models.ToList();
        var index = models.FindIndex(m => m.Model == model);
        var existing = index >= 0 ? models[index] : new ModelPrice(model, "duration", new Dictionary<string, decimal>(StringComparer.Ordinal));
        var prices = new Dictionary<string, decimal>(existing.Credits, StringComparer.Ordinal) { [inputValue] = credits };
        var changed = existing with { Credits = prices };
        if (index >= 0)
        {
            models[index] = changed;
        }
        else
        {
            models.Add(changed);
        }

        return new KlingPricing(_root, Unit, ReadOn, models);
    }

    /// <summary>The credits <paramref name="request"/> costs, or null when these prices do not cover its model or input value.</summary>
    public decimal? PriceOf(VideoTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PriceOf(JObject.FromObject(request, Newtonsoft.Json.JsonSerializer.Create(KlingClient.CallbackSerializerSettings)));
    }

    /// <summary>The credits a createTask body (its JSON text) costs, or null when these prices do not cover it or it is not a JSON object.</summary>
    public decimal? PriceOf(string createTaskJson)
    {
        ArgumentNullException.ThrowIfNull(createTaskJson);
        try
        {
            return JToken.Parse(createTaskJson) is JObject body ? PriceOf(body) : null;
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Describes the price of <paramref name="request"/> for a message, such as <c>42 credits (duration 5, prices read 2026-12)</c>.</summary>
    public string Describe(VideoTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JObject.FromObject(request, Newtonsoft.Json.JsonSerializer.Create(KlingClient.CallbackSerializerSettings));
        var (model, value) = Inputs(body);
        var price = PriceOf(body);
        var read = ReadOn is null ? string.Empty : $", prices read {ReadOn}";
        return price is { } p
            ? $"{p.ToString("0.##", CultureInfo.InvariantCulture)} {Unit} ({model.PricedBy} {value}{read})"
            : $"an unknown price ({(model.Model.Length == 0 ? "no model" : model.Model)} {model.PricedBy} {value ?? "(none)"} is not priced{read})";
    }

    private decimal? PriceOf(JObject body)
    {
        var (model, value) = Inputs(body);
        return value is not null && model.Credits.TryGetValue(value, out var credits) ? credits : null;
    }

    /// <summary>The price table of the body's model (an empty one when unpriced) and the value of its priced input.</summary>
    private (ModelPrice Model, string? Value) Inputs(JObject body)
    {
        var modelName = body["model"]?.Type == JTokenType.String ? (string?)body["model"] : null;
        var model = _models.FirstOrDefault(m => m.Model == modelName)
            ?? new ModelPrice(modelName ?? string.Empty, _models.FirstOrDefault()?.PricedBy ?? "duration", new Dictionary<string, decimal>());
        var token = (body["input"] as JObject)?[model.PricedBy];
        var value = token is null || token.Type == JTokenType.Null
            ? InputDefault(model.Model, model.PricedBy) // absent: the service applies its default, and charges for it
            : token.Type is JTokenType.String or JTokenType.Integer or JTokenType.Float ? Convert.ToString(((JValue)token).Value, CultureInfo.InvariantCulture) : null;
        return (model, value);
    }

    /// <summary>The <c>x-service-default</c> (else <c>default</c>) of the model's input field, from the request schema its discriminator maps it to.</summary>
    private string? InputDefault(string model, string input)
    {
        var body = CreateTask(_root)?["requestBody"]?["content"]?["application/json"]?["schema"];
        if (body is null || KlingOpenApiDocument.Resolve(_root, body)["discriminator"]?["mapping"]?[model] is not JValue { Value: string reference })
        {
            return null;
        }

        var request = KlingOpenApiDocument.Resolve(_root, new JObject { ["$ref"] = reference });
        if (PropertyOf(request, "input") is not { } inputSchema || PropertyOf(inputSchema, input) is not { } field)
        {
            return null;
        }

        return (string?)(field["x-service-default"] ?? field["default"]);
    }

    /// <summary>A property's schema, resolved, looking through <c>allOf</c>.</summary>
    private JToken? PropertyOf(JToken schema, string name)
    {
        var resolved = KlingOpenApiDocument.Resolve(_root, schema);
        if (resolved["properties"]?[name] is { } property)
        {
            return KlingOpenApiDocument.Resolve(_root, property);
        }

        return (resolved["allOf"] as JArray ?? []).Select(part => PropertyOf(part, name)).FirstOrDefault(p => p is not null);
    }

    private static JObject? CreateTask(JObject root) =>
        root["paths"]?.Children<JProperty>()
            .SelectMany(path => path.Value.Children<JProperty>())
            .Select(method => method.Value as JObject)
            .FirstOrDefault(o => (string?)o?["operationId"] == "CreateTask");

    private static KlingPricing FromDocument(JObject root)
    {
        var operation = CreateTask(root);
        if (operation?["x-kling-pricing"] is not JObject pricing)
        {
            throw new InvalidOperationException("The OpenAPI document has no x-kling-pricing on the CreateTask operation; the client cannot price a task.");
        }

        var models = new List<ModelPrice>();
        foreach (var entry in pricing["models"] as JArray ?? [])
        {
            var model = (string?)entry["model"] ?? throw new InvalidOperationException("x-kling-pricing: a model entry has no 'model'.");
            var by = (string?)entry["pricedBy"] ?? throw new InvalidOperationException($"x-kling-pricing: the model {model} has no 'pricedBy'.");
            var credits = new Dictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var price in (entry["credits"] as JObject)?.Properties() ?? [])
            {
                credits[price.Name] = price.Value.Type is JTokenType.Integer or JTokenType.Float
                    ? price.Value.Value<decimal>()
                    : throw new InvalidOperationException($"x-kling-pricing: the price of {model} {by} {price.Name} is not a number.");
            }

            models.Add(new ModelPrice(model, by, credits));
        }

        return new KlingPricing(root, (string?)pricing["unit"] ?? "credits", (string?)pricing["readOn"], models);
    }

    private sealed record ModelPrice(string Model, string PricedBy, IReadOnlyDictionary<string, decimal> Credits);
}
