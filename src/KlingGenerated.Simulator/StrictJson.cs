using System.Text.Json;
using System.Text.Json.Nodes;
using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Simulator;

/// <summary>What a strict JSON reader does that the schema validator does not: duplicate keys, and which fields to keep.</summary>
internal static class StrictJson
{
    /// <summary>The first key that appears twice in one object (as <c>input.prompt</c>), or null. Invalid JSON is left to the validator.</summary>
    public static string? FindDuplicateKey(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        var objects = new Stack<(HashSet<string> Keys, string Path)>();
        string? pendingKey = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    pendingKey = reader.GetString()!;
                    var (keys, path) = objects.Peek();
                    if (!keys.Add(pendingKey))
                    {
                        return Join(path, pendingKey);
                    }

                    continue;
                }

                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var parent = objects.Count == 0 ? string.Empty : objects.Peek().Path;
                    objects.Push(([], objects.Count == 0 ? string.Empty : Join(parent, pendingKey ?? "[]")));
                }
                else if (reader.TokenType == JsonTokenType.EndObject)
                {
                    objects.Pop();
                }

                pendingKey = null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>Keeps only the properties the operation's body schema declares (for createTask, its model's), recursively: a stored request keeps no unknown fields.</summary>
    public static JsonObject KeepDeclaredBody(string operationId, JsonObject value) =>
        KlingOpenApiContract.KeepDeclaredBodyProperties(operationId, value);
}
