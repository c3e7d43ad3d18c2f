using System.ComponentModel.DataAnnotations;
using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated;

/// <summary>
/// What the OpenAPI document says a client checks before uploading a file: the most bytes (<c>x-kling-max-bytes</c> on
/// <c>UploadFileStream</c>'s <c>file</c>), the media types (its <c>encoding.file.contentType</c>) and the schemas of the
/// form's text fields. Read from the embedded document, never copied here.
/// </summary>
// CUSTOM: the service would take (and the model then refuse) a file the document rules out; refuse it before a byte leaves.
public static class KlingUploadRules
{
    private static readonly Lazy<(long MaxBytes, string[] MediaTypes, JObject Form)> Rules = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The largest file the document lets a client upload, in bytes (10 MB: what the models read).</summary>
    public static long MaxFileBytes => Rules.Value.MaxBytes;

    /// <summary>The media types the document lets a client upload (<c>image/jpeg</c>, <c>image/png</c>).</summary>
    public static IReadOnlyList<string> MediaTypes => Rules.Value.MediaTypes;

    /// <summary>
    /// The media type of a file from its first bytes (JPEG <c>FF D8 FF</c>, PNG <c>89 50 4E 47 0D 0A 1A 0A</c>), when it is
    /// one of <see cref="MediaTypes"/>; null otherwise. The file's name is never trusted for this.
    /// </summary>
    public static string? MediaTypeOf(ReadOnlySpan<byte> head)
    {
        string? sniffed = head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "image/jpeg"
            : head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? "image/png"
            : null;
        return sniffed is not null && MediaTypes.Contains(sniffed, StringComparer.OrdinalIgnoreCase) ? sniffed : null;
    }

    /// <summary>
    /// The input fields of <paramref name="model"/> that take an uploaded file's URL (their schema, or their items', has
    /// <c>x-kling-upload</c>), required ones first, in the document's order: where a tool puts a local image once uploaded.
    /// </summary>
    public static IReadOnlyList<(string Field, bool Required, bool IsList)> ImageFieldsOf(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var mapping = KlingOpenApiDocument.RequestDiscriminator()["mapping"]?[model] as JValue;
        if (mapping?.Value is not string target)
        {
            return [];
        }

        var (_, input) = KlingOpenApiDocument.InputSchemaOf(target.Split('/')[^1]);
        var required = ((input["required"] as JArray) ?? []).Select(r => (string?)r).ToHashSet(StringComparer.Ordinal);
        var fields = new List<(string, bool, bool)>();
        foreach (var property in (input["properties"] as JObject)?.Properties() ?? [])
        {
            var schema = KlingOpenApiDocument.Resolve(property.Value);
            var isList = schema["items"] is { } items;
            var field = isList ? KlingOpenApiDocument.Resolve(schema["items"]!) : schema;
            if (field["x-kling-upload"] is not null)
            {
                fields.Add((property.Name, required.Contains(property.Name), isList));
            }
        }

        return fields.OrderBy(f => f.Item2 ? 0 : 1).ToList();
    }

    /// <summary>Checks the upload form's text fields (<c>uploadPath</c>, <c>fileName</c>) against their schemas in the document.</summary>
    /// <exception cref="ValidationException">A field breaks its schema; nothing was sent.</exception>
    internal static void CheckFields(string operationId, params (string Name, string? Value)[] fields)
    {
        var problems = FieldProblems(operationId, fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal));
        if (problems.Count > 0)
        {
            throw new ValidationException("The upload was not sent: " + string.Join(" ", problems));
        }
    }

    /// <summary>
    /// The problems of an upload operation's text fields (name to value; null for absent) by their schemas in the
    /// document, one sentence each: what the simulator answers, and what the client checks before sending.
    /// </summary>
    /// <exception cref="InvalidOperationException">The document has no operation <paramref name="operationId"/> with a body.</exception>
    public static IReadOnlyList<string> FieldProblems(string operationId, IReadOnlyDictionary<string, string?> fields)
    {
        ArgumentNullException.ThrowIfNull(operationId);
        ArgumentNullException.ThrowIfNull(fields);
        var schema = BodySchemaOf(operationId);
        var problems = new List<string>();
        foreach (var (name, value) in fields)
        {
            if (value is null)
            {
                if (((schema["required"] as JArray) ?? []).Any(r => (string?)r == name))
                {
                    problems.Add($"{name} is required.");
                }

                continue;
            }

            if (schema["properties"]?[name] is { } property)
            {
                problems.AddRange(SchemaValidator.ValidateText(value, property, name));
            }
        }

        return problems;
    }

    /// <summary>The resolved body schema of an upload operation, whatever its media type.</summary>
    private static JObject BodySchemaOf(string operationId)
    {
        var content = KlingOpenApiDocument.Operation(operationId) is { } operation && operation["requestBody"] is { } body
            ? KlingOpenApiDocument.Resolve(body)["content"] as JObject
            : null;
        return content?.Properties().Select(p => p.Value["schema"]).OfType<JToken>().Select(KlingOpenApiDocument.Resolve).OfType<JObject>().FirstOrDefault()
            ?? throw new InvalidOperationException($"The OpenAPI document has no operation '{operationId}' with a request body.");
    }

    private static (long, string[], JObject) Load()
    {
        var operation = KlingOpenApiDocument.Operation("UploadFileStream")
            ?? throw new InvalidOperationException("The OpenAPI document has no UploadFileStream operation.");
        var media = KlingOpenApiDocument.Resolve(operation["requestBody"]!)["content"]?["multipart/form-data"]
            ?? throw new InvalidOperationException("UploadFileStream has no multipart/form-data body in the OpenAPI document.");
        var form = (JObject)KlingOpenApiDocument.Resolve(media["schema"]!);
        var file = KlingOpenApiDocument.Resolve(form["properties"]?["file"] ?? throw new InvalidOperationException("UploadFileStream's form has no 'file'."));
        var maxBytes = (long?)file["x-kling-max-bytes"] ?? throw new InvalidOperationException("UploadFileStream's 'file' has no x-kling-max-bytes in the OpenAPI document.");
        var types = ((string?)media["encoding"]?["file"]?["contentType"] ?? throw new InvalidOperationException("UploadFileStream's 'file' has no encoding contentType in the OpenAPI document."))
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return (maxBytes, types, form);
    }
}
