using System.Security.Cryptography;
using System.Text.RegularExpressions;
using KlingGenerated.Tests.Conformance;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Ports;

/// <summary>
/// tests/ports/typescript: a TypeScript client generated from openapi/kling.openapi.yaml and compiled (openapi-typescript,
/// openapi-fetch, tsc --strict) by the build (Build/TypeScriptPort.targets, as NSwag generates the C# client), run here
/// against every conformance vector and end to end against the standalone simulator.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class TypeScriptPortTests
{
    private static readonly string PortDirectory = Path.Combine(Repo.Root, "tests", "ports", "typescript");

    // Once per test run, whichever test needs them first: `npm ci` deletes node_modules before installing, so two
    // installs, or one while another test uses the packages (the model proof links them), would break each other.
    private static readonly Lazy<Task> Packages = new(InstallIfMissingAsync);

    /// <summary>The port's pinned packages in tests/ports/typescript/node_modules (the build installs them; `npm ci` here when missing, once per run).</summary>
    internal static Task EnsurePackagesAsync() => Packages.Value;

    [Fact]
    public async Task The_TypeScript_port_generated_from_the_spec_passes_every_conformance_vector_and_the_end_to_end_run()
    {
        var built = JObject.Parse(await File.ReadAllTextAsync(Path.Combine(PortDirectory, "dist", "build.json")));
        ((string?)built["document"]).Should().Be(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(Repo.Root, "openapi", "kling.openapi.yaml")))),
            "the port was generated from the document as it is now (run `dotnet build tests/KlingGenerated.Tests` after changing it)");
        ((int)built["exitCode"]!).Should().Be(0, "the port is generated from the document and compiles with tsc --strict:\n{0}", await BuildLogAsync());

        var run = await Npm(["run", "--silent", "test:built"], ("KLING_SIMULATOR_DLL", Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll")));

        run.ExitCode.Should().Be(0, "`npm run test:built` in tests/ports/typescript failed:\n{0}", run.Output);
        var vectors = new[] { "requests", "validation", "responses", "webhooks", "polling", "uploads" }.Sum(kind => ConformanceVectors.All(kind).Count());
        // 6 vector-file checks, 2 checks that the files' window and grace period are the document's, 1 end-to-end run.
        const int vectorFileChecks = 6, documentChecks = 2, endToEnd = 1;
        Regex.Match(run.Output, @"^ℹ pass (\d+)$", RegexOptions.Multiline).Groups[1].Value.Should()
            .Be((vectors + vectorFileChecks + documentChecks + endToEnd).ToString(System.Globalization.CultureInfo.InvariantCulture), "every vector runs once:\n{0}", run.Output);
        run.Output.Should().MatchRegex(@"(?m)^ℹ fail 0$").And.Contain("the seed example runs end to end against the standalone simulator");
        File.Exists(Path.Combine(PortDirectory, "generated", "kling.ts")).Should().BeTrue("the types are generated from the document");
    }

    private static async Task<string> BuildLogAsync()
    {
        var log = Path.Combine(PortDirectory, "dist", "build.log");
        return File.Exists(log) ? await File.ReadAllTextAsync(log) : "(no dist/build.log)";
    }

    private static async Task InstallIfMissingAsync()
    {
        if (!File.Exists(Path.Combine(PortDirectory, "node_modules", ".bin", "openapi-typescript")))
        {
            var install = await Npm(["ci", "--no-audit", "--no-fund"]);
            if (install.ExitCode != 0)
            {
                throw new InvalidOperationException($"`npm ci` in tests/ports/typescript installs the port's pinned packages (needs Node and npm); it exited {install.ExitCode}:\n{install.Output}");
            }
        }
    }

    private static Task<(int ExitCode, string Output)> Npm(string[] arguments, params (string Name, string Value)[] environment) =>
        ToolProcess.RunAsync(PortDirectory, TimeSpan.FromMinutes(10), "npm", arguments, [("FORCE_COLOR", "0"), .. environment]);
}
