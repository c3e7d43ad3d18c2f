using System.Globalization;
using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated;

/// <summary>
/// What a createTask costs, in credits: per model, and per value of the inputs that change the price (for the 2.5 Turbo
/// models, <c>duration</c> "5" = 42 and "10" = 84). <see cref="Document"/> reads it from
/// the OpenAPI document's <c>x-kling-pricing</c> (on createTask), with the date kie.ai's price was read; a user whose price
/// differs overrides it with <see cref="WithPrice"/> and sets <see cref="KlingClientOptions.Pricing"/>. A price the
/// document marks <c>verified: false</c> (seen only on third-party pages) is not used unless the caller accepts it
/// (<see cref="WithUnverifiedPrices"/>) or sets its own. Immutable.
/// </summary>
// CUSTOM: the prices are data in the document (x-kling-pricing), read at run time like the validation rules, never copied into C#.
public sealed class KlingPricing
{
    private static readonly Lazy<KlingPricing> LazyDocument = new(() => FromDocument(KlingOpenApiDocument.Root), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly IReadOnlyList<ModelPrice> _models;
    private readonly JObject _root; // the document the prices came from: its schemas give an absent input's default

    private KlingPricing(JObject root, string unit, string? readOn, IReadOnlyList<ModelPrice> models, bool acceptsUnverified)
    {
        _root = root;
        Unit = unit;
        ReadOn = readOn;
        _models = models;
        AcceptsUnverifiedPrices = acceptsUnverified;
    }

    /// <summary>The prices the embedded OpenAPI document states (<c>x-kling-pricing</c> on createTask).</summary>
    public static KlingPricing Document => LazyDocument.Value;

    /// <summary>The unit of the prices: <c>credits</c>.</summary>
    public string Unit { get; }

    /// <summary>When the prices were read from kie.ai (for the document's, a month such as <c>2026-12</c>); null for prices set in code.</summary>
    public string? ReadOn { get; }

    /// <summary>The models priced, by their wire name.</summary>
    public IReadOnlyList<string> Models => [.. _models.Select(m => m.Model)];

    /// <summary>The models some of whose prices are unverified (<c>verified: false</c> in the document: seen only on third-party pages).</summary>
    public IReadOnlyList<string> UnverifiedModels => [.. _models.Where(m => m.Unverified.Count > 0).Select(m => m.Model)];

    /// <summary>Whether these prices use the document's unverified prices (<see cref="WithUnverifiedPrices"/>); by default they do not.</summary>
    public bool AcceptsUnverifiedPrices { get; }

    /// <summary>The lowest price of any task these prices cover, or null when nothing is priced: a budget below it pays for nothing.</summary>
    public decimal? LowestPrice => _models.SelectMany(m => m.Credits.Where(c => Usable(m, c.Key)).Select(c => c.Value)).ToList() is { Count: > 0 } prices ? prices.Min() : null;

    /// <summary>Reads the pricing of an OpenAPI document's text (a copy of the document, to check a change of it).</summary>
    /// <exception cref="InvalidOperationException">The document has no <c>x-kling-pricing</c> on createTask, or it is malformed.</exception>
    public static KlingPricing Parse(string openApiYaml)
    {
        ArgumentNullException.ThrowIfNull(openApiYaml);
        return FromDocument(KlingOpenApiDocument.Parse(openApiYaml));
    }

    /// <summary>
    /// A copy of these prices that also uses the prices the document marks unverified (<c>verified: false</c>): the
    /// caller accepts them, for example to reserve a Kling 2.6 task under a budget at the third-party price.
    /// </summary>
    public KlingPricing WithUnverifiedPrices() => new(_root, Unit, ReadOn, _models, acceptsUnverified: true);

    /// <summary>
    /// A copy of these prices in which a task of <paramref name="model"/> whose priced input is <paramref name="inputValue"/>
    /// costs <paramref name="credits"/> (a model not priced yet is added, priced by <c>duration</c>). For a model priced by
    /// several inputs, <paramref name="inputValue"/> joins their values with <c>,</c> in the document's order (<c>"5,true"</c>
    /// is 5 seconds with sound). The caller's price counts as verified.
    /// </summary>
    public KlingPricing WithPrice(string model, string inputValue, decimal credits)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentException.ThrowIfNullOrEmpty(inputValue);
        ArgumentOutOfRangeException.ThrowIfNegative(credits);
        var models = _models.ToList();
        var index = models.FindIndex(m => m.Model == model);
        var existing = index >= 0 ? models[index] : new ModelPrice(model, ["duration"], new Dictionary<string, decimal>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), null);
        var prices = new Dictionary<string, decimal>(existing.Credits, StringComparer.Ordinal) { [inputValue] = credits };
        var unverified = new HashSet<string>(existing.Unverified, StringComparer.Ordinal);
        unverified.Remove(inputValue);
        var changed = existing with { Credits = prices, Unverified = unverified };
        if (index >= 0)
        {
            models[index] = changed;
        }
        else
        {
            models.Add(changed);
        }

