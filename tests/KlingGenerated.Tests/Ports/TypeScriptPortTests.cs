using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using KlingGenerated.Tests.Conformance;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Ports;

/// <summary>
/// tests/ports/typescript: a TypeScript client generated from openapi/kling.openapi.yaml at test time (openapi-typescript,
/// openapi-fetch, tsc --strict), run against every conformance vector and end to end against the standalone simulator.
/// `dotnet test` runs it, installing the port's pinned packages with `npm ci` when they are missing.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class TypeScriptPortTests
{
    private static readonly string PortDirectory = Path.Combine(Repo.Root, "tests", "ports", "typescript");

    // Once per test run, whichever test needs them first: `npm ci` deletes node_modules before installing, so two
    // installs, or one while another test uses the packages (the model proof links them), would break each other.
    private static readonly Lazy<Task> Packages = new(InstallIfMissingAsync);

    /// <summary>The port's pinned packages in tests/ports/typescript/node_modules, installed with `npm ci` when missing (once per run).</summary>
    internal static Task EnsurePackagesAsync() => Packages.Value;

    [Fact]
    public async Task The_TypeScript_port_generated_from_the_spec_passes_every_conformance_vector_and_the_end_to_end_run()
    {
        await EnsurePackagesAsync();

        var run = await Npm("test", ("KLING_SIMULATOR_DLL", Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll")));

        run.ExitCode.Should().Be(0, "`npm test` in tests/ports/typescript failed:\n{0}", run.Output);
        var vectors = new[] { "requests", "validation", "responses", "webhooks", "polling", "uploads" }.Sum(kind => ConformanceVectors.All(kind).Count());
        // 6 vector-file checks, 2 checks that the files' window and grace period are the document's, 1 end-to-end run.
        const int vectorFileChecks = 6, documentChecks = 2, endToEnd = 1;
        Regex.Match(run.Output, @"^ℹ pass (\d+)$", RegexOptions.Multiline).Groups[1].Value.Should()
            .Be((vectors + vectorFileChecks + documentChecks + endToEnd).ToString(System.Globalization.CultureInfo.InvariantCulture), "every vector runs once:\n{0}", run.Output);
        run.Output.Should().MatchRegex(@"(?m)^ℹ fail 0$").And.Contain("the seed example runs end to end against the standalone simulator");
        File.Exists(Path.Combine(PortDirectory, "generated", "kling.ts")).Should().BeTrue("the types are generated at test time");
    }

    private static async Task InstallIfMissingAsync()
    {
        if (!File.Exists(Path.Combine(PortDirectory, "node_modules", ".bin", "openapi-typescript")))
        {
            var install = await Npm("ci --no-audit --no-fund");
            if (install.ExitCode != 0)
            {
                throw new InvalidOperationException($"`npm ci` in tests/ports/typescript installs the port's pinned packages (needs Node and npm); it exited {install.ExitCode}:\n{install.Output}");
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> Npm(string arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("npm", arguments)
        {
            WorkingDirectory = PortDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.Environment["NO_COLOR"] = "1";
        start.Environment["FORCE_COLOR"] = "0";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("npm was not found: install Node.js 20 or later with npm to run the TypeScript port.", e);
        }

        using (process)
        {
            var output = new StringBuilder();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"npm {arguments} did not exit within 10 minutes; it was killed.\n{await stdout}\n{await stderr}");
            }

            output.Append(await stdout).Append(await stderr);
            return (process.ExitCode, output.ToString());
        }
    }
}
