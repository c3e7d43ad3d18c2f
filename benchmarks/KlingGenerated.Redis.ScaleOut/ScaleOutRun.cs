using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace KlingGenerated.Redis.ScaleOut;

/// <summary>One run: how many worker processes, how many creates in all, with or without Redis, and whether Redis dies midway.</summary>
public sealed record Scenario(int Processes, int TotalCreates, bool UseRedis, int Limit = 20, double WindowSeconds = 2, double MarginSeconds = 0.1,
    RedisUnavailableMode WhenUnavailable = RedisUnavailableMode.FallBackToLocalPacer, double? KillRedisAfterSeconds = null)
{
    public TimeSpan Window => TimeSpan.FromSeconds(WindowSeconds);

    public TimeSpan Margin => TimeSpan.FromSeconds(MarginSeconds);
}

/// <summary>What a run measured. The simulator's own record of accepted creates is the ground truth.</summary>
public sealed record ScenarioResult(
    Scenario Scenario,
    int Submitted,
    int Created,
    int RateLimited,
    int Attempts,
    int MaxInWindow,
    double ThroughputFraction,
    int Duplicates,
    int Lost,
    IReadOnlyDictionary<string, int> Failures,
    int Warnings,
    TimeSpan Elapsed);

public static class ScaleOutRun
{
    /// <summary>
    /// Starts the standalone simulator (limit scaled to <see cref="Scenario.Limit"/> per <see cref="Scenario.Window"/>),
    /// then <see cref="Scenario.Processes"/> worker processes sharing one API key, and checks every sliding window.
    /// </summary>
    public static async Task<ScenarioResult> RunAsync(Scenario scenario, RedisServer? redis)
    {
        if (scenario.UseRedis && redis is null)
        {
            throw new ArgumentException("The scenario uses Redis: pass a RedisServer.", nameof(redis));
        }

        var apiKey = "scale-out-" + Guid.NewGuid().ToString("N"); // a fresh account: a fresh Redis log too
        await using var simulator = await StandaloneSimulator.StartAsync(apiKey, scenario.Limit, scenario.Window).ConfigureAwait(false);
        var workers = new List<Process>();
        try
        {
            for (var w = 0; w < scenario.Processes; w++)
            {
                var count = scenario.TotalCreates / scenario.Processes + (w < scenario.TotalCreates % scenario.Processes ? 1 : 0);
                var settings = new WorkerSettings($"w{w}", simulator.BaseUrl, apiKey, count, scenario.Limit, scenario.Window, scenario.Margin,
                    scenario.UseRedis ? redis!.Configuration : null, scenario.WhenUnavailable);
                var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
                start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Redis.ScaleOut.dll"));
                foreach (var argument in settings.ToArguments())
                {
                    start.ArgumentList.Add(argument);
                }

                workers.Add(Process.Start(start)!);
            }

            var stderr = workers.Select(p => p.StandardError.ReadToEndAsync()).ToArray();
            foreach (var (worker, index) in workers.Select((p, i) => (p, i)))
            {
                var ready = await worker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                if (ready != "ready")
                {
                    throw new InvalidOperationException($"Worker {index} did not start: {ready} {await stderr[index].ConfigureAwait(false)}");
                }
            }

            var watch = Stopwatch.StartNew();
            foreach (var worker in workers)
            {
                await worker.StandardInput.WriteLineAsync("go").ConfigureAwait(false);
                await worker.StandardInput.FlushAsync().ConfigureAwait(false);
            }

            var outputs = workers.Select(p => p.StandardOutput.ReadToEndAsync()).ToArray();
            if (scenario.KillRedisAfterSeconds is { } killAfter)
            {
                await Task.Delay(TimeSpan.FromSeconds(killAfter)).ConfigureAwait(false);
                redis!.Kill();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await Task.WhenAll(workers.Select(p => p.WaitForExitAsync(timeout.Token))).ConfigureAwait(false);
            watch.Stop();

            var submissions = new List<SubmissionLine>();
            var summaries = new List<SummaryLine>();
            for (var i = 0; i < workers.Count; i++)
            {
                var output = await outputs[i].ConfigureAwait(false);
                if (workers[i].ExitCode != 0)
                {
                    throw new InvalidOperationException($"Worker {i} exited with {workers[i].ExitCode}: {output} {await stderr[i].ConfigureAwait(false)}");
                }

                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (line.Contains("\"Prompt\"", StringComparison.Ordinal))
                    {
                        submissions.Add(JsonSerializer.Deserialize<SubmissionLine>(line)!);
                    }
                    else if (line.Contains("\"Attempts\"", StringComparison.Ordinal))
                    {
                        summaries.Add(JsonSerializer.Deserialize<SummaryLine>(line)!);
                    }
                }
            }

            var accepted = await simulator.AcceptedCreatesAsync().ConfigureAwait(false);
            return Analyse(scenario, submissions, summaries, accepted, watch.Elapsed);
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited)
                {
                    worker.Kill(entireProcessTree: true);
                }

                worker.Dispose();
            }
        }
    }

    /// <summary>Checks the workers' reports against the simulator's record.</summary>
    public static ScenarioResult Analyse(Scenario scenario, IReadOnlyList<SubmissionLine> submissions, IReadOnlyList<SummaryLine> summaries,
        IReadOnlyList<AcceptedCreate> accepted, TimeSpan elapsed)
    {
        var byPrompt = accepted.GroupBy(a => a.Prompt, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var duplicates = byPrompt.Values.Sum(g => g.Count - 1);
        // Lost: reported created but absent at the service, reported with another task id, or created at the service but reported as not created.
        var lost = submissions.Count(s => s.TaskId is { } id
            ? !byPrompt.TryGetValue(s.Prompt, out var created) || created.All(c => c.TaskId != id)
            : byPrompt.ContainsKey(s.Prompt));
        lost += byPrompt.Keys.Count(p => submissions.All(s => s.Prompt != p)); // created but never submitted by a worker

        var times = accepted.Select(a => a.AcceptedAt).Order().ToArray();
        var maxInWindow = 0;
        for (int first = 0, last = 0; first < times.Length; first++)
        {
            // The window [times[first], times[first] + W): the simulator's rule (a create leaves the window W after it).
            while (last < times.Length && times[last] - times[first] < scenario.Window)
            {
                last++;
            }

            maxInWindow = Math.Max(maxInWindow, last - first);
        }

        // Sustained rate after the first full window, as a fraction of the limit's rate.
        var throughput = times.Length > scenario.Limit && times[^1] > times[0]
            ? (times.Length - scenario.Limit) / (times[^1] - times[0]).TotalSeconds / (scenario.Limit / scenario.WindowSeconds)
            : double.NaN;
        var failures = submissions.Where(s => s.TaskId is null).GroupBy(s => s.Error ?? "?").ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new ScenarioResult(scenario, submissions.Count, accepted.Count, summaries.Sum(s => s.RateLimited), summaries.Sum(s => s.Attempts), maxInWindow,
            throughput, duplicates, lost, failures, summaries.Sum(s => s.Warnings), elapsed);
    }

    /// <summary>One Markdown table row.</summary>
    public static string Row(ScenarioResult r, string? label = null) => string.Create(CultureInfo.InvariantCulture,
        $"| {label ?? (r.Scenario.UseRedis ? "Redis" : "per process")} | {r.Scenario.Processes} | {r.Submitted} | {r.Created} | {r.RateLimited} | {r.MaxInWindow} / {r.Scenario.Limit} | {(double.IsNaN(r.ThroughputFraction) || r.Failures.Count > 0 ? "n/a" : $"{r.ThroughputFraction:P0}")} | {r.Duplicates} | {r.Lost} | {(r.Failures.Count == 0 ? "0" : string.Join(", ", r.Failures.Select(f => $"{f.Value} {f.Key}")))} | {r.Elapsed.TotalSeconds:0.0} s |");

    public const string Header = """
        | pacing | processes | submitted | created | HTTP 429s | most creates in any window | throughput / limit | duplicates | lost | failed (not sent) | time |
        |---|---|---|---|---|---|---|---|---|---|---|
        """;
}
