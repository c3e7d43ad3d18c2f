using System.Net;
using System.Net.Sockets;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>Every message true: wait downloads, unknown ids and dead services fail fast, the budget is guarded, no key is printed.</summary>
[Trait("Category", "Slow")] // waits out real retry and polling intervals (unknown ids, dead ports)
public sealed class CliPromiseTests
{
    [Fact]
    public async Task Wait_downloads_into_out_as_generate_does_and_no_download_only_waits()
    {
        await using var run = await CliRun.StartAsync();
        var first = await run.RunAsync("generate", "A kite", "--no-wait");
        var taskId = first.Stdout.Trim();
        var out1 = Path.Combine(run.Folder, "v");

        var waited = await run.RunAsync("wait", taskId, "--out", out1);
        var onlyWaited = await run.RunAsync("wait", taskId, "--no-download", "--out", Path.Combine(run.Folder, "never"));

        first.Stderr.Should().Contain($"`kling wait {taskId}` waits for it and downloads it");
        waited.ExitCode.Should().Be(0, waited.Stderr);
        waited.Stdout.Trim().Should().Be(Path.Combine(out1, taskId + ".mp4"));
        File.ReadAllBytes(waited.Stdout.Trim()).Should().Equal(KlingGenerated.Simulator.KlingSimulator.SampleVideo());
        onlyWaited.ExitCode.Should().Be(0, onlyWaited.Stderr);
        onlyWaited.Stdout.Should().Contain(taskId).And.Contain("success");
        Directory.Exists(Path.Combine(run.Folder, "never")).Should().BeFalse();
    }

    [Theory]
    [InlineData("wait")]
    [InlineData("status")]
    [InlineData("download")]
    public async Task An_id_the_service_does_not_know_is_the_same_json_kind_not_found_in_every_command(string command)
    {
        await using var run = await CliRun.StartAsync();

        var result = await run.RunAsync(command, "task_typo", "--json");

        result.ExitCode.Should().Be(3, result.Stderr);
        ((string)JObject.Parse(result.Stdout)["error"]!["kind"]!).Should().Be("not-found", result.Stdout);
    }

    [Fact]
    public async Task Wait_for_an_id_neither_the_ledger_nor_the_service_knows_fails_with_not_found_and_asks_only_a_few_times()
    {
        await using var run = await CliRun.StartAsync();

        var result = await run.RunAsync("wait", "task_typo", "--json");

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("task_typo is unknown to the ledger and to the service");
        ((string)JObject.Parse(result.Stdout)["error"]!["kind"]!).Should().Be("not-found");
        run.Simulator.RequestCount.Should().BeLessThanOrEqualTo(3, "three questions, a second apart, not the polling's whole patience");
    }

    [Theory]
    [InlineData("generate", "A kite")]
    [InlineData("batch", "BATCH")]
    [InlineData("credits")]
    [InlineData("status", "task_1")]
    [InlineData("wait", "task_1")]
    [InlineData("download", "task_1")]
    public async Task A_dead_service_fails_with_exit_3_and_nothing_sent_in_every_command(params string[] args)
    {
        var dir = KlingProcess.NewDirectory();
        var batch = Path.Combine(dir, "b.jsonl");
        await File.WriteAllTextAsync(batch, """{"prompt":"A kite"}""" + "\n");
        var port = DeadPort();

        var line = args.Select(a => a == "BATCH" ? batch : a).ToList();
        if (args[0] is "generate" or "batch" or "wait" or "download")
        {
            line.AddRange(["--out", Path.Combine(dir, "v")]);
        }

        if (args[0] != "credits")
        {
            line.AddRange(["--ledger", Path.Combine(dir, "l", "tasks.db")]);
        }

        line.AddRange(["--base-url", $"http://127.0.0.1:{port}/", "--api-key", "k"]);
        var result = await CliRun.InProcessAsync([.. line]);

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("could not reach the service");
    }

