using System.Security.Cryptography;
using KlingGenerated.OpenApi;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>The build stamps the document's version and hash into the assembly; they must describe the real file.</summary>
public sealed class SpecStampTests
{
    [Fact]
    public void SpecSha256_is_the_hash_of_the_spec_file_on_disk_and_of_the_embedded_copy()
    {
        var onDisk = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Repo.SpecPath)));
        using var embedded = typeof(KlingClient).Assembly.GetManifestResourceStream("kling.openapi.yaml")!;

        KlingClient.SpecSha256.Should().MatchRegex("^[0-9a-f]{64}$");
        KlingClient.SpecSha256.Should().Be(onDisk, "the assembly was built from openapi/kling.openapi.yaml as it is now");
        Convert.ToHexStringLower(SHA256.HashData(embedded)).Should().Be(KlingClient.SpecSha256);
    }

    [Fact]
    public void SpecVersion_is_the_info_version_of_the_spec_file()
    {
        var version = (string?)KlingOpenApiDocument.Parse(File.ReadAllText(Repo.SpecPath))["info"]?["version"];

        version.Should().NotBeNullOrWhiteSpace();
        KlingClient.SpecVersion.Should().Be(version);
    }
}
