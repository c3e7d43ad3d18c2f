using System.Text.RegularExpressions;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>
/// A user's clone has nothing beside it, so no test, script or benchmark reads outside the repository (the ../shared folder
/// exists only on CI's machine): the facts tests take from the service's documentation live in Fixtures/seed-facts.json.
/// </summary>
public sealed class RepositoryBoundaryTests
{
    private static readonly Regex OutsideTheClone = new(@"\.\./shared\b|""\.\.""\s*,\s*""shared""");

    [Fact]
    public void No_test_script_or_benchmark_names_a_path_beside_the_clone()
    {
        var sources = new[] { "tests", "benchmarks", "scripts", ".ci", "src" }
            .Select(folder => Path.Combine(Repo.Root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(path => !Regex.IsMatch(path, @"[\\/](obj|bin|node_modules)[\\/]") && !path.EndsWith(nameof(RepositoryBoundaryTests) + ".cs", StringComparison.Ordinal))
            .Where(path => Regex.IsMatch(path, @"(\.cs|\.sh|\.ts|\.json|\.props|\.csproj|[\\/]run)$"))
            .ToList();

        var offenders = sources
            .SelectMany(path => File.ReadLines(path).Select((line, index) => (path, line, index)))
            .Where(x => OutsideTheClone.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(Repo.Root, x.path)}:{x.index + 1}: {x.line.Trim()}")
            .ToList();

        offenders.Should().BeEmpty("nothing in the build or the tests reads outside the clone");
        sources.Should().Contain(path => path.EndsWith("ContractTests.cs", StringComparison.Ordinal), "the scan reads the real test sources");
        OutsideTheClone.IsMatch("Path.Combine(Root, \"..\", \"shared\", \"seed\")").Should().BeTrue("the scan recognises the old seed path");
    }

    [Fact]
    public void The_seed_facts_fixture_names_its_source_and_holds_the_example_and_the_codes()
    {
        var facts = Repo.SeedFacts;

        ((string)facts["description"]!).Should().Contain("000_fa940cb62edc04fe.txt").And.Contain("kie-api.md");
        ((string)facts.SelectToken("seed.sha256")!).Should().MatchRegex("^[0-9a-f]{64}$");
        ((string)facts.SelectToken("seed.requestExample.model")!).Should().Be("kling/v2-5-turbo-text-to-video-pro");
        ((string)facts.SelectToken("seed.responseExample.data.taskId")!).Should().Be("task_kling_1765184398475");
        facts.SelectTokens("seed.codes[*].code").Select(c => (int)c).Should().Equal(200, 401, 402, 404, 422, 429, 455, 500, 501, 505);
        facts.SelectTokens("reference.createTaskCodes[*].code").Select(c => (int)c).Should().Equal(200, 401, 402, 404, 422, 429, 433, 455, 500, 501, 505);
    }
}
