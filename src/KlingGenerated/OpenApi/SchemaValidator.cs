using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

/// <summary>
/// Checks a JSON value against a schema of the OpenAPI document: the subset of OpenAPI 3.0 schema keywords the
/// document uses (type, nullable, enum, required, properties, allOf, lengths, ranges, multipleOf, pattern, format uri).
/// </summary>
// CUSTOM: NSwag emits no check for multipleOf, and binary division gets 0.3 / 0.1 wrong, so both client and simulator use this.
internal static class SchemaValidator
{
    /// <summary>Relative tolerance of <c>multipleOf</c>: 0.3 and 0.7 are multiples of 0.1, 0.55 is not.</summary>
    internal const double MultipleOfTolerance = 1e-9;

    /// <summary>Validates <paramref name="value"/> and returns one sentence per violation, naming the JSON field.</summary>
    public static IReadOnlyList<string> Validate(JToken? value, JToken schema, string path)
    {
        var errors = new List<string>();
        Check(value, schema, path, errors);
        return errors;
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

    private static void Check(JToken? value, JToken schemaNode, string path, List<string> errors)
    {
        var schema = (JObject)KlingOpenApiDocument.Resolve(schemaNode);
        var name = path.Length == 0 ? "the body" : path;

        if (schema["allOf"] is JArray allOf)
        {
            foreach (var part in allOf)
            {
                Check(value, part, path, errors);
            }
        }

        if (value is null || value.Type is JTokenType.Null or JTokenType.Undefined)
        {
            if (schema["type"] is not null && (bool?)schema["nullable"] != true)
            {
                errors.Add($"{name} must not be null.");
            }

            return;
        }

        var type = (string?)schema["type"];
        if (type is "number" or "integer" && value is JValue { Value: "NaN" or "Infinity" or "-Infinity" } notFinite)
        {
            // Newtonsoft writes double.NaN and infinities as strings; name the real problem.
            errors.Add($"{name} must be a finite number, not {notFinite.Value}.");
            return;
        }

        if (type is not null && !HasType(value, type))
        {
            errors.Add($"{name} must be {Article(type)} {type}, not {Describe(value)}.");
            return;
        }

        if (schema["enum"] is JArray allowed && !allowed.Any(a => JToken.DeepEquals(a, value)))
        {
            errors.Add($"{name} must be one of {string.Join(", ", allowed.Select(a => a.ToString(Newtonsoft.Json.Formatting.None)))}, not {value.ToString(Newtonsoft.Json.Formatting.None)}.");
        }

        switch (value.Type)
        {
            case JTokenType.String:
                CheckString((string)value!, schema, name, errors);
                break;
            case JTokenType.Integer or JTokenType.Float:
                CheckNumber(value.Value<double>(), schema, name, errors);
                break;
            case JTokenType.Object:
                CheckObject((JObject)value, schema, path, errors);
                break;
        }
    }

    private static void CheckString(string text, JObject schema, string name, List<string> errors)
    {
        // Lengths count UTF-16 code units, as the service most likely does (see README, "How length is counted").
        if (schema["minLength"] is JValue min && text.Length < (long)min)
        {
            errors.Add((long)min == 1 ? $"{name} must not be empty." : $"{name} must be at least {(long)min} characters long, not {text.Length}.");
        }

        if (schema["maxLength"] is JValue max && text.Length > (long)max)
        {
            errors.Add($"{name} must be at most {(long)max} characters long, not {text.Length}.");
        }

        if (schema["pattern"] is JValue { Value: string pattern } && !Regex.IsMatch(text, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            errors.Add($"{name} must match the pattern {pattern}.");
        }

        if ((string?)schema["format"] == "uri"
            && !(Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            errors.Add($"{name} must be an absolute http or https URL, not \"{Shorten(text)}\".");
        }
    }

    private static void CheckNumber(double number, JObject schema, string name, List<string> errors)
    {
        if (!double.IsFinite(number))
        {
            errors.Add($"{name} must be a finite number, not {number.ToString(CultureInfo.InvariantCulture)}.");
            return;
        }

        var shown = number.ToString("R", CultureInfo.InvariantCulture);
        if (schema["minimum"] is JValue min && number < (double)min)
        {
            errors.Add($"{name} must be at least {Format(min)}, not {shown}.");
        }

        if (schema["maximum"] is JValue max && number > (double)max)
        {
            errors.Add($"{name} must be at most {Format(max)}, not {shown}.");
        }

        if (schema["multipleOf"] is JValue step && !IsMultipleOf(number, (double)step))
        {
            errors.Add($"{name} must be a multiple of {Format(step)}, not {shown}.");
        }
    }

    private static void CheckObject(JObject obj, JObject schema, string path, List<string> errors)
    {
        if (schema["required"] is JArray required)
        {
            foreach (var field in required.Select(r => (string)r!))
            {
                if (obj[field] is null)
                {
                    errors.Add($"{Join(path, field)} is required.");
                }
            }
        }

        if (schema["properties"] is JObject properties)
        {
            foreach (var property in properties.Properties())
            {
                if (obj.TryGetValue(property.Name, StringComparison.Ordinal, out var child))
                {
                    Check(child, property.Value, Join(path, property.Name), errors);
                }
            }
        }
    }

    private static bool HasType(JToken value, string type) => type switch
    {
        "object" => value.Type == JTokenType.Object,
        "array" => value.Type == JTokenType.Array,
        "string" => value.Type == JTokenType.String,
        "boolean" => value.Type == JTokenType.Boolean,
        "integer" => value.Type == JTokenType.Integer
            || (value.Type == JTokenType.Float && double.IsFinite(value.Value<double>()) && Math.Floor(value.Value<double>()) == value.Value<double>()),
        "number" => value.Type is JTokenType.Integer or JTokenType.Float,
        _ => true,
    };

    private static string Describe(JToken value) => value.Type switch
    {
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        JTokenType.String => $"the string \"{Shorten((string)value!)}\"",
        JTokenType.Boolean => "a boolean",
        JTokenType.Integer or JTokenType.Float => $"the number {value.ToString(Newtonsoft.Json.Formatting.None)}",
        _ => value.Type.ToString().ToLowerInvariant(),
    };

    private static string Article(string type) => type is "object" or "array" or "integer" ? "an" : "a";

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static string Format(JValue number) => Convert.ToDouble(number.Value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
