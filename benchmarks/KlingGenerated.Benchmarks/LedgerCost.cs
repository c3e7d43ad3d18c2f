using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using KlingGenerated.Cli;
using KlingGenerated.Cli.Ledger;
using KlingGenerated.Simulator;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Benchmarks;

/// <summary>
/// Issue 11's figures: what the CLI's task ledger costs per task (time and bytes on disk), and the throughput of
/// `kling batch` as a fraction of the account's limit, against the in-process simulator with a scaled window.
/// </summary>
internal static class LedgerCost
{
    /// <summary>The ledger's cost, then a batch of <paramref name="lines"/> at <paramref name="limit"/> per <paramref name="windowSeconds"/>.</summary>
    public static async Task RunAsync(int lines = 200, int limit = 20, double windowSeconds = 1)
    {
        Cost(500);
        await ThroughputAsync(lines, limit, TimeSpan.FromSeconds(windowSeconds));
    }

    /// <summary>Every write a batch makes for one task: queued, sending, created, four states (the last with its URL), the file.</summary>
    private static void Cost(int tasks)
    {
        var dir = Directory.CreateTempSubdirectory("kling-ledger-cost-").FullName;
        try
        {
            var path = Path.Combine(dir, "tasks.db");
            using var ledger = TaskLedger.Open(path);
            var request = $$$"""{"model":"{{{KlingModels.ModelOf(typeof(CreateTaskRequest))}}}","input":{"prompt":"A paper boat drifting down a rain-soaked street at dusk, cinematic, 35 mm","duration":"5","aspect_ratio":"16:9","cfg_scale":0.5}}""";
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < tasks; i++)
            {
                var taskId = "task_kling_" + (17956280000000000L + i).ToString(CultureInfo.InvariantCulture);
                var id = ledger.RecordQueued("https://api.kie.ai/", request, "/home/me/batches/ads.jsonl", "id:ad-" + i.ToString(CultureInfo.InvariantCulture), i + 1);
                ledger.MarkSending(id);
                ledger.RecordCreated(id, taskId);
                foreach (var state in new[] { "waiting", "queuing", "generating", "success" })
                {
                    ledger.RecordState("https://api.kie.ai/", taskId, new TaskRecord
                    {
                        TaskId = taskId,
                        RawState = state,
                        ResultJson = state == "success" ? $$"""{"resultUrls":["https://tempfile.aiquickdraw.com/k/{{taskId}}.mp4"]}""" : null,
                    });
                }

                ledger.RecordFile("https://api.kie.ai/", taskId, $"/home/me/videos/{taskId}.mp4");
            }

            var elapsed = clock.Elapsed;
            var withWal = ledger.SizeInBytes();
            Console.WriteLine(FormattableString.Invariant($"ledger {tasks} tasks, 8 committed transactions each (WAL; sending and created synced with FULL, the rest NORMAL): {elapsed.TotalMilliseconds / tasks:0.00} ms per task, {elapsed.TotalMilliseconds / tasks / 8:0.00} ms per transaction"));
            Console.WriteLine(FormattableString.Invariant($"ledger size: {withWal / (double)tasks:0} bytes per task (database + write-ahead log before checkpoint)"));
            ledger.Dispose();
            using (var reopened = TaskLedger.Open(path))
            {
                Console.WriteLine(FormattableString.Invariant($"ledger size after closing: {new FileInfo(path).Length / (double)tasks:0} bytes per task (database file, log checkpointed)"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task ThroughputAsync(int lines, int limit, TimeSpan window)
    {
        var dir = Directory.CreateTempSubdirectory("kling-batch-throughput-").FullName;
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions
        {
            WaitingFor = TimeSpan.FromMilliseconds(100),
            QueuingFor = TimeSpan.FromMilliseconds(100),
            GeneratingFor = TimeSpan.FromMilliseconds(300),
            RateLimit = limit,
            RateLimitWindow = window,
            Credits = 10_000_000,
        });
        try
        {
            var file = Path.Combine(dir, "lines.jsonl");
            await File.WriteAllLinesAsync(file, Enumerable.Range(1, lines).Select(i => $$"""{"id":"b{{i}}","prompt":"Throughput clip {{i}}"}"""));
            using var stdout = new StringWriter();
            var code = await KlingCli.RunAsync(
                ["batch", file, "--json", "--out", Path.Combine(dir, "out"), "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", simulator.ApiKey, "--base-url", simulator.BaseUrl.ToString(),
                 "--rate-limit", limit.ToString(CultureInfo.InvariantCulture), "--rate-window", window.TotalSeconds.ToString(CultureInfo.InvariantCulture)],
                stdout, TextWriter.Null);
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", simulator.ApiKey);
            var tasks = (JArray)JObject.Parse(await http.GetStringAsync(new Uri(simulator.BaseUrl, "_simulator/tasks")))["tasks"]!;
            var accepted = tasks.Select(t => (long)t["acceptedAtUnixNanoseconds"]!).Order().ToList();
            var span = TimeSpan.FromTicks((accepted[^1] - accepted[0]) / 100);
            // The first window's burst of `limit` is free; the sustained rate is what follows it.
            var sustained = (accepted.Count - limit) / span.TotalSeconds * window.TotalSeconds / limit;
            var overall = (accepted.Count - 1) / span.TotalSeconds * window.TotalSeconds / limit;
            Console.WriteLine(FormattableString.Invariant($"batch {lines} lines at {limit} per {window.TotalSeconds:0.#} s: exit {code}, {accepted.Count} created over {span.TotalSeconds:0.00} s (simulator accept times), {simulator.RateLimitedCount} answered 429"));
            Console.WriteLine(FormattableString.Invariant($"throughput: sustained {sustained * 100:0.0} % of the limit (after the first window's burst), {overall * 100:0.0} % counting the burst"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
