using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using KlingGenerated.Tests.Conformance;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Ports;

/// <summary>
/// tests/ports/python: a Python client written from openapi/kling.openapi.yaml and openapi/conformance/ alone, with only
/// requests, jsonschema and yaml (Debian's python3-requests, python3-jsonschema and python3-yaml; the test finds a python3 that
/// has them or installs them with apt-get, see <see cref="PythonInterpreter"/>), run against every conformance
/// vector and end to end against the standalone simulator (create, poll, download an MP4, verify a signed callback).
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class PythonPortTests
{
    private static readonly string PortDirectory = Path.Combine(Repo.Root, "tests", "ports", "python");

    [Fact]
    public async Task The_Python_port_written_from_the_spec_passes_every_conformance_vector_and_the_end_to_end_run()
    {
        var python = await PythonInterpreter.WithModulesAsync(["requests", "jsonschema", "yaml"], ["python3-requests", "python3-jsonschema", "python3-yaml"]);
        var start = new ProcessStartInfo(python, ["run.py"])
        {
            WorkingDirectory = PortDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.Environment["KLING_SIMULATOR_DLL"] = Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll");
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{python} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;

        output.Should().NotContain("ModuleNotFoundError", "{0} imported the three modules before the run:\n{1}", python, output);
        process.ExitCode.Should().Be(0, "the Python port failed:\n{0}", output);
        var vectors = new[] { "requests", "validation", "responses", "webhooks", "polling", "uploads" }.Sum(kind => ConformanceVectors.All(kind).Count());
        // 6 vector-file checks, 2 checks that the files' window and grace period are the document's, 1 end-to-end run.
        const int vectorFileChecks = 6, documentChecks = 2, endToEnd = 1;
        var total = vectors + vectorFileChecks + documentChecks + endToEnd;
        Regex.Match(output, @"python port result: (\d+) of (\d+) passed, 0 failed").Groups[1].Value.Should()
            .Be(total.ToString(System.Globalization.CultureInfo.InvariantCulture), "every vector and the end-to-end run ran and passed:\n{0}", output);
        output.Should().Contain("EndToEnd 1");
    }
}
