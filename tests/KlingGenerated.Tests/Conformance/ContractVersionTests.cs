using System.Text.RegularExpressions;
using KlingGenerated.OpenApi;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Conformance;

/// <summary>
/// The contract's version is one fact in three places: the document's info.version, every vector file's contractVersion
/// and the topmost section of openapi/CHANGELOG.md; and the changelog names only vectors that exist.
/// </summary>
public sealed partial class ContractVersionTests
{
    private static string DocumentVersion => (string)Repo.Spec["info"]!["version"]!;

    private static string Changelog => File.ReadAllText(Path.Combine(Repo.Root, "openapi", "CHANGELOG.md"));

    [Fact]
    public void The_document_version_is_semantic()
    {
        DocumentVersion.Should().MatchRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$");
    }

    [Theory]
    [InlineData("requests")]
    [InlineData("validation")]
    [InlineData("responses")]
    [InlineData("webhooks")]
    [InlineData("polling")]
    [InlineData("uploads")]
    public void Every_vector_file_carries_the_document_version(string kind)
    {
        ((string?)ConformanceVectors.File(kind)["contractVersion"]).Should().Be(DocumentVersion,
            $"conformance/{kind}.json belongs to the document it tests; bump both together (openapi/CHANGELOG.md says how)");
    }

    [Fact]
    public void The_changelog_leads_with_the_document_version()
    {
        var first = SectionHeading().Match(Changelog);
        first.Success.Should().BeTrue("openapi/CHANGELOG.md has '## X.Y.Z — ...' sections");
        first.Groups["version"].Value.Should().Be(DocumentVersion, "the topmost changelog section is the document's version");
    }

    [Fact]
    public void Every_entry_is_marked_breaking_or_compatible_and_names_its_vectors()
    {
        var entries = Entries(Changelog[SectionHeading().Match(Changelog).Index..]).ToList();
        entries.Should().NotBeEmpty();
        entries.Should().AllSatisfy(entry =>
        {
            entry.Should().MatchRegex(@"^- \*\*(Breaking|Compatible)\*\* — ", "each entry starts with its mark: " + entry);
            entry.Should().Contain("Vectors:", "each entry names the vectors it touched, or says none: " + entry);
        });
    }

    [Fact]
    public void Every_vector_the_changelog_names_exists()
    {
        var named = VectorName().Matches(Changelog).Select(m => (Kind: m.Groups["kind"].Value, Id: m.Groups["id"].Value)).ToList();
        named.Should().NotBeEmpty();
        foreach (var (kind, id) in named)
        {
            ConformanceVectors.All(kind).Select(v => (string)v["id"]!).Should().Contain(id, $"openapi/CHANGELOG.md names `{kind}/{id}`");
        }
    }

    [Fact]
    public void The_released_baseline_is_kept_and_a_major_version_is_not_above_its_breaking_changes()
    {
        var released = Directory.GetDirectories(Path.Combine(Repo.Root, "openapi", "released"))
            .Select(Path.GetFileName).Select(name => Version.Parse(name!)).Max()!;
        var releasedDocument = KlingOpenApiDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "openapi", "released", released.ToString(), "kling.openapi.yaml")));
        ((string)releasedDocument["info"]!["version"]!).Should().Be(released.ToString(), "released/<version>/ holds that version's document");

        var current = Version.Parse(DocumentVersion);
        current.Should().BeGreaterThanOrEqualTo(released);
        var unreleased = Changelog[SectionHeading().Match(Changelog).Index..];
        unreleased = unreleased[..(SectionHeading().Match(unreleased, 3) is { Success: true } next ? next.Index : unreleased.Length)];
        if (unreleased.Contains("- **Breaking**", StringComparison.Ordinal) && current > released)
        {
            current.Major.Should().BeGreaterThan(released.Major, "a breaking entry since the last release needs a major version");
        }
    }

    private static IEnumerable<string> Entries(string changelog)
    {
        string? entry = null;
        foreach (var line in changelog.Split('\n'))
        {
            if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                if (entry is not null)
                {
                    yield return entry;
                }

                entry = line;
            }
            else if (entry is not null && line.StartsWith("  ", StringComparison.Ordinal))
            {
                entry += " " + line.Trim();
            }
            else if (entry is not null)
            {
                yield return entry;
                entry = null;
            }
        }

        if (entry is not null)
        {
            yield return entry;
        }
    }

    [GeneratedRegex(@"^## (?<version>\d+\.\d+\.\d+) — ", RegexOptions.Multiline)]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"`(?<kind>requests|validation|responses|webhooks|polling)/(?<id>[a-z0-9_-]+)`")]
    private static partial Regex VectorName();
}
