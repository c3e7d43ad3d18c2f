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
        var redocly = Path.Combine(Repo.Root, "node_modules", ".bin", "redocly");
        File.Exists(redocly).Should().BeTrue("the pinned Redocly CLI is installed by `npm ci` at the repository root (.ci/run does it)");

        var start = new ProcessStartInfo(redocly, ["lint", "--config", "openapi/redocly.yaml", document])
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
        var all = await output + await error;

        process.ExitCode.Should().Be(0, all);
        all.Should().Contain("Your API description is valid", all).And.NotContainEquivalentOf("warning was generated", all);
    }
}
