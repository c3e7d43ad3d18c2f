using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using KlingGenerated.Simulator;
using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Benchmarks;

/// <summary>
/// The simulator's memory (issue 8, finding 22): 50,000 tasks created over HTTP, then the default retention (24 h)
/// passed on a fake clock so the sweep runs, and the old repro of 15 bodies of 28 MiB. The simulator runs in this
/// process so the managed heap can be measured after a full collection; the client's buffers are garbage by then.
/// </summary>
public static class SimulatorMemory
{
    private static readonly string Model = KlingModels.ModelOf(typeof(CreateTaskRequest));

    public static async Task RunAsync(int tasks = 50_000)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { TimeProvider = clock, RateLimit = int.MaxValue, Credits = long.MaxValue / 4 });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", simulator.ApiKey);
        var create = new Uri(simulator.BaseUrl, "api/v1/jobs/createTask");
        Report("started", simulator);

        var next = 0;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i <= tasks)
            {
                var body = $$$"""{"model":"{{{Model}}}","input":{"prompt":"A paper boat drifting down a rain-soaked street at dusk, number {{{i}}}.","duration":"5","aspect_ratio":"16:9","cfg_scale":0.5}}""";
                using var response = await http.PostAsync(create, new StringContent(body, Encoding.UTF8, "application/json")).ConfigureAwait(false);
                if (!(await response.Content.ReadAsStringAsync().ConfigureAwait(false)).Contains("\"code\":200", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ConfigureAwait(false);
        Report($"after {tasks:N0} creates ({failures} failed)", simulator);

        clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        Report("after the retention period (24 h on the fake clock)", simulator);

        await StandaloneAsync(tasks).ConfigureAwait(false);
    }

    /// <summary>The standalone simulator in its own process, measured from outside by its resident set (VmRSS).</summary>
    private static async Task StandaloneAsync(int tasks)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(KlingSimulator).Assembly.Location, "--urls", "http://127.0.0.1:0", "--rate-limit", "1000000000", "--credits", "1000000000000"]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        try
        {
            var banner = await process.StandardOutput.ReadLineAsync().ConfigureAwait(false);
            var baseUrl = new Uri(System.Text.RegularExpressions.Regex.Match(banner!, @"http://127\.0\.0\.1:\d+/").Value);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 });
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "simulator-key");
            var create = new Uri(baseUrl, "api/v1/jobs/createTask");
            Console.WriteLine(FormattableString.Invariant($"standalone process: started                                RSS {Rss(process),7:0.0} MiB"));

            var huge = new string('x', 28 * 1024 * 1024);
            var refused = 0;
            for (var i = 0; i < 15; i++)
            {
                try
                {
                    using var content = new StringContent($$$"""{"model":"{{{Model}}}","input":{"prompt":"{{{huge}}}"}}""", Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(create, content).ConfigureAwait(false);
                    refused += (int)response.StatusCode == 413 ? 1 : 0;
                }
                catch (HttpRequestException)
                {
                    // Kestrel may close the connection while the client still sends: refused as well.
                    refused++;
                }
            }

            Console.WriteLine(FormattableString.Invariant($"standalone process: after 15 createTasks of 28 MiB ({refused} refused) RSS {Rss(process),7:0.0} MiB"));

            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= tasks)
                {
                    using var content = new StringContent($$$"""{"model":"{{{Model}}}","input":{"prompt":"A paper boat drifting down a rain-soaked street at dusk.","duration":"5","aspect_ratio":"16:9","cfg_scale":0.5}}""", Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(create, content).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            Console.WriteLine(FormattableString.Invariant($"standalone process: after {tasks:N0} more creates                  RSS {Rss(process),7:0.0} MiB"));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    private static double Rss(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    private static void Report(string when, KlingSimulator simulator)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(FormattableString.Invariant($"{when,-58} tasks held {simulator.TaskCount,6}  managed heap {GC.GetTotalMemory(false) / 1048576.0,7:0.0} MiB  RSS {process.WorkingSet64 / 1048576.0,7:0.0} MiB"));
    }
}
