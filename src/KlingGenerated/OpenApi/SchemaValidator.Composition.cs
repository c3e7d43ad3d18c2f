using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.OpenApi;

// CUSTOM: createTask's body is one schema per model chosen by `model` (discriminator + allOf); this picks the model's
// schema, checks arrays, and refuses any keyword the validator does not implement instead of ignoring it.
internal static partial class SchemaValidator
{
    /// <summary>The keywords <see cref="SchemaValidator"/> checks or that only describe; any other one is refused when compiled.</summary>
    private static readonly HashSet<string> KnownKeywords = new(StringComparer.Ordinal)
    {
        // checked
        "type", "nullable", "enum", "required", "properties", "allOf", "discriminator", "items", "minItems", "maxItems",
        "minLength", "maxLength", "minimum", "maximum", "multipleOf", "pattern", "format", "$ref",
        // descriptions only
        "description", "title", "example", "examples", "default", "deprecated", "readOnly", "writeOnly", "externalDocs", "xml",
    };

    /// <summary>
    /// Checks <paramref name="value"/> against the schema its discriminator property maps it to. Returns false when the
    /// value has no discriminator (the schema's own checks then say it is required); true when it was handled.
    /// </summary>
    private static bool CheckDiscriminated(JsonElement value, CompiledDiscriminator discriminator, FieldPath name, ref List<string>? errors)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(discriminator.PropertyName, out var tag))
        {
            return false;
        }

        var field = new FieldPath(name.Path, discriminator.PropertyName);
        var mapping = discriminator.Mapping;
        if (tag.ValueKind != JsonValueKind.String || !mapping.TryGetValue(tag.GetString()!, out var chosen))
        {
            Add(ref errors, $"{field} must be one of the models the document maps ({string.Join(", ", mapping.Keys)}), not {tag.GetRawText()}.");
            return true;
        }

        // Each problem names the model it was checked for: the same field can be valid for one model and not another.
        var before = errors?.Count ?? 0;
        Check(value, chosen, name, ref errors, dispatch: false);
        for (var i = before; i < (errors?.Count ?? 0); i++)
        {
            var error = errors![i];
            errors[i] = $"{(error.EndsWith('.') ? error[..^1] : error)} (model {tag.GetString()}).";
        }

        return true;
    }

    private static void CheckArray(JsonElement array, CompiledSchema schema, FieldPath name, ref List<string>? errors)
    {
        var count = array.GetArrayLength();
        if (schema.MinItems is { } min && count < min)
        {
            Add(ref errors, min == 1 ? $"{name} must not be empty." : $"{name} must have at least {min} items, not {count}.");
        }

        if (schema.MaxItems is { } max && count > max)
        {
            Add(ref errors, $"{name} must have at most {max} item{(max == 1 ? string.Empty : "s")}, not {count}.");
        }

        if (schema.Items is { } items)
        {
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                Check(item, items, new FieldPath(name.Path, $"{index++}"), ref errors);
            }
        }
    }

    private sealed partial class CompiledSchema
    {
        // A construct this validator would skip is refused loudly: a document edit must never turn validation off.
        private static void RefuseUnsupported(JObject schema)
        {
            foreach (var keyword in schema.Properties().Select(p => p.Name))
            {
                if (!KnownKeywords.Contains(keyword) && !keyword.StartsWith("x-", StringComparison.Ordinal))
                {
                    throw new NotSupportedException(
                        $"The request validator does not implement the schema keyword '{keyword}' (at {schema.Path}); it refuses to validate rather than skip it. Express the rule with the keywords it knows, or extend OpenApi/SchemaValidator.");
                }
            }

            if (schema["format"] is JValue { Value: string format } && format is not ("uri" or "double" or "float" or "int32" or "int64")
                && (string?)schema["type"] == "string")
            {
                throw new NotSupportedException($"The request validator does not implement the string format '{format}' (at {schema.Path}).");
            }
        }
    }

    /// <summary>A discriminator: the property that names the schema, and the schema each value maps to (compiled on first use).</summary>
    private sealed class CompiledDiscriminator(string propertyName, Lazy<IReadOnlyDictionary<string, CompiledSchema>> mapping)
    {
        public string PropertyName { get; } = propertyName;

        public IReadOnlyDictionary<string, CompiledSchema> Mapping => mapping.Value;

        /// <summary>The discriminator of <paramref name="schema"/>, or null. Only an explicit <c>mapping</c> is supported.</summary>
        public static CompiledDiscriminator? Read(JObject schema, Func<JToken, CompiledSchema> compile)
        {
            if (schema["discriminator"] is not JObject discriminator)
            {
                return null;
            }

            if ((string?)discriminator["propertyName"] is not { } property || discriminator["mapping"] is not JObject { Count: > 0 } map)
            {
                throw new NotSupportedException($"The request validator needs a discriminator with a propertyName and an explicit mapping (at {schema.Path}).");
            }

            // Compiled lazily: each mapped schema derives from this one (allOf), which must be cached first.
            var pairs = map.Properties().Select(p => (p.Name, Reference: new JObject { ["$ref"] = (string)p.Value! })).ToArray();
            return new CompiledDiscriminator(property, new Lazy<IReadOnlyDictionary<string, CompiledSchema>>(
                () => pairs.ToDictionary(p => p.Name, p => compile(p.Reference), StringComparer.Ordinal),
                LazyThreadSafetyMode.ExecutionAndPublication));
        }
    }
}
