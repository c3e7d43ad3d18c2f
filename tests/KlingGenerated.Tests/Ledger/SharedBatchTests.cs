using System.Diagnostics;
using KlingGenerated.Redis.ScaleOut;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace KlingGenerated.Tests.Ledger;

/// <summary>
/// One batch, many workers: `kling batch` processes with their own working folders, sharing only a PostgreSQL ledger
/// and a Redis, over the same file or files that share lines. The simulator's own task list is the truth.
/// </summary>
[Trait("Category", "Slow")] // worker processes, seconds each
[Collection(PostgresScaleOutCollection.Name)]
public sealed class SharedBatchTests(PostgresFixture postgres, ITestOutputHelper log)
{
    private static readonly string Key = LedgerTests.ApiKey;

    [Fact]
    public async Task Three_workers_over_one_file_create_each_line_once_and_each_downloads_its_own_lines()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync();
        await using var redis = await RedisServer.StartAsync();
        var ledger = await postgres.NewLedgerAsync();
        var lines = Enumerable.Range(1, 15).Select(i => $$"""{"prompt":"Shared clip {{i}}"}""").ToArray();
        var workers = Enumerable.Range(0, 3).Select(_ => KlingProcess.NewDirectory()).ToList();
        foreach (var dir in workers)
        {
            await File.WriteAllLinesAsync(Path.Combine(dir, "shots.jsonl"), lines);
        }

        var runs = await Task.WhenAll(workers.Select(dir => KlingProcess.RunAsync(dir, Worker("shots.jsonl", ledger, simulator, Patient(redis)))));

