using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>`kling tasks` lists what it can read: a damaged row is skipped with a warning, in --json as in text.</summary>
public sealed class TasksListingTests
{
    [Fact]
    public async Task Tasks_json_skips_a_row_whose_request_is_not_json_with_a_ledger_error_warning_and_lists_the_others()
    {
        await using var run = await CliRun.StartAsync();
        var first = (await run.RunAsync("generate", "A kite", "--no-wait")).Stdout.Trim();
        var second = (await run.RunAsync("generate", "A boat", "--no-wait")).Stdout.Trim();
        using (var connection = new SqliteConnection($"Data Source={run.Ledger};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE submissions SET request = '[1' WHERE task_id = $id";
            update.Parameters.AddWithValue("$id", first);
            update.ExecuteNonQuery().Should().Be(1);
        }

        var result = await CliRun.InProcessAsync(["tasks", "--json", "--ledger", run.Ledger]);

        result.ExitCode.Should().Be(0, result.Stderr);
        var listed = JArray.Parse(result.Stdout);
        listed.Select(t => (string?)t["taskId"]).Should().Equal(second);
        listed[0]["request"]!["input"]!["prompt"]!.ToString().Should().Be("A boat");
        result.Stderr.Should().Contain("warning (ledger-error): row #").And.Contain("not JSON").And.Contain("skipped");
    }

    [Fact]
    public async Task Tasks_since_takes_a_duration_or_a_date_read_the_same_in_any_culture()
    {
        await using var run = await CliRun.StartAsync();
        var old = (await run.RunAsync("generate", "An old kite", "--no-wait")).Stdout.Trim();
        var recent = (await run.RunAsync("generate", "A new boat", "--no-wait")).Stdout.Trim();
        Age(run, old, TimeSpan.FromDays(3));
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE"); // a comma for decimals, day.month dates
        try
        {
            foreach (var since in new[] { "1.5d", "36h", DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) })
            {
                var result = await CliRun.InProcessAsync(["tasks", "--since", since, "--json", "--ledger", run.Ledger]);

                result.ExitCode.Should().Be(0, result.Stderr);
                JArray.Parse(result.Stdout).Select(t => (string?)t["taskId"]).Should().Equal([recent], $"--since {since}");
            }

            var refused = await CliRun.InProcessAsync(["tasks", "--since", "1,5d", "--ledger", run.Ledger]);
            refused.ExitCode.Should().Be(2);
            refused.Stderr.Should().Contain("--since must be a duration back from now");
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public async Task Tasks_since_and_prune_older_than_count_back_from_the_runs_one_clock()
    {
        await using var run = await CliRun.StartAsync();
        var task = (await run.RunAsync("generate", "A kite", "--no-wait")).Stdout.Trim();
        var threeDaysLater = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(3));

        var lastTwoDays = await CliRun.InProcessAsync(["tasks", "--since", "2d", "--json", "--ledger", run.Ledger], clock: threeDaysLater);
        var lastFourDays = await CliRun.InProcessAsync(["tasks", "--since", "96h", "--json", "--ledger", run.Ledger], clock: threeDaysLater);
        var prunable = await CliRun.InProcessAsync(["tasks", "prune", "--older-than", "2d", "--dry-run", "--force", "--json", "--ledger", run.Ledger], clock: threeDaysLater);
        var notYet = await CliRun.InProcessAsync(["tasks", "prune", "--older-than", "2d", "--dry-run", "--force", "--json", "--ledger", run.Ledger]);

        lastTwoDays.ExitCode.Should().Be(0, lastTwoDays.Stderr);
        JArray.Parse(lastTwoDays.Stdout).Should().BeEmpty("three days on the clock, the task is older than 2 days");
        JArray.Parse(lastFourDays.Stdout).Select(t => (string?)t["taskId"]).Should().Equal([task], "it is younger than 96 hours");
        JObject.Parse(prunable.Stdout)["removed"]!.Select(t => (string?)t["taskId"]).Should().Equal([task], prunable.Stderr);
        JObject.Parse(notYet.Stdout)["removed"]!.Should().BeEmpty("on the real clock the task is seconds old");
    }

    [Fact]
    public void A_duration_since_is_taken_back_from_the_clock_given_and_a_date_is_read_as_utc()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 20, 0, 0, TimeSpan.Zero));

        KlingGenerated.Cli.Ledger.TaskCommands.ParseSince("30m", clock).Should().Be(new DateTimeOffset(2026, 12, 7, 19, 30, 0, TimeSpan.Zero));
        KlingGenerated.Cli.Ledger.TaskCommands.ParseSince("1.5d", clock).Should().Be(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
        clock.Advance(TimeSpan.FromHours(1));
        KlingGenerated.Cli.Ledger.TaskCommands.ParseSince("30m", clock).Should().Be(new DateTimeOffset(2026, 12, 7, 20, 30, 0, TimeSpan.Zero));
        KlingGenerated.Cli.Ledger.TaskCommands.ParseSince("2026-11-25", clock).Should().Be(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));
        KlingGenerated.Cli.Ledger.TaskCommands.ParseSince(" ", clock).Should().BeNull();
    }

    [Fact]
    public async Task Tasks_prune_removes_old_rows_nothing_depends_on_keeps_paid_tasks_without_a_downloaded_result_unless_forced_and_says_what_it_removed()
    {
        await using var run = await CliRun.StartAsync();
        var output = Path.Combine(run.Folder, "v");
        var downloaded = (await run.RunAsync("generate", "A downloaded kite", "--out", output, "--json")).Stdout;
        var downloadedId = (string)JObject.Parse(downloaded)["taskId"]!;
        var running = (await run.RunAsync("generate", "A kite still running", "--no-wait")).Stdout.Trim();
        var maybe = (await run.RunAsync("generate", "A kite that may exist", "--no-wait")).Stdout.Trim();
        (await run.RunAsync("generate", "A recent kite", "--out", output)).ExitCode.Should().Be(0);
        foreach (var id in new[] { downloadedId, running, maybe })
        {
            Age(run, id, TimeSpan.FromDays(40));
        }

        Execute(run, "UPDATE submissions SET outcome = 'uncertain', task_id = NULL WHERE task_id = $id", maybe);

        var pruned = await CliRun.InProcessAsync(["tasks", "prune", "--older-than", "30d", "--ledger", run.Ledger]);

        pruned.ExitCode.Should().Be(0, pruned.Stderr);
        pruned.Stdout.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("removed").And.Contain(downloadedId).And.Contain("success");
        pruned.Stderr.Should().Contain("Removed 1 row(s)").And.Contain("Kept 2").And.Contain("may exist and be charged").And.Contain("--force");
        var left = JArray.Parse((await CliRun.InProcessAsync(["tasks", "--json", "--ledger", run.Ledger])).Stdout);
        left.Select(t => (string?)t["taskId"]).Should().NotContain(downloadedId).And.Contain(running).And.HaveCount(3);
        File.Exists(Path.Combine(output, downloadedId + ".mp4")).Should().BeTrue("pruning forgets rows, never videos");

        var forced = await CliRun.InProcessAsync(["tasks", "prune", "--older-than", "30d", "--force", "--ledger", run.Ledger]);

        forced.ExitCode.Should().Be(0, forced.Stderr);
        forced.Stderr.Should().Contain("Removed 2 row(s)");
        JArray.Parse((await CliRun.InProcessAsync(["tasks", "--json", "--ledger", run.Ledger])).Stdout).Should().ContainSingle("only the recent task is left");
    }

    private static void Age(CliRun run, string taskId, TimeSpan age) =>
        Execute(run, $"UPDATE submissions SET queued_at = '{DateTimeOffset.UtcNow.Subtract(age).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}' WHERE task_id = $id", taskId);

    private static void Execute(CliRun run, string sql, string taskId)
    {
        using var connection = new SqliteConnection($"Data Source={run.Ledger};Pooling=False");
        connection.Open();
        using var update = connection.CreateCommand();
        update.CommandText = sql;
        update.Parameters.AddWithValue("$id", taskId);
        update.ExecuteNonQuery().Should().Be(1);
    }
}
