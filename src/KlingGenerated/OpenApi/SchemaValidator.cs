using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>
/// Checks a JSON value against a schema of the OpenAPI document: the subset of OpenAPI 3.0 schema keywords the
/// document uses (type, nullable, enum, required, properties, allOf, discriminator, items, lengths, ranges, multipleOf,
/// pattern, format uri). Schemas are compiled once; a valid value is checked without allocating. A keyword it does not
/// implement throws <see cref="NotSupportedException"/> when the schema is compiled: validation is never silently partial.
/// </summary>
// CUSTOM: NSwag emits no check for multipleOf, and binary division gets 0.3 / 0.1 wrong, so both client and simulator use this.
internal static partial class SchemaValidator
{
    /// <summary>Relative tolerance of <c>multipleOf</c>: 0.3 and 0.7 are multiples of 0.1, 0.55 is not.</summary>
    internal const double MultipleOfTolerance = 1e-9;

    /// <summary>Validates <paramref name="value"/> and returns one sentence per violation, naming the JSON field.</summary>
    public static IReadOnlyList<string> Validate(JsonElement value, JToken schema, string path)
    {
        List<string>? errors = null;
        Check(value, CompiledSchema.For(schema), new FieldPath(path, null), ref errors);
        return errors ?? (IReadOnlyList<string>)[];
    }

    /// <summary>Validates a text value, such as a query parameter.</summary>
    public static IReadOnlyList<string> ValidateText(string value, JToken schema, string path)
    {
        List<string>? errors = null;
        CheckString(value, CompiledSchema.For(schema), new FieldPath(path, null), ref errors);
        return errors ?? (IReadOnlyList<string>)[];
    }

    /// <summary>True when <paramref name="value"/> is a whole multiple of <paramref name="step"/>, within the tolerance.</summary>
    public static bool IsMultipleOf(double value, double step)
    {
        if (!double.IsFinite(value) || step <= 0)
        {
            return false;
        }

        var quotient = value / step;
        return Math.Abs(quotient - Math.Round(quotient)) <= MultipleOfTolerance * Math.Max(1.0, Math.Abs(quotient));
    }

    // The dotted path of a field is built only when it is needed (an error, or an object to descend into).
    // dispatch: false when the schema is an allOf part of a derived schema the discriminator already chose.
    private static void Check(JsonElement value, CompiledSchema schema, FieldPath name, ref List<string>? errors, bool dispatch = true)
    {
        if (dispatch && schema.Discriminator is { } discriminator && CheckDiscriminated(value, discriminator, name, ref errors))
        {
            return;
        }

        foreach (var part in schema.AllOf)
        {
            Check(value, part, name, ref errors, dispatch: false);
        }

        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            if (schema.Type is not null && !schema.Nullable)
            {
                Add(ref errors, $"{name} must not be null.");
            }

            return;
        }

        if (schema.Type is "number" or "integer" && value.ValueKind == JsonValueKind.String
            && (value.ValueEquals("NaN") || value.ValueEquals("Infinity") || value.ValueEquals("-Infinity")))
        {
            // Newtonsoft writes double.NaN and infinities as strings; name the real problem.
            Add(ref errors, $"{name} must be a finite number, not {value.GetString()}.");
            return;
        }

        if (schema.Type is not null && !HasType(value, schema.Type))
        {
            Add(ref errors, $"{name} must be {Article(schema.Type)} {schema.Type}, not {Describe(value)}.");
            return;
        }

