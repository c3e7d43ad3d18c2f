using System.Text.RegularExpressions;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>The --json error kinds are one documented list: every kind the CLI's code can print is in docs/cli.md's list.</summary>
public sealed class JsonErrorKindsTests
{
    [Fact]
    public void Every_error_kind_the_CLI_prints_is_in_the_documented_list()
    {
        var source = string.Join('\n', Directory.GetFiles(Path.Combine(Repo.Root, "src", "KlingGenerated.Cli"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Regex.IsMatch(f, @"[\\/](obj|bin)[\\/]")).Select(File.ReadAllText));
        var kinds = Regex.Matches(source, @"\((?:InvalidInput|ServiceError|TaskFailed|TimedOut|Cancelled|ExitCode\w*), ""([a-z]+(?:-[a-z]+)*)""")
            .Concat(Regex.Matches(source, @"new CliServiceException\((?:[^;]|\n)*?, ""([a-z]+(?:-[a-z]+)*)""(?:, \w+)?\)"))
            .Select(m => m.Groups[1].Value).ToHashSet();
        var documented = Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "docs", "cli.md")), @"`kind` is one of (.*?)\.\n", RegexOptions.Singleline).Groups[1].Value;

        kinds.Should().Contain(["invalid-input", "service-error", "not-found", "task-failed", "insufficient-credits"], "the scan reads the kinds the code prints");
        kinds.Where(k => !documented.Contains($"`{k}`", StringComparison.Ordinal)).Should().BeEmpty("docs/cli.md lists every kind --json can print");
    }
}