        foreach (var run in runs)
        {
            run.ExitCode.Should().Be(0, run.Stderr);
            log.WriteLine(run.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("Batch finished", StringComparison.Ordinal)));
        }

        simulator.CreatedTasks.Values.Select(Prompt).Should().HaveCount(15).And.OnlyHaveUniqueItems("each line is paid once, whichever worker sent it");
        simulator.RateLimitedCount.Should().Be(0);
        var rows = postgres.Rows(ledger, "SELECT line_key, task_id, outcome, state, file, worker FROM submissions");
        rows.Should().HaveCount(15).And.OnlyContain(r => (string?)r["outcome"] == "created" && (string?)r["state"] == "success");
        var files = workers.SelectMany(dir => Directory.Exists(Path.Combine(dir, "v")) ? Directory.GetFiles(Path.Combine(dir, "v")) : []).ToList();
        files.Should().HaveCount(15, "each line is downloaded once, by the worker that created it, into its own --out");
        rows.Select(r => (string)r["file"]!).Should().BeEquivalentTo(files, "the ledger records where each result is");
        rows.Select(r => (string?)r["worker"]).Should().OnlyContain(w => w != null);

        var elsewhere = KlingProcess.NewDirectory(); // another machine: lists every task and downloads one again
        var listed = await KlingProcess.RunAsync(elsewhere, "tasks", "--json", "--ledger", ledger);
        listed.ExitCode.Should().Be(0, listed.Stderr);
        JArray.Parse(listed.Stdout).Should().HaveCount(15);
        var someTask = (string)rows[0]["task_id"]!;
        var again = await KlingProcess.RunAsync(elsewhere, "download", someTask, "--out", "here", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());
        again.ExitCode.Should().Be(0, again.Stderr);
        (await File.ReadAllBytesAsync(Path.Combine(elsewhere, "here", someTask + ".mp4"))).Should().Equal(KlingSimulator.SampleVideo());
        (string.Concat(runs.Select(r => r.Stdout + r.Stderr)) + listed.Stderr + again.Stderr).Should().NotContain(postgres.Server.Password, "the ledger's password is never printed");
    }

    [Fact]
    public async Task Two_workers_with_different_files_sharing_lines_pay_each_shared_line_once()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync();
        await using var redis = await RedisServer.StartAsync();
        var ledger = await postgres.NewLedgerAsync();
        var (a, b) = (KlingProcess.NewDirectory(), KlingProcess.NewDirectory());
        await File.WriteAllLinesAsync(Path.Combine(a, "a.jsonl"), Enumerable.Range(1, 8).Select(i => $$"""{"prompt":"Overlap clip {{i}}"}"""));
        await File.WriteAllLinesAsync(Path.Combine(b, "b.jsonl"), Enumerable.Range(5, 8).Select(i => $$"""{"prompt":"Overlap clip {{i}}"}"""));

        var runs = await Task.WhenAll(
            KlingProcess.RunAsync(a, Worker("a.jsonl", ledger, simulator, Patient(redis))),
            KlingProcess.RunAsync(b, Worker("b.jsonl", ledger, simulator, Patient(redis))));

        runs.Should().OnlyContain(r => r.ExitCode == 0, string.Join("\n", runs.Select(r => r.Stderr)));
        simulator.CreatedTasks.Values.Select(Prompt).Should().HaveCount(12).And.OnlyHaveUniqueItems("the 4 shared lines are paid once");
    }

    [Fact]
    public async Task A_second_worker_without_Redis_is_refused_unless_each_worker_has_an_explicit_share_of_the_limit()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync();
        var ledger = await postgres.NewLedgerAsync();
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "b.jsonl"), ["{\"prompt\":\"paced alone\"}"]);
        using var other = (KlingGenerated.Cli.Ledger.PostgresLedger)KlingGenerated.Cli.Ledger.LedgerLocation.OpenSetting(ledger);
        var endpoint = simulator.BaseUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        other.Join(endpoint, "alone"); // a live worker pacing alone at the whole limit (it renews before each run, as a live one does)

        // --lease 600: on a loaded machine a process can take longer than the default 30 s lease to start.
        var refused = await KlingProcess.RunAsync(dir, "batch", "b.jsonl", "--lease", "600", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());
        other.Join(endpoint, "alone");
        var shareBesideAlone = await KlingProcess.RunAsync(dir, "batch", "b.jsonl", "--lease", "600", "--rate-limit", "10", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());
        var createdWhileRefused = simulator.CreatedTasks.Count;
        other.Join(endpoint, "its own share of 10 per 10 s");
        var bothShare = await KlingProcess.RunAsync(dir, "batch", "b.jsonl", "--rate-limit", "10", "--out", "v", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());

        refused.ExitCode.Should().Be(2, refused.Stderr);
        refused.Stderr.Should().Contain("another worker").And.Contain("--redis").And.Contain("--rate-limit").And.Contain("Nothing was sent");
        shareBesideAlone.ExitCode.Should().Be(2, "the other worker still paces alone at the whole limit");
        createdWhileRefused.Should().Be(0);
        bothShare.ExitCode.Should().Be(0, bothShare.Stderr);
        simulator.CreatedTasks.Should().ContainSingle();
    }

    [Fact]
    public async Task A_worker_killed_mid_run_leaves_its_lines_to_another_and_no_line_is_sent_twice()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync(rateLimit: 4, window: TimeSpan.FromSeconds(2));
        await using var redis = await RedisServer.StartAsync();
        var ledger = await postgres.NewLedgerAsync();
        var (doomed, survivor) = (KlingProcess.NewDirectory(), KlingProcess.NewDirectory());
        var lines = Enumerable.Range(1, 16).Select(i => $$"""{"prompt":"Kill -9 clip {{i}}"}""").ToArray();
        await File.WriteAllLinesAsync(Path.Combine(doomed, "k.jsonl"), lines);
        await File.WriteAllLinesAsync(Path.Combine(survivor, "k.jsonl"), lines);
        string[] Args() => [.. Worker("k.jsonl", ledger, simulator, Patient(redis), rateLimit: 4, window: 2), "--lease", "3"];

        using (var process = Process.Start(KlingProcess.StartInfo(doomed, new Dictionary<string, string>(), Args()))!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            while (simulator.CreatedTasks.Count < 3 && !process.HasExited)
            {
                await Task.Delay(20);
            }

            process.Kill(); // SIGKILL: no clean-up, its leases just stop being renewed
            await process.WaitForExitAsync();
        }

        var finished = await KlingProcess.RunAsync(survivor, Args());
        var rows = postgres.Rows(ledger, "SELECT line_key, outcome, task_id FROM submissions");
        var prompts = simulator.CreatedTasks.Values.Select(Prompt).ToList();
        log.WriteLine(finished.Stderr);

        prompts.Should().OnlyHaveUniqueItems("no line is sent twice, even the ones the killed worker held");
        var uncertain = rows.Count(r => (string?)r["outcome"] == "uncertain");
        uncertain.Should().BeLessThanOrEqualTo(2, "at most the creates on the wire at the kill (two submitters) are uncertain");
        rows.Count(r => (string?)r["outcome"] == "created").Should().Be(16 - uncertain, "the survivor finished every other line, the killed worker's included");
        finished.ExitCode.Should().Be(uncertain == 0 ? 0 : 3, finished.Stderr);
        finished.Stderr.Should().Contain("taken over");
    }

    [Fact]
    public async Task Workers_wait_through_a_PostgreSQL_restart_and_go_on_losing_and_repeating_nothing()
    {
        await using var own = await PostgresServer.StartAsync(); // restarted here: not the shared server
        await using var simulator = await LedgerTests.StartSimulatorAsync(rateLimit: 6, window: TimeSpan.FromSeconds(2));
        await using var redis = await RedisServer.StartAsync();
        var ledger = own.Uri(await own.CreateDatabaseAsync());
        var lines = Enumerable.Range(1, 18).Select(i => $$"""{"prompt":"Restart clip {{i}}"}""").ToArray();
        var workers = Enumerable.Range(0, 2).Select(_ => KlingProcess.NewDirectory()).ToList();
        foreach (var dir in workers)
        {
            await File.WriteAllLinesAsync(Path.Combine(dir, "r.jsonl"), lines);
        }

        var runs = Task.WhenAll(workers.Select(dir => KlingProcess.RunAsync(dir, Worker("r.jsonl", ledger, simulator, Patient(redis), rateLimit: 6, window: 2))));
        // Mid-run: both workers are running (registered) and tasks are being created.
        while ((simulator.CreatedTasks.Count < 6 || own.CountWorkers(ledger) < 2) && !runs.IsCompleted)
        {
            await Task.Delay(50);
        }

        own.Restart();
        var results = await runs;

        foreach (var result in results)
        {
            result.ExitCode.Should().Be(0, result.Stderr);
        }

        simulator.CreatedTasks.Values.Select(Prompt).Should().HaveCount(18).And.OnlyHaveUniqueItems("nothing is sent twice across the restart");
        using var reader = (KlingGenerated.Cli.Ledger.PostgresLedger)KlingGenerated.Cli.Ledger.LedgerLocation.OpenSetting(ledger);
        reader.List(null, null).Should().HaveCount(18).And.OnlyContain(e => e.Outcome == "created" && e.State == "success" && e.File != null, "nothing is lost");
    }

    private static string[] Worker(string file, string ledger, KlingSimulator simulator, string redis, int rateLimit = 1000, int window = 10) =>
        ["batch", file, "--out", "v", "--ledger", ledger, "--redis", redis, "--rate-limit", rateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--rate-window", window.ToString(System.Globalization.CultureInfo.InvariantCulture), "--api-key", Key, "--base-url", simulator.BaseUrl.ToString()];

    /// <summary>The workers' Redis, with timeouts a busy machine meets (the fixture's 1-2 s fail creates before sending when the load average is in the tens).</summary>
    private static string Patient(RedisServer redis) => $"127.0.0.1:{redis.Port},abortConnect=false,connectTimeout=10000,syncTimeout=10000,asyncTimeout=10000";

    private static string Prompt(string body) => (string)JObject.Parse(body)["input"]!["prompt"]!;
}
