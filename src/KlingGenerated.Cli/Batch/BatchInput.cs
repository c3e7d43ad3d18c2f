using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli.Batch;

/// <summary>
/// Strict batch fields: a line is <c>id</c> (optional), <c>model</c> (optional: the model <c>kling generate</c> uses by
/// default) and the <c>input</c> fields of that model, as openapi/kling.openapi.yaml states them (<see cref="KlingModels"/>);
/// each value must have the field's JSON type. A line that breaks either is refused with the exact fix, naming the model
/// and the field, never sent: the spec lets unknown input fields through to the service, which ignores them, so
/// `aspectRatio` would be paid for with the default ratio.
/// </summary>
/// <remarks>Values of another JSON type are refused rather than converted: the fix is one edit, and nothing is guessed.</remarks>
internal static class BatchInput
{
    /// <summary>The key of a line that names its model.</summary>
    public const string ModelKey = "model";

    /// <summary>The model of a line without <c>model</c>: the one whose request kept the first model's name, as <c>kling generate</c> defaults to.</summary>
    public static string DefaultModel => KlingModels.ModelOf(typeof(CreateTaskRequest));

    /// <summary>Every key a line (or a CSV header) may hold: <c>id</c>, <c>model</c> and each model's input fields, in the document's order.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["id", ModelKey, .. KlingModels.All.SelectMany(m => m.Inputs.Select(f => f.Name)).Distinct(StringComparer.Ordinal)];

    /// <summary>The model a line asks for, or the problem with its <c>model</c> value.</summary>
    public static (KlingModelInfo? Model, string? Problem) ModelOf(JObject line)
    {
        var token = line[ModelKey];
        if (token is null)
        {
            return (KlingModels.Find(DefaultModel), null);
        }

        var models = string.Join(", ", KlingModels.All.Select(m => $"\"{m.Id}\""));
        if (token.Type != JTokenType.String)
        {
            return (null, $"\"model\" must be a JSON string, one of {models}.");
        }

        var id = (string)token!;
        return KlingModels.Find(id) is { } model
            ? (model, null)
            : (null, $"unknown model \"{Text(id)}\"; the models are {models} (`kling models` lists them with their inputs).");
    }

    /// <summary>The problem with a line's model, keys or value types, with its fix; null when there is none.</summary>
    public static string? Problem(JObject line)
    {
        var (model, modelProblem) = ModelOf(line);
        if (model is null)
        {
            return modelProblem;
        }

        foreach (var property in line.Properties())
        {
            if (property.Name is "id" or ModelKey)
            {
                continue;
            }

            if (model.Input(property.Name) is not { } field)
            {
                return UnknownField(model, property.Name);
            }

            if (TypeProblem(field, property.Value, model.Id) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string UnknownField(KlingModelInfo model, string name)
    {
        var fields = model.Inputs.Select(f => f.Name).ToList();
        var elsewhere = KlingModels.All.Where(m => m.Input(name) is not null).Select(m => m.Id).ToList();
        var suggestion = elsewhere.Count > 0 ? null : Suggest(name, [.. fields, "id", ModelKey]);
        return $"unknown field \"{Text(name)}\" for the model {model.Id}"
            + (elsewhere.Count > 0 ? $" (only {string.Join(", ", elsewhere)} {(elsewhere.Count == 1 ? "has" : "have")} it)" : string.Empty)
            + (suggestion is null ? string.Empty : $"; did you mean \"{suggestion}\"?")
            + $" A line of {model.Id} holds only \"id\", \"model\" and its input fields {string.Join(", ", fields.Select(k => $"\"{k}\""))}.";
    }

    private static string? TypeProblem(KlingInputField field, JToken value, string model)
    {
        var name = field.Name;
        if (value.Type == JTokenType.Null)
        {
            return $"\"{name}\" is null; leave the field out to use the service's default.";
        }

        switch (field.Type)
        {
            case "number" or "integer" when value.Type is not (JTokenType.Float or JTokenType.Integer):
                return value.Type == JTokenType.String && double.TryParse((string)value!, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? $"\"{name}\" must be a JSON number: write \"{name}\": {number.ToString(CultureInfo.InvariantCulture)} (without quotes)."
                    : $"\"{name}\" must be a JSON number such as 0.5.";
            case "boolean" when value.Type != JTokenType.Boolean:
                return value.Type == JTokenType.String && bool.TryParse((string)value!, out var flag)
                    ? $"\"{name}\" must be a JSON boolean: write \"{name}\": {(flag ? "true" : "false")} (without quotes)."
                    : $"\"{name}\" must be a JSON boolean, true or false.";
            case "array" when value.Type != JTokenType.Array:
                return value.Type == JTokenType.String
                    ? $"\"{name}\" of {model} is a list: write \"{name}\": [\"{Text((string)value!)}\"] (in brackets)."
                    : $"\"{name}\" of {model} must be a JSON array.";
            case "string" when value.Type != JTokenType.String:
                return value.Type is JTokenType.Integer or JTokenType.Float or JTokenType.Boolean
                    ? $"\"{name}\" must be a JSON string: write \"{name}\": \"{Text(value.ToString(Formatting.None))}\" (with quotes)."
                    : $"\"{name}\" must be a JSON string.";
        }

        // `kling generate "   "` is refused for the same reason: the service would be paid for a prompt that says nothing.
        if (name == "prompt" && string.IsNullOrWhiteSpace((string?)value))
        {
            return "\"prompt\" is empty or only spaces; describe what the video shows, such as \"a paper boat on a rainy street\".";
        }

        return null;
    }

    /// <summary>The key meant by a misspelt one among <paramref name="candidates"/>: the same letters in another case or separator (aspectRatio), else one or two edits away.</summary>
    internal static string? Suggest(string key, IReadOnlyList<string> candidates)
    {
        static string Squash(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        return candidates.FirstOrDefault(f => Squash(f) == Squash(key))
            ?? (Squash(key).Length >= 3 ? candidates.FirstOrDefault(f => Squash(f).StartsWith(Squash(key), StringComparison.Ordinal)) : null) // aspect -> aspect_ratio
            ?? candidates.Select(f => (Field: f, Distance: Distance(Squash(f), Squash(key)))).Where(c => c.Distance <= 2).OrderBy(c => c.Distance).Select(c => c.Field).FirstOrDefault();
    }

    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static string Text(string value) => Ledger.Text.Safe(value, 60);
}
