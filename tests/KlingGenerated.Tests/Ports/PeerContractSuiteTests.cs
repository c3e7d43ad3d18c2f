using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Ports;

/// <summary>
/// A peer contract suite nobody on the project wrote: Portman generates a Postman collection from
/// openapi/kling.openapi.yaml with tests/ports/portman/portman-config.json, and Newman runs it against the standalone
/// simulator. The simulator's faults make every documented response of every operation reproducible; the suite must
/// exercise all of them with no failed assertion.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class PeerContractSuiteTests
{
    [Fact]
    public async Task Portman_and_Newman_exercise_every_documented_response_of_every_operation_against_the_standalone_simulator_with_no_failure()
    {
        var bin = Path.Combine(Repo.Root, "node_modules", ".bin");
        File.Exists(Path.Combine(bin, "portman")).Should().BeTrue("Portman and Newman are pinned in package.json and installed by `npm ci` at the repository root (.ci/run does it)");
        var work = Directory.CreateTempSubdirectory("kling-peer-suite-");
        try
        {
            await using var simulator = await SimulatorProcess.StartAsync();
            var collection = Path.Combine(work.FullName, "collection.json");
            var report = Path.Combine(work.FullName, "newman.json");

            // Portman writes scratch files into its working directory: a temporary one, never the clone.
            var generate = await RunAsync(work.FullName, Path.Combine(bin, "portman"), "-l", Repo.SpecPath, "-c", Path.Combine(Repo.Root, "tests", "ports", "portman", "portman-config.json"),
                "-o", collection, "-b", simulator.BaseUrl, "--syncPostman", "false");
            generate.ExitCode.Should().Be(0, generate.Output);
            var run = await RunAsync(work.FullName, Path.Combine(bin, "newman"), "run", collection, "--env-var", "apiKey=simulator-key", "--env-var", $"baseUrl={simulator.BaseUrl}",
                "--reporters", "cli,json", "--reporter-json-export", report, "--color", "off");

            var result = JObject.Parse(await File.ReadAllTextAsync(report))["run"]!;
            ((int)result["stats"]!["assertions"]!["failed"]!).Should().Be(0, run.Output);
            ((int)result["stats"]!["assertions"]!["total"]!).Should().BeGreaterThan(0);
            run.ExitCode.Should().Be(0, run.Output);

            var documented = DocumentedResponses();
            var exercised = result["executions"]!.Select(e => Exercised(documented, (string)e["request"]!["method"]!, e["request"]!["url"]!["path"]!.Values<string>(), (int)e["response"]!["code"]!)).ToHashSet();
            exercised.Should().BeEquivalentTo(documented, "every documented response of every operation is exercised ({0} of {1})", exercised.Count, documented.Count);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>(method, path, response key) for every response the document lists for an operation.</summary>
    private static HashSet<(string Method, string Path, string Response)> DocumentedResponses() =>
        ((JObject)Repo.Spec["paths"]!).Properties()
            .SelectMany(path => ((JObject)path.Value).Properties().Where(op => op.Value is JObject operation && operation["responses"] is JObject)
                .SelectMany(op => ((JObject)op.Value["responses"]!).Properties().Select(r => (op.Name.ToUpperInvariant(), path.Name, r.Name))))
            .ToHashSet();

    private static (string, string, string) Exercised(HashSet<(string Method, string Path, string Response)> documented, string method, IEnumerable<string?> segments, int status)
    {
        var path = "/" + string.Join('/', segments);
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return documented.Contains((method, path, code)) ? (method, path, code) : (method, path, "default");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The standalone simulator (KlingGenerated.Simulator.dll) on a free loopback port; stopped with SIGTERM.</summary>
    private sealed class SimulatorProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private SimulatorProcess(Process process, string baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
        }

        public string BaseUrl { get; }

        public static async Task<SimulatorProcess> StartAsync()
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll"), "--urls", "http://127.0.0.1:0", "--waiting-ms", "100", "--queuing-ms", "100", "--generating-ms", "200"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            var process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var seen = new StringBuilder();
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                seen.AppendLine(line);
                if (Regex.Match(line, @"listening on (http://127\.0\.0\.1:\d+)/?") is { Success: true } match)
                {
                    return new SimulatorProcess(process, match.Groups[1].Value);
                }
            }

            process.Kill();
            throw new InvalidOperationException($"The standalone simulator printed no URL:\n{seen}{await process.StandardError.ReadToEndAsync()}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
