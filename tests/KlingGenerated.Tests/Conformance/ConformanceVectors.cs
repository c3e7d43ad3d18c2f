using System.Text;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The language-neutral conformance vectors in openapi/conformance/*.json, read at test time. They are the one copy of
/// these facts: the C# tests and every port run the same files.
/// </summary>
public static class ConformanceVectors
{
    public static string Directory => Path.Combine(Repo.Root, "openapi", "conformance");

    private static readonly Dictionary<string, Lazy<JObject>> Files = new[] { "requests", "validation", "responses", "webhooks", "polling", "uploads" }
        .ToDictionary(kind => kind, kind => new Lazy<JObject>(() => Load(kind)));

    /// <summary>The whole file of one kind (its top-level settings and its vectors).</summary>
    public static JObject File(string kind) => Files[kind].Value;

    public static IEnumerable<JObject> All(string kind) => File(kind)["vectors"]!.Cast<JObject>();

    public static JObject Get(string kind, string id) => All(kind).Single(v => (string)v["id"]! == id);

    /// <summary>The ids of one kind's vectors, as xunit theory data (one test case per vector).</summary>
    public static TheoryData<string> Ids(string kind, Func<JObject, bool>? where = null) =>
        new(All(kind).Where(v => where?.Invoke(v) ?? true).Select(v => (string)v["id"]!));

    /// <summary>A validation vector's <c>text</c>: each part repeated <c>times</c> times, concatenated.</summary>
    public static string Text(JObject text)
    {
        var builder = new StringBuilder();
        foreach (var part in text["parts"]!)
        {
            builder.Insert(builder.Length, (string)part["repeat"]!, (int)part["times"]!);
        }

        return builder.ToString();
    }

    /// <summary>JSON equality as the wire means it: numbers by value (1 and 1.0 are the same), objects regardless of key order.</summary>
    public static bool JsonEquals(JToken? a, JToken? b) => (a, b) switch
    {
        (null, null) => true,
        (JValue x, JValue y) when IsNumber(x) && IsNumber(y) => (double)x == (double)y,
        (JObject x, JObject y) => x.Count == y.Count && x.Properties().All(p => y.TryGetValue(p.Name, out var other) && JsonEquals(p.Value, other)),
        (JArray x, JArray y) => x.Count == y.Count && x.Zip(y).All(pair => JsonEquals(pair.First, pair.Second)),
        _ => JToken.DeepEquals(a, b),
    };

    private static bool IsNumber(JValue value) => value.Type is JTokenType.Integer or JTokenType.Float;

    private static JObject Load(string kind)
    {
        var path = Path.Combine(Directory, kind + ".json");
        // The JSON text exactly as written: no date parsing, so strings stay strings.
        using var reader = new Newtonsoft.Json.JsonTextReader(new StreamReader(path)) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None, FloatParseHandling = Newtonsoft.Json.FloatParseHandling.Double };
        var file = JObject.Load(reader);
        if ((string?)file["kind"] != kind)
        {
            throw new InvalidDataException($"{path} says its kind is {(string?)file["kind"]}, not {kind}.");
        }

        return file;
    }
}
