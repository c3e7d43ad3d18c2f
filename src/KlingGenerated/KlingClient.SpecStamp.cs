using System.Reflection;

namespace KlingGenerated;

// CUSTOM: the build stamps the OpenAPI document's version and hash into the assembly (target KlingStampSpec), so a program can tell which contract it speaks.
public partial class KlingClient
{
    /// <summary>The <c>info.version</c> of the OpenAPI document this assembly was generated from (for example <c>1.0.0</c>).</summary>
    public static string SpecVersion { get; } = ReadStamp("KlingGenerated.SpecVersion");

    /// <summary>
    /// The SHA-256 of the exact OpenAPI document this assembly was generated from, as 64 lowercase hex digits. The package
    /// ships that document (see <c>$(KlingGeneratedOpenApiDocument)</c> in a consuming build), so its hash can be compared.
    /// </summary>
    public static string SpecSha256 { get; } = ReadStamp("KlingGenerated.SpecSha256");

    private static string ReadStamp(string key) =>
        typeof(KlingClient).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"KlingGenerated.dll carries no '{key}' stamp; rebuild it with its project file (target KlingStampSpec).");
}
