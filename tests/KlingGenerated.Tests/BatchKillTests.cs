using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace KlingGenerated.Tests;

/// <summary>
/// Issue 11 §5: `kling batch` against the standalone simulator, as separate processes. The simulator's own task list
/// (GET /_simulator/tasks) is the truth; the ledger must account for every task it holds, and no line may be paid twice.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class BatchKillTests(ITestOutputHelper output)
{
    private const string Key = "kill-test-key";
    private const int Lines = 200;
    private const int RatePer10Seconds = 100; // scaled (the service allows 20) so the 200 lines take about 15 s instead of 100 s

    [Fact]
    public async Task a_200_line_batch_killed_with_SIGKILL_three_times_and_resumed_pays_no_line_twice_and_loses_no_task()
    {
        await using var simulator = await StandaloneSimulator.StartAsync(["--api-key", Key, "--waiting-ms", "100", "--queuing-ms", "100", "--generating-ms", "300", "--rate-limit", RatePer10Seconds.ToString(CultureInfo.InvariantCulture), "--credits", "100000000"]);
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "tasks.db");
        await File.WriteAllLinesAsync(Path.Combine(dir, "lines.jsonl"), Enumerable.Range(1, Lines).Select(i => new JObject { ["id"] = $"clip-{i:000}", ["prompt"] = $"Kill test clip {i:000}: a paper boat, take {i}", ["duration"] = "5" }.ToString(Newtonsoft.Json.Formatting.None)));
        string[] batch = ["batch", "lines.jsonl", "--out", "videos", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString(), "--rate-limit", RatePer10Seconds.ToString(CultureInfo.InvariantCulture), "--rate-window", "10", "--json"];
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");

        for (var kill = 1; kill <= 3; kill++)
        {
            // A random point after this run's first new task: while it submits, waits or downloads.
            var after = TimeSpan.FromMilliseconds(random.Next(0, 2000));
            var before = (await simulator.TasksAsync()).Count;
            var killed = await RunAndKillAsync(dir, batch, async () =>
            {
                while ((await simulator.TasksAsync()).Count == before)
                {
                    await Task.Delay(50);
                }

                await Task.Delay(after);
            });
            var readable = await KlingInProcess.RunAsync(dir, "tasks", "--json", "--ledger", ledger);
            readable.ExitCode.Should().Be(0, $"the ledger is readable after kill -9 number {kill}: {readable.Stderr}");
            output.WriteLine($"kill {kill} {after.TotalSeconds:0.0} s after the run's first new task (exited {killed}): the ledger lists {JArray.Parse(readable.Stdout).Count} createTasks; the simulator holds {(await simulator.TasksAsync()).Count} tasks");
        }

        var final = await KlingInProcess.RunAsync(dir, batch);
        var summary = JObject.Parse(final.Stdout);
        var truth = await simulator.TasksAsync();
        var rows = LedgerTests.Rows(ledger, "SELECT task_id, line_key, outcome, request FROM submissions");

        // Duplicates: a line (its unique prompt) created more than once by the service.
        var byPrompt = truth.GroupBy(t => (string)t["request"]!["input"]!["prompt"]!).ToList();
        var duplicates = byPrompt.Sum(g => g.Count() - 1);
        // Lost: a task the service created that the ledger knows neither by id nor as an uncertain createTask of that request.
        var ledgerIds = rows.Where(r => r["task_id"] is not null).Select(r => (string)r["task_id"]!).ToHashSet(StringComparer.Ordinal);
        var notById = truth.Where(t => !ledgerIds.Contains((string)t["taskId"]!)).ToList();
        var uncertainPrompts = rows.Where(r => (string)r["outcome"]! is "uncertain" or "sending").Select(r => (string)JObject.Parse((string)r["request"]!)["input"]!["prompt"]!).ToList();
        var lost = notById.Count(t => !uncertainPrompts.Remove((string)t["request"]!["input"]!["prompt"]!));
        var accepted = truth.Select(t => (long)t["acceptedAtUnixNanoseconds"]!).Order().ToList();
        output.WriteLine($"duplicates {duplicates}; lost {lost}; tasks created {truth.Count} for {Lines} lines; known to the ledger by id {truth.Count - notById.Count}, as uncertain (request recorded, answer lost to the kill) {notById.Count - lost}");
        output.WriteLine($"final run: {summary["done"]} done ({summary["skippedAsDone"]} from earlier runs), {summary["uncertain"]} uncertain, {summary["created"]} created");
        output.WriteLine($"all runs: {accepted.Count} creates over {(accepted[^1] - accepted[0]) / 1e9:0.0} s of simulator time including 3 restarts");

        final.ExitCode.Should().BeOneOf([0, 3], final.Stderr);
        duplicates.Should().Be(0, "no line may be paid twice");
        lost.Should().Be(0, "every task the service created is in the ledger");
        ((int)summary["done"]! + (int)summary["uncertain"]!).Should().Be(Lines, "every line ends done, or reported uncertain (not resubmitted)");
        ((int)summary["failed"]!).Should().Be(0);
        summary["lines"]!.Where(l => (string)l["state"]! == "done").Select(l => (string)l["taskId"]!).Should().BeSubsetOf(truth.Select(t => (string)t["taskId"]!), "every done line names a task the service created");
        foreach (var line in summary["lines"]!.Where(l => (string)l["state"]! == "done"))
        {
            File.Exists((string)line["file"]!).Should().BeTrue();
        }

        (await File.ReadAllBytesAsync((string)summary["lines"]!.First(l => (string)l["state"]! == "done")["file"]!)).Should().Equal(KlingSimulator.SampleVideo());
    }

    [Fact]
    public async Task a_batch_with_invalid_lines_sends_nothing_and_names_each_bad_line()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "mixed.jsonl"),
        [
            """{"id":"ok-1","prompt":"A valid line"}""",
            """{"id":"bad-cfg","prompt":"Too strong","cfg_scale":3}""",
            "",
            """{"id":"ok-2","prompt":"Another valid line","aspect_ratio":"9:16"}""",
            "this is not JSON",
            """{"id":"no-prompt","duration":"5"}""",
            """{"id":"bad-duration","prompt":"x","duration":"7"}""",
        ]);
        string[] common = ["--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString()];

        var refused = await KlingInProcess.RunAsync(dir, ["batch", "mixed.jsonl", .. common]);

        refused.ExitCode.Should().Be(2, refused.Stderr);
        simulator.RequestCount.Should().Be(0, "nothing is sent while a line is invalid");
        var problems = refused.Stderr.Split('\n').Where(l => l.StartsWith("mixed.jsonl:", StringComparison.Ordinal)).ToList();
        problems.Select(l => l.Split(':')[1]).Should().Equal("2", "5", "6", "7");
        problems[0].Should().Contain("cfg_scale");
        problems[2].Should().Contain("prompt");
        problems[3].Should().Contain("duration");
        refused.Stderr.Should().Contain("nothing was sent").And.Contain("--skip-invalid");

        var skipped = await KlingInProcess.RunAsync(dir, ["batch", "mixed.jsonl", "--skip-invalid", "--json", "--out", "v", .. common]);

        skipped.ExitCode.Should().Be(0, skipped.Stderr);
        simulator.CreatedTasks.Values.Select(body => (string)JObject.Parse(body)["input"]!["prompt"]!).Should().BeEquivalentTo("A valid line", "Another valid line");
        var summary = JObject.Parse(skipped.Stdout);
        ((int)summary["done"]!).Should().Be(2);
        summary["invalid"]!.Select(e => (int)e["line"]!).Should().Equal(2, 5, 6, 7);
    }

    [Fact]
    public async Task running_a_finished_batch_again_sends_nothing_and_a_CSV_batch_works()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "shots.csv"), ["id,prompt,aspect_ratio", "a,\"A harbour, at dawn\",16:9", "b,A harbour at dusk,"]);
        string[] run = ["batch", "shots.csv", "--json", "--out", "v", "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString()];

        var first = await KlingInProcess.RunAsync(dir, run);
        var createsAfterFirst = simulator.CreatedTasks.Count;
        var second = await KlingInProcess.RunAsync(dir, run);

        first.ExitCode.Should().Be(0, first.Stderr);
        createsAfterFirst.Should().Be(2);
        var bodies = simulator.CreatedTasks.Values.Select(JObject.Parse).ToList();
        bodies.Select(b => (string)b["input"]!["prompt"]!).Should().BeEquivalentTo("A harbour, at dawn", "A harbour at dusk");
        bodies.Single(b => (string)b["input"]!["prompt"]! == "A harbour at dusk")["input"]!["aspect_ratio"].Should().BeNull("an empty cell leaves the field to the service");
        second.ExitCode.Should().Be(0, second.Stderr);
        simulator.CreatedTasks.Count.Should().Be(2, "a resumed batch skips done lines");
        ((int)JObject.Parse(second.Stdout)["skippedAsDone"]!).Should().Be(2);
    }

    [Fact]
    public async Task Ctrl_C_stops_submitting_records_everything_prints_how_to_resume_and_the_resume_pays_nothing_twice()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync(rateLimit: 5, window: TimeSpan.FromSeconds(2));
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "slow.jsonl"), Enumerable.Range(1, 20).Select(i => $$"""{"id":"s{{i}}","prompt":"Interrupted clip {{i}}"}"""));
        string[] run = ["batch", "slow.jsonl", "--out", "v", "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString(), "--rate-limit", "5", "--rate-window", "2"];
        using var process = Process.Start(KlingProcess.StartInfo(dir, new Dictionary<string, string>(), run))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        while (simulator.CreatedTasks.Count < 5 && !process.HasExited)
        {
            await Task.Delay(50);
        }

        Kill(process.Id, SigInt).Should().Be(0, "SIGINT, as Ctrl+C sends it, reached the batch");

        await process.WaitForExitAsync();
        var errors = await stderr;
        _ = await stdout;
        var createdBeforeResume = simulator.CreatedTasks.Keys.ToList();
        process.ExitCode.Should().Be(130, errors);
        errors.Should().Contain("Interrupted: submitting stopped").And.Contain("export KIE_API_KEY=").And.Contain("Resume with:");
        var printed = errors.Split('\n').SkipWhile(l => !l.Contains("Resume with:", StringComparison.Ordinal)).Skip(1).First().Trim();
        printed.Should().StartWith("kling batch slow.jsonl").And.NotContain(LedgerTests.ApiKey, "the key is never printed");
        var words = await ShellWords.SplitAsync(printed);
        words[0].Should().Be("kling");

        // The printed command, pasted as it is after the export the line asks for, resumes the batch.
        var resumed = await KlingInProcess.RunAsync(dir, new Dictionary<string, string> { ["KIE_API_KEY"] = LedgerTests.ApiKey }, [.. words[1..], "--json"]);

        createdBeforeResume.Count.Should().BeLessThan(20, "submitting stopped");
        var ledgerIds = LedgerTests.Rows(Path.Combine(dir, "tasks.db"), "SELECT task_id FROM submissions WHERE task_id IS NOT NULL").Select(r => (string)r["task_id"]!);
        ledgerIds.Should().Contain(createdBeforeResume, "everything created before Ctrl+C is in the ledger");
        resumed.ExitCode.Should().Be(0, resumed.Stderr);
        simulator.CreatedTasks.Values.Select(b => (string)JObject.Parse(b)["input"]!["prompt"]!).Should().OnlyHaveUniqueItems().And.HaveCount(20);
        ((int)JObject.Parse(resumed.Stdout)["done"]!).Should().Be(20);
    }

    [Fact]
    public async Task a_second_run_of_a_batch_that_is_still_running_is_refused_and_sends_nothing()
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync(rateLimit: 2, window: TimeSpan.FromSeconds(2));
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "twice.jsonl"), Enumerable.Range(1, 12).Select(i => $$"""{"id":"t{{i}}","prompt":"Twice clip {{i}}"}"""));
        string[] run = ["batch", "twice.jsonl", "--out", "v", "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString(), "--rate-limit", "2", "--rate-window", "2"];
        using var first = Process.Start(KlingProcess.StartInfo(dir, new Dictionary<string, string>(), run))!;
        var firstOut = first.StandardOutput.ReadToEndAsync();
        var firstErr = first.StandardError.ReadToEndAsync();
        while (simulator.CreatedTasks.Count == 0 && !first.HasExited)
        {
            await Task.Delay(50);
        }

        var requestsBefore = simulator.RequestCount;
        var second = await KlingInProcess.RunAsync(dir, run);
        var createsDuringSecond = simulator.CreatedTasks.Count;
        await first.WaitForExitAsync();

        second.ExitCode.Should().Be(2, second.Stderr);
        second.Stderr.Should().Contain("already running in another kling process").And.Contain("nothing was sent");
        first.ExitCode.Should().Be(0, await firstErr);
        _ = await firstOut;
        simulator.CreatedTasks.Values.Select(b => (string)JObject.Parse(b)["input"]!["prompt"]!).Should().OnlyHaveUniqueItems().And.HaveCount(12);
        createsDuringSecond.Should().BeLessThan(12, "the first run was still submitting while the second was refused");
        requestsBefore.Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task batch_progress_is_a_live_block_on_a_terminal_and_plain_lines_otherwise(bool live)
    {
        await using var simulator = await LedgerTests.StartSimulatorAsync(rateLimit: 4, window: TimeSpan.FromSeconds(1));
        var dir = KlingProcess.NewDirectory();
        var file = Path.Combine(dir, "show.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 8).Select(i => $$"""{"id":"p{{i}}","prompt":"Progress clip {{i}}"}"""));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await KlingGenerated.Cli.KlingCli.RunAsync(
            ["batch", file, "--out", Path.Combine(dir, "v"), "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString(), "--rate-limit", "4", "--rate-window", "1"],
            stdout, stderr, CancellationToken.None, new KlingGenerated.Cli.CliTerminal(live, live, () => 100, TimeProvider.System));

        code.Should().Be(0, stderr.ToString());
        var text = stderr.ToString();
        text.Should().Contain("not sent 0").And.Contain("submitted").And.Contain("running").And.Contain("done 8").And.Contain("failed 0").And.Contain("uncertain 0");
        text.Should().Contain("throughput").And.Contain("ETA");
        if (live)
        {
            text.Should().Contain("\u001b[", "the block is redrawn in place");
        }
        else
        {
            text.Should().NotContain("\u001b", "plain lines when stderr is not a terminal");
            text.Split('\n').Count(l => l.Contains(": created task_", StringComparison.Ordinal)).Should().Be(8, "one line per event");
            text.Split('\n').Count(l => l.Contains(": done task_", StringComparison.Ordinal)).Should().Be(8);
        }

        stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(8).And.OnlyContain(l => l.Contains("\tdone\t"));
    }

    [Fact]
    public async Task an_uncertain_line_is_reported_and_not_sent_again_unless_resubmit_uncertain_is_given()
    {
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "one.jsonl"), ["""{"id":"maybe","prompt":"A line whose answer was lost"}"""]);
        string[] Run(KlingSimulator s, params string[] more) => ["batch", "one.jsonl", "--json", "--out", "v", "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", s.BaseUrl.ToString(), .. more];
        // One service (a batch's lines are matched per endpoint): it fails after creating, then heals.
        var options = new KlingSimulatorOptions { AcceptedApiKey = LedgerTests.ApiKey, WaitingFor = TimeSpan.FromMilliseconds(100), QueuingFor = TimeSpan.FromMilliseconds(100), GeneratingFor = TimeSpan.FromMilliseconds(300), Fault = "server-error-after-create", RateLimit = 1000 };
        await using var healthy = await KlingSimulator.StartAsync(options);
        var failing = healthy;

        // The fault answers the balance check 500 too: its retries come 10-100 ms apart, not 1-30 s.
        var first = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, Run(failing));
        failing.CreatedTasks.Should().ContainSingle("the task was created before the 500");
        using (var http = new HttpClient())
        {
            using var heal = new HttpRequestMessage(HttpMethod.Delete, new Uri(healthy.BaseUrl, "_simulator/fault"));
            heal.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LedgerTests.ApiKey);
            (await http.SendAsync(heal)).EnsureSuccessStatusCode();
        }

        var again = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, Run(healthy));
        var createsWithoutFlag = healthy.CreatedTasks.Count - 1;
        var resubmitted = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, Run(healthy, "--resubmit-uncertain"));

        first.ExitCode.Should().Be(3, first.Stderr);
        ((int)JObject.Parse(first.Stdout)["uncertain"]!).Should().Be(1);
        again.ExitCode.Should().Be(3, again.Stderr);
        createsWithoutFlag.Should().Be(0, "an uncertain line is not sent again by default");
        again.Stderr.Should().Contain("uncertain").And.Contain("--resubmit-uncertain");
        resubmitted.ExitCode.Should().Be(0, resubmitted.Stderr);
        healthy.CreatedTasks.Should().HaveCount(2, "the uncertain task, then the one --resubmit-uncertain paid for again");
        ((int)JObject.Parse(resubmitted.Stdout)["done"]!).Should().Be(1);
    }

    [Fact]
    public async Task A_service_that_answers_one_task_id_for_two_lines_gets_the_second_line_marked_uncertain_not_done()
    {
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "two.jsonl"), ["""{"id":"a","prompt":"one"}""", """{"id":"b","prompt":"two"}"""]);
        await using var server = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/createTask", HostileServer.Answer(200, """{"code":200,"msg":"success","data":{"taskId":"samesame"}}""")),
            ("/api/v1/jobs/recordInfo", HostileServer.Answer(200, """{"code":200,"msg":"success","data":{"taskId":"samesame","model":"kling/v2-5-turbo-text-to-video-pro","state":"generating"}}"""))));

        var run = await KlingInProcess.RunAsync(dir, "batch", "two.jsonl", "--json", "--out", "v", "--timeout", "0.05", "--ledger", Path.Combine(dir, "tasks.db"), "--api-key", LedgerTests.ApiKey, "--base-url", server.Url("/").ToString());

        server.Requests.Count(r => r.Path == "/api/v1/jobs/createTask").Should().Be(2, "each line was sent once");
        run.ExitCode.Should().NotBe(0, run.Stderr);
        var summary = JObject.Parse(run.Stdout);
        ((int)summary["uncertain"]!).Should().Be(1, "the second answer's id already belongs to the first line");
        ((int)summary["done"]!).Should().Be(0);
    }

    private const int SigInt = 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private async Task<int> RunAndKillAsync(string dir, string[] args, Func<Task> killPoint)
    {
        using var process = Process.Start(KlingProcess.StartInfo(dir, new Dictionary<string, string>(), args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await Task.WhenAny(process.WaitForExitAsync(limit.Token), killPoint());
        var exited = process.HasExited;
        if (!exited)
        {
            process.Kill(); // SIGKILL: no handler, no flush, no cleanup
        }

        await process.WaitForExitAsync();
        _ = await stdout;
        var errors = await stderr;
        if (exited)
        {
            output.WriteLine($"the run ended by itself before the kill: {errors}");
        }

        return process.ExitCode;
    }

    /// <summary>The standalone simulator, started as its own process on a free loopback port, stopped at the end.</summary>
    private sealed class StandaloneSimulator : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http = new();

        private StandaloneSimulator(Process process, Uri baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        }

        public Uri BaseUrl { get; }

        public static async Task<StandaloneSimulator> StartAsync(string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll"));
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add("http://127.0.0.1:0");
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                var at = line.IndexOf("listening on ", StringComparison.Ordinal);
                if (at >= 0)
                {
                    var url = line[(at + "listening on ".Length)..].Split(' ')[0];
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                    return new StandaloneSimulator(process, new Uri(url));
                }
            }

            process.Kill();
            throw new InvalidOperationException($"the standalone simulator did not start: {await process.StandardError.ReadToEndAsync()}");
        }

        /// <summary>The simulator's own list of the tasks it created.</summary>
        public async Task<List<JObject>> TasksAsync() =>
            ((JArray)JObject.Parse(await _http.GetStringAsync(new Uri(BaseUrl, "_simulator/tasks")))["tasks"]!).Cast<JObject>().ToList();

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