        if (schema.Enum is { } allowed && !allowed.Any(a => EnumEquals(a, value)))
        {
            Add(ref errors, $"{name} must be one of {string.Join(", ", allowed.Select(a => a.ToString(Newtonsoft.Json.Formatting.None)))}, not {value.GetRawText()}.");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                CheckString(value.GetString()!, schema, name, ref errors);
                break;
            case JsonValueKind.Number:
                CheckNumber(value.GetDouble(), schema, name, ref errors);
                break;
            case JsonValueKind.Object:
                CheckObject(value, schema, name.Path, ref errors);
                break;
            case JsonValueKind.Array:
                CheckArray(value, schema, name, ref errors);
                break;
        }
    }

    private static void CheckString(string text, CompiledSchema schema, FieldPath name, ref List<string>? errors)
    {
        // Lengths count UTF-16 code units, as the service most likely does (see docs/reliability.md, "How length is counted").
        if (schema.MinLength is { } min && text.Length < min)
        {
            Add(ref errors, min == 1 ? $"{name} must not be empty." : $"{name} must be at least {min} characters long, not {text.Length}.");
        }

        if (schema.MaxLength is { } max && text.Length > max)
        {
            Add(ref errors, $"{name} must be at most {max} characters long, not {text.Length}.");
        }

        // A URL that is not absolute http(s) gets that plain sentence, not also the regex that says the same (callBackUrl).
        if (schema.FormatUri && !(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            Add(ref errors, $"{name} must be an absolute http or https URL, not \"{Shorten(text)}\".");
        }
        else if (schema.Pattern is { } pattern && !pattern.IsMatch(text))
        {
            Add(ref errors, $"{name} must match the pattern {pattern}.");
        }
    }

    private static void CheckNumber(double number, CompiledSchema schema, FieldPath name, ref List<string>? errors)
    {
        if (schema.Minimum is { } min && number < min)
        {
            Add(ref errors, $"{name} must be at least {Format(min)}, not {Format(number)}.");
        }

        if (schema.Maximum is { } max && number > max)
        {
            Add(ref errors, $"{name} must be at most {Format(max)}, not {Format(number)}.");
        }

        if (schema.MultipleOf is { } step && !IsMultipleOf(number, step))
        {
            Add(ref errors, $"{name} must be a multiple of {Format(step)}, not {Format(number)}.");
        }
    }

    private static void CheckObject(JsonElement obj, CompiledSchema schema, string path, ref List<string>? errors)
    {
        foreach (var field in schema.Required)
        {
            if (!obj.TryGetProperty(field, out _))
            {
                Add(ref errors, $"{Join(path, field)} is required.");
            }
        }

        foreach (var (field, child) in schema.Properties)
        {
            if (obj.TryGetProperty(field, out var value))
            {
                Check(value, child, new FieldPath(path, field), ref errors);
            }
        }
    }

    private static bool EnumEquals(JToken allowed, JsonElement value) => allowed.Type switch
    {
        JTokenType.String => value.ValueKind == JsonValueKind.String && value.ValueEquals((string)allowed!),
        JTokenType.Integer or JTokenType.Float => value.ValueKind == JsonValueKind.Number && value.GetDouble() == (double)allowed,
        JTokenType.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False && value.GetBoolean() == (bool)allowed,
        JTokenType.Null => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.GetDouble() is var d && double.IsFinite(d) && Math.Floor(d) == d,
        "number" => value.ValueKind == JsonValueKind.Number,
        _ => true,
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    /// <summary>A field's dotted path, built only when printed (an error) or descended into (an object).</summary>
    private readonly record struct FieldPath(string Parent, string? Field)
    {
        public string Path => Field is null ? Parent : Join(Parent, Field);

        public override string ToString() => Path is { Length: > 0 } path ? path : "the body";
    }

    private static void Add(ref List<string>? errors, string error) => (errors ??= []).Add(error);

    private static string Article(string type) => type is "object" or "array" or "integer" ? "an" : "a";

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static string Format(double number) => number.ToString("R", CultureInfo.InvariantCulture);

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";

    /// <summary>A schema of the document with its $refs resolved and its keywords read, built once.</summary>
    private sealed partial class CompiledSchema
    {
        private static readonly ConcurrentDictionary<JToken, CompiledSchema> Cache = new(ReferenceEqualityComparer.Instance);

        private CompiledSchema(JObject schema)
        {
            Type = (string?)schema["type"];
            Nullable = (bool?)schema["nullable"] == true;
            Enum = (schema["enum"] as JArray)?.ToArray();
            MinLength = (long?)schema["minLength"];
            MaxLength = (long?)schema["maxLength"];
            Minimum = (double?)schema["minimum"];
            Maximum = (double?)schema["maximum"];
            MultipleOf = (double?)schema["multipleOf"];
            Pattern = (string?)schema["pattern"] is { } pattern ? new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;
            FormatUri = (string?)schema["format"] == "uri";
            Required = (schema["required"] as JArray)?.Select(r => (string)r!).ToArray() ?? [];
            MinItems = (long?)schema["minItems"];
            MaxItems = (long?)schema["maxItems"];
            RefuseUnsupported(schema);
        }

        public string? Type { get; }

        public bool Nullable { get; }

        public JToken[]? Enum { get; }

        public long? MinLength { get; }

        public long? MaxLength { get; }

        public double? Minimum { get; }

        public double? Maximum { get; }

        public double? MultipleOf { get; }

        public Regex? Pattern { get; }

        public bool FormatUri { get; }

        public string[] Required { get; }

        public CompiledSchema[] AllOf { get; private init; } = [];

        public CompiledSchema? Items { get; private init; }

        public long? MinItems { get; }

        public long? MaxItems { get; }

        public CompiledDiscriminator? Discriminator { get; private init; }

        public (string Name, CompiledSchema Schema)[] Properties { get; private init; } = [];

        public static CompiledSchema For(JToken node) => For(node, depth: 0);

        // Compiled whole before it is shared, so no thread sees a half-built schema. The document has no recursive schemas.
        private static CompiledSchema For(JToken node, int depth)
        {
            // Cached under the node as written ($ref or not), so a hit resolves nothing.
            if (Cache.TryGetValue(node, out var compiled))
            {
                return compiled;
            }

            var resolved = (JObject)KlingOpenApiDocument.Resolve(node);
            if (Cache.TryGetValue(resolved, out compiled))
            {
                return Cache.GetOrAdd(node, compiled);
            }

            if (depth > 32)
            {
                throw new InvalidOperationException("The OpenAPI document nests schemas deeper than 32 levels; recursive schemas are not supported.");
            }

            compiled = new CompiledSchema(resolved)
            {
                AllOf = (resolved["allOf"] as JArray)?.Select(n => For(n, depth + 1)).ToArray() ?? [],
                Items = resolved["items"] is { } items ? For(items, depth + 1) : null,
                Discriminator = CompiledDiscriminator.Read(resolved, node => For(node, depth + 1)),
                Properties = (resolved["properties"] as JObject)?.Properties().Select(p => (p.Name, For(p.Value, depth + 1))).ToArray() ?? [],
            };
            compiled = Cache.GetOrAdd(resolved, compiled);
            return Cache.GetOrAdd(node, compiled);
        }
    }
}
