using Microsoft.Data.Sqlite;
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
}
