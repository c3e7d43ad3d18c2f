using KlingGenerated.OpenApi;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>Paths of the repository and the real sources tests compare against: the spec file and the seed.</summary>
public static class Repo
{
    public static readonly string Root = FindRoot();

    public static string SpecPath => Path.Combine(Root, "openapi", "kling.openapi.yaml");

    /// <summary>The seed document, beside the repository in ../shared as CI provides it.</summary>
    public static string SeedPath => Path.Combine(Root, "..", "shared", "seed", "000_fa940cb62edc04fe.txt");

    /// <summary>What the service does beyond the seed, beside the repository in ../shared as CI provides it.</summary>
    public static string ReferencePath => Path.Combine(Root, "..", "shared", "reference", "kie-api.md");

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