        return new KlingPricing(_root, Unit, ReadOn, models, AcceptsUnverifiedPrices);
    }

    /// <summary>The credits <paramref name="request"/> costs, or null when these prices do not cover its model or input value (or its price is unverified and not accepted).</summary>
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
        var inputs = Inputs(model, value);
        var unverified = value is not null && model.Unverified.Contains(value);
        var from = unverified ? $", unverified: {model.Source ?? "not stated by kie.ai"}" : string.Empty;
        if (price is { } p)
        {
            return $"{KlingBudget.FormatCredits(p)} {Unit} ({inputs}{from}{read})";
        }

        return unverified && model.Credits.TryGetValue(value!, out var seen)
            ? $"an unverified price ({model.Model} {inputs} is {KlingBudget.FormatCredits(seen)} {Unit}{from}{read}; accept it with KlingPricing.Document.WithUnverifiedPrices() or set yours with WithPrice)"
            : $"an unknown price ({(model.Model.Length == 0 ? "no model" : model.Model)} {inputs} is not priced{read})";
    }

    private static string Inputs(ModelPrice model, string? value)
    {
        var values = value?.Split(',') ?? [];
        return string.Join(", ", model.PricedBy.Select((input, i) => $"{input} {(i < values.Length ? values[i] : "(none)")}"));
    }

    private bool Usable(ModelPrice model, string key) => AcceptsUnverifiedPrices || !model.Unverified.Contains(key);

    private decimal? PriceOf(JObject body)
    {
        var (model, value) = Inputs(body);
        return value is not null && model.Credits.TryGetValue(value, out var credits) && Usable(model, value) ? credits : null;
    }

    /// <summary>The price table of the body's model (an empty one when unpriced) and the key of its priced inputs' values.</summary>
    private (ModelPrice Model, string? Value) Inputs(JObject body)
    {
        var modelName = body["model"]?.Type == JTokenType.String ? (string?)body["model"] : null;
        var model = _models.FirstOrDefault(m => m.Model == modelName)
            ?? new ModelPrice(modelName ?? string.Empty, _models.FirstOrDefault()?.PricedBy ?? ["duration"], new Dictionary<string, decimal>(), new HashSet<string>(), null);
        var values = new List<string>();
        foreach (var input in model.PricedBy)
        {
            var token = (body["input"] as JObject)?[input];
            var value = token is null || token.Type == JTokenType.Null
                ? InputDefault(model.Model, input) // absent: the service applies its default, and charges for it
                : token.Type switch
                {
                    JTokenType.String or JTokenType.Integer or JTokenType.Float => Convert.ToString(((JValue)token).Value, CultureInfo.InvariantCulture),
                    JTokenType.Boolean => (bool)token ? "true" : "false",
                    _ => null,
                };
            if (value is null)
            {
                return (model, null);
            }

            values.Add(value);
        }

        return (model, string.Join(',', values));
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

        return (field["x-service-default"] ?? field["default"]) switch
        {
            null => null,
            { Type: JTokenType.Boolean } flag => (bool)flag ? "true" : "false",
            var other => Convert.ToString(((JValue)other).Value, CultureInfo.InvariantCulture),
        };
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
            string[] by = entry["pricedBy"] switch
            {
                JValue { Type: JTokenType.String } one => [(string)one!],
                JArray { Count: > 0 } several when several.All(i => i.Type == JTokenType.String) => [.. several.Select(i => (string)i!)],
                _ => throw new InvalidOperationException($"x-kling-pricing: the model {model} has no 'pricedBy' (an input name or a list of them)."),
            };
            var verified = entry["verified"] switch
            {
                null => true,
                JValue { Type: JTokenType.Boolean } flag => (bool)flag,
                _ => throw new InvalidOperationException($"x-kling-pricing: 'verified' of {model} is not a boolean."),
            };
            var credits = new Dictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var price in (entry["credits"] as JObject)?.Properties() ?? [])
            {
                credits[price.Name] = price.Value.Type is JTokenType.Integer or JTokenType.Float
                    ? price.Value.Value<decimal>()
                    : throw new InvalidOperationException($"x-kling-pricing: the price of {model} {string.Join(',', by)} {price.Name} is not a number.");
                if (price.Name.Split(',').Length != by.Length)
                {
                    throw new InvalidOperationException($"x-kling-pricing: the price key '{price.Name}' of {model} does not give one value for each of {string.Join(", ", by)}.");
                }
            }

            var unverified = new HashSet<string>(verified ? [] : credits.Keys, StringComparer.Ordinal);
            models.Add(new ModelPrice(model, by, credits, unverified, (string?)entry["source"]));
        }

        return new KlingPricing(root, (string?)pricing["unit"] ?? "credits", (string?)pricing["readOn"], models, acceptsUnverified: false);
    }

    /// <summary>One model's prices: keyed by its priced inputs' values joined with ','; <see cref="Unverified"/> are the keys only third-party pages state.</summary>
    private sealed record ModelPrice(string Model, IReadOnlyList<string> PricedBy, IReadOnlyDictionary<string, decimal> Credits, IReadOnlySet<string> Unverified, string? Source);
}
