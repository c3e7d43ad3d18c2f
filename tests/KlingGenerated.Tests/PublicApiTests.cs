using KlingGenerated.Tests.Infrastructure;
using PublicApiGenerator;

namespace KlingGenerated.Tests;

public sealed class PublicApiTests
{
    /// <summary>
    /// Every change to the public surface, generated or hand-written, shows in review as a diff of the approved file.
    /// To accept a change: copy KlingGenerated.received.txt over KlingGenerated.approved.txt.
    /// </summary>
    [Fact]
    public void The_public_API_matches_the_approved_snapshot()
    {
        var approvedPath = Path.Combine(Repo.Root, "tests", "KlingGenerated.Tests", "PublicApi", "KlingGenerated.approved.txt");
        var receivedPath = Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received", StringComparison.Ordinal) + ".txt";
        var actual = typeof(KlingClient).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute", "System.Reflection.AssemblyMetadataAttribute"],
        }).ReplaceLineEndings("\n");

        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (actual != approved)
        {
            File.WriteAllText(receivedPath, actual);
        }
        else if (File.Exists(receivedPath))
        {
            File.Delete(receivedPath);
        }

        actual.Should().Be(approved, $"the public API changed; review {receivedPath} and copy it over the approved file if the change is intended");
    }
}