    [Fact]
    public async Task Batch_shows_the_credits_and_refuses_to_start_when_the_balance_cannot_pay_for_one_task()
    {
        await using var run = await CliRun.StartAsync(o => { o.Credits = 100; o.CreditsPerTask = 42; });
        var file = run.Write("b.jsonl", string.Concat(Enumerable.Range(1, 4).Select(i => $$"""{"prompt":"Clip {{i}}"}""" + "\n")));
        (await run.RunAsync("generate", "One", "--out", Path.Combine(run.Folder, "v"))).ExitCode.Should().Be(0);
        (await run.RunAsync("generate", "Two", "--no-wait")).ExitCode.Should().Be(0);
        LedgerTests.Rows(run.Ledger, "SELECT credits FROM submissions WHERE credits IS NOT NULL").Select(r => r["credits"]).Should().Equal(42.0);

        var result = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"));

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("4 line(s) to send; credits available: 16").And.Contain("cannot pay for one task").And.Contain("nothing was sent");
        run.Simulator.CreatedTasks.Should().HaveCount(2);
    }

    [Theory]
    [InlineData("50", 1)]
    [InlineData("100", 2)]
    [InlineData("200", 4)]
    public async Task Max_credits_sends_at_most_the_caps_worth_at_the_documents_price_even_when_the_balance_does_not_drop(string cap, int expected)
    {
        // CreditsPerTask = 0: the balance never drops, as with a service that charges later, or a top-up during the run.
        await using var run = await CliRun.StartAsync(o => { o.Credits = 10_000; o.CreditsPerTask = 0; });
        var file = run.Write("b.jsonl", string.Concat(Enumerable.Range(1, 10).Select(i => $$"""{"prompt":"Clip {{i}}"}""" + "\n")));

        var result = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--max-credits", cap, "--json");

        result.ExitCode.Should().Be(3, result.Stderr);
        run.Simulator.CreatedTasks.Should().HaveCount(expected, $"tasks of 42 credits (the document's price) that fit in {cap}");
        ((int)JObject.Parse(result.Stdout)["notSent"]!).Should().Be(10 - expected);
        result.Stderr.Should().Contain("--max-credits");
    }

    [Theory]
    [InlineData("41")]
    [InlineData("1")]
    [InlineData("0.001")]
    public async Task Max_credits_below_one_tasks_price_sends_nothing_and_says_why(string cap)
    {
        await using var run = await CliRun.StartAsync();
        var file = run.Write("b.jsonl", """{"prompt":"Clip"}""" + "\n");

        var result = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--max-credits", cap);

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("less than one task costs (42 credits)").And.Contain("nothing was sent");
        result.Stderr.Should().Contain($"--max-credits {cap} leaves {cap} credits", "the cap is printed as given, never rounded to 0");
        run.Simulator.CreatedTasks.Should().BeEmpty();
    }

    [Fact]
    public async Task Max_credits_is_read_with_a_dot_and_a_comma_is_refused_with_a_hint()
    {
        await using var run = await CliRun.StartAsync();
        var file = run.Write("b.jsonl", """{"prompt":"Clip"}""" + "\n");

        var result = await run.RunAsync("batch", file, "--max-credits", "84,5");

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain("--max-credits").And.Contain("'84,5'").And.Contain("with a dot");
        run.Simulator.CreatedTasks.Should().BeEmpty();
    }

    [Fact]
    public async Task Max_credits_caps_the_batch_across_its_runs_and_help_says_so()
    {
        await using var run = await CliRun.StartAsync(o => o.Credits = 10_000);
        var file = run.Write("b.jsonl", string.Concat(Enumerable.Range(1, 4).Select(i => $$"""{"prompt":"Clip {{i}}"}""" + "\n")));

        var first = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--max-credits", "100");
        var second = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--max-credits", "100");
        var raised = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--max-credits", "168");
        var help = await CliRun.InProcessAsync(["batch", "--help"]);

        first.ExitCode.Should().Be(3, first.Stderr);
        first.Stderr.Should().Contain("caps the batch across its runs");
        second.ExitCode.Should().Be(3, second.Stderr);
        second.Stderr.Should().Contain("84 spent by earlier runs").And.Contain("nothing was sent");
        raised.ExitCode.Should().Be(0, raised.Stderr);
        run.Simulator.CreatedTasks.Should().HaveCount(4, "2 tasks of 42 fit in 100; the same cap again sends nothing; 168 pays for the other 2");
        help.Stdout.Should().Contain("across all its runs");
    }

