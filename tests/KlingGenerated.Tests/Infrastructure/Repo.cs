using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Paths of the repository and the real sources tests compare against: the spec file and the facts copied from the seed.</summary>
public static class Repo
{
    public static readonly string Root = FindRoot();

    public static string SpecPath => Path.Combine(Root, "openapi", "kling.openapi.yaml");

    /// <summary>
    /// The facts tests take from the service's documentation (the seed page's example request and answer, and the codes
    /// it and the reference notes list), copied into the repository with their source: a test reads nothing outside the clone.
    /// </summary>
    public static string SeedFactsPath => Path.Combine(Root, "tests", "KlingGenerated.Tests", "Fixtures", "seed-facts.json");

    private static readonly Lazy<JObject> LazySeedFacts = new(() => JObject.Parse(File.ReadAllText(SeedFactsPath)));

    /// <summary>tests/KlingGenerated.Tests/Fixtures/seed-facts.json.</summary>
    public static JObject SeedFacts => LazySeedFacts.Value;

    private static readonly Lazy<JObject> LazySpec = new(() => KlingOpenApiDocument.Parse(File.ReadAllText(SpecPath)));

    /// <summary>openapi/kling.openapi.yaml as read from disk now, not the copy embedded in the client.</summary>
    public static JObject Spec => LazySpec.Value;

    /// <summary>Follows local $refs in the on-disk spec.</summary>
    public static JToken Resolve(JToken node) => KlingOpenApiDocument.Resolve(Spec, node);

    /// <summary>The named examples of a media type, $refs resolved.</summary>
    public static IReadOnlyDictionary<string, JObject> Examples(string jsonPath) =>
        ((JObject)Spec.SelectToken(jsonPath)!).Properties().ToDictionary(p => p.Name, p => (JObject)Resolve(p.Value));

    public static IReadOnlyDictionary<string, JObject> ResponseExamples(string path, string method) =>
        Examples($"$.paths['{path}'].{method}.responses['200'].content['application/json'].examples");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KlingGenerated.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find KlingGenerated.sln above " + AppContext.BaseDirectory);
    }
}
