using System.Diagnostics;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class SpecLintTests
{
    [Theory]
    [InlineData("openapi/kling.openapi.yaml")]
    [InlineData("openapi/simulator-control.openapi.yaml")]
    public async Task The_spec_lints_clean_with_the_pinned_Redocly_CLI_and_the_committed_config(string document)
    {
        var (exitCode, all) = await Run("redocly", ["lint", "--config", "openapi/redocly.yaml", document]);

        exitCode.Should().Be(0, all);
        all.Should().Contain("Your API description is valid", all).And.NotContainEquivalentOf("warning was generated", all);
    }

    [Theory]
    [InlineData("openapi/kling.openapi.yaml")]
    [InlineData("openapi/simulator-control.openapi.yaml")]
    public async Task The_spec_has_no_finding_of_any_severity_under_Spectrals_OpenAPI_ruleset(string document)
    {
        var (exitCode, all) = await Run("spectral", ["lint", "--ruleset", "openapi/spectral.yaml", "--fail-severity=hint", document]);

        exitCode.Should().Be(0, all);
        all.Should().Contain("No results with a severity of 'hint' or higher found!", all);
    }

    private static async Task<(int ExitCode, string Output)> Run(string tool, string[] arguments)
    {
        var path = Path.Combine(Repo.Root, "node_modules", ".bin", tool);
        File.Exists(path).Should().BeTrue($"the pinned {tool} is installed by `npm ci` at the repository root (.ci/run does it)");

        var start = new ProcessStartInfo(path, arguments)
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NO_COLOR"] = "1";
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