    [Fact]
    public async Task A_bad_ledger_row_is_flagged_and_skipped_and_tasks_lists_the_others()
    {
        await using var run = await CliRun.StartAsync();
        (await run.RunAsync("generate", "Good one", "--no-wait")).ExitCode.Should().Be(0);
        (await run.RunAsync("generate", "Broken one", "--no-wait")).ExitCode.Should().Be(0);
        using (var connection = new SqliteConnection($"Data Source={run.Ledger};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE submissions SET queued_at = 'not a time' WHERE request LIKE '%Broken one%';";
            command.ExecuteNonQuery().Should().Be(1);
        }

        var listed = await CliRun.InProcessAsync(["tasks", "--ledger", run.Ledger]);

        listed.ExitCode.Should().Be(0, listed.Stderr);
        listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2, "the header and the readable task");
        listed.Stderr.Should().Contain("ledger-error").And.Contain("skipped").And.NotContain("service-error");
    }

    [Fact]
    public async Task A_key_file_is_read_with_a_cap_that_holds_for_a_device()
    {
        var result = await CliRun.InProcessAsync(["credits", "--api-key-file", "/dev/zero", "--base-url", "http://127.0.0.1:9/"]);

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain("more than 4096 bytes");
    }

    [Fact]
    public async Task The_built_in_simulator_takes_a_private_random_key_on_loopback()
    {
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "l", "tasks.db");
        var environment = new Dictionary<string, string> { ["KLING_LEDGER"] = ledger };

        var result = await KlingInProcess.RunAsync(dir, environment, "generate", "A kite", "--no-wait");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().Contain("http://127.0.0.1:");
        var keyFile = Path.Combine(dir, "l", "simulator.key");
        var key = File.ReadAllText(keyFile);
        key.Should().NotBe("simulator-key").And.HaveLength(48);
        File.GetUnixFileMode(keyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (result.Stdout + result.Stderr).Should().NotContain(key);
    }

    [Fact]
    public async Task No_output_of_any_command_or_failure_contains_the_key()
    {
        await using var run = await CliRun.StartAsync();
        var file = run.Write("b.jsonl", """{"prompt":"A kite"}""" + "\n" + """{"prompt":"x","aspectRatio":"9:16"}""" + "\n");
        var generated = await run.RunAsync("generate", "A kite", "--no-wait");
        var taskId = generated.Stdout.Trim();
        var outputs = new List<(int, string, string)>
        {
            generated,
            await run.RunAsync("status", taskId),
            await run.RunAsync("wait", taskId, "--out", Path.Combine(run.Folder, "v"), "--json"),
            await run.RunAsync("download", taskId, "--out", Path.Combine(run.Folder, "v2")),
            await run.RunAsync("credits", "--json"),
            await CliRun.InProcessAsync(["tasks", "--json", "--ledger", run.Ledger]),
            await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v")),
            await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--skip-invalid", "--verbose"),
            await run.RunAsync("status", "task_missing", "--verbose", "--json"),
            await run.RunAsync("generate", "x", "--cfg-scale", "7", "--verbose"),
            await CliRun.InProcessAsync(["credits", "--api-key", CliRun.Key, "--base-url", $"http://127.0.0.1:{DeadPort()}/", "--verbose", "--json"]),
            await CliRun.InProcessAsync(["genrate", "--api-key", CliRun.Key]),
            await CliRun.InProcessAsync(["generate", "--apikey", CliRun.Key, "a boat", "--no-wait"]),
            await CliRun.InProcessAsync(["generate", $"--apikey={CliRun.Key}", "a boat", "--no-wait"]),
            await CliRun.InProcessAsync(["generate", "a boat", "--no-wait", "--", "--apikey", CliRun.Key]),
            await CliRun.InProcessAsync(["credits", "--base-url", $"ftp://user:{CliRun.Key}@127.0.0.1/", "--json"]),
            await CliRun.InProcessAsync(["credits", "--api-key", "k", "--base-url", $"http://user:{CliRun.Key}@127.0.0.1:{DeadPort()}/", "--json"]),
        };

        outputs.Should().OnlyContain(o => !o.Item2.Contains(CliRun.Key, StringComparison.Ordinal) && !o.Item3.Contains(CliRun.Key, StringComparison.Ordinal));
    }

    private static int DeadPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed when this returns: nothing listens there
    }
}
