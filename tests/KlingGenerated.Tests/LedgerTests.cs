using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>
/// What only the SQLite ledger does (its file, its journal mode, many processes on one file), and the helpers the other
/// tests use. The ledger's behaviour on every kind of ledger is in Ledger/LedgerSuite.cs.
/// </summary>
public sealed class LedgerTests
{
    private const string Key = "ledger-test-key";

    [Fact]
    public async Task The_SQLite_ledger_is_a_write_ahead_logged_file_whose_bytes_never_hold_the_API_key()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "my.db");

        var result = await KlingInProcess.RunAsync(dir, "generate", "A kite over dunes", "--no-wait", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());

        // What is recorded, and when, is the ledger suite's (Ledger/LedgerSuite.cs, run on SQLite too); here: the file itself.
        result.ExitCode.Should().Be(0, result.Stderr);
        Rows(ledger, "SELECT outcome FROM submissions").Should().ContainSingle().Which["outcome"].Should().Be("created");
        Rows(ledger, "PRAGMA journal_mode").Single()["journal_mode"].Should().Be("wal");
        AllBytes(ledger).Should().NotContain(Key, "the ledger never stores the API key");
    }


    [Fact]
    public async Task offline_generate_no_wait_then_status_wait_and_download_work_with_the_built_in_simulator()
    {
        var dir = KlingProcess.NewDirectory();

        var created = await KlingInProcess.RunAsync(dir, "generate", "An offline origami crane", "--no-wait");
        var taskId = created.Stdout.Trim();
        var status = await KlingInProcess.RunAsync(dir, "status", taskId);
        var waited = await KlingInProcess.RunAsync(dir, "wait", taskId, "--no-download");
        var downloaded = await KlingInProcess.RunAsync(dir, "download", taskId, "--out", "v");

        created.ExitCode.Should().Be(0, created.Stderr);
        created.Stderr.Should().Contain("built-in simulator");
        status.ExitCode.Should().Be(0, status.Stderr);
        status.Stdout.Should().StartWith(taskId + ": ");
        waited.ExitCode.Should().Be(0, waited.Stderr);
        waited.Stdout.Should().StartWith($"{taskId}: success");
        downloaded.ExitCode.Should().Be(0, downloaded.Stderr);
        (await File.ReadAllBytesAsync(downloaded.Stdout.Trim())).Should().Equal(KlingSimulator.SampleVideo());
        File.Exists(Path.Combine(Path.GetDirectoryName(KlingProcess.LedgerFor(dir))!, "simulator-state.json")).Should().BeTrue("the built-in simulator keeps its tasks beside the ledger");
        Rows(KlingProcess.LedgerFor(dir), "SELECT endpoint, state, file FROM submissions").Should().ContainSingle()
            .Which.Should().Contain(new Dictionary<string, object?> { ["endpoint"] = "simulator", ["state"] = "success", ["file"] = downloaded.Stdout.Trim() });
    }

    [Fact]
    public async Task status_on_the_built_in_simulator_says_the_url_dies_with_the_command_and_prints_a_download_command_that_works()
    {
        var dir = KlingProcess.NewDirectory();
        var taskId = (await KlingInProcess.RunAsync(dir, "generate", "An offline origami crane", "--no-wait")).Stdout.Trim();
        (await KlingInProcess.RunAsync(dir, "wait", taskId, "--no-download")).ExitCode.Should().Be(0);

        var status = await KlingInProcess.RunAsync(dir, "status", taskId);
        var json = await KlingInProcess.RunAsync(dir, "status", taskId, "--json");

        status.ExitCode.Should().Be(0, status.Stderr);
        status.Stdout.Should().Contain("stops working when this command exits").And.NotContain("http://", "a URL that is dead once printed is not printed");
        var command = status.Stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("kling ", StringComparison.Ordinal));
        command.Should().Be($"kling download {taskId}");
        var record = JObject.Parse(json.Stdout);
        ((string)record["download"]!).Should().Be(command);
        ((string)record["resultUrlsValid"]!).Should().Contain("until this command exits");
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            await FluentActions.Awaiting(() => http.GetAsync((string)record["resultUrls"]![0]!)).Should().ThrowAsync<HttpRequestException>("the URL died with the command, as it says");
        }

        var words = await ShellWords.SplitAsync(command);
        var downloaded = await KlingInProcess.RunAsync(dir, [.. words[1..], "--out", "v"]);
        downloaded.ExitCode.Should().Be(0, downloaded.Stderr);
        (await File.ReadAllBytesAsync(downloaded.Stdout.Trim())).Should().Equal(KlingSimulator.SampleVideo());
    }

    [Fact]
    public async Task status_takes_several_ids_and_tasks_limit_keeps_the_newest()
    {
        var dir = KlingProcess.NewDirectory();
        var ids = new List<string>();
        foreach (var prompt in new[] { "First crane", "Second crane", "Third crane" })
        {
            ids.Add((await KlingInProcess.RunAsync(dir, "generate", prompt, "--no-wait")).Stdout.Trim());
        }

        var text = await KlingInProcess.RunAsync(dir, ["status", .. ids]);
        var json = await KlingInProcess.RunAsync(dir, ["status", .. ids, "--json"]);
        var one = await KlingInProcess.RunAsync(dir, "status", ids[0], "--json");
        var limited = await KlingInProcess.RunAsync(dir, "tasks", "--limit", "2", "--json");
        var zero = await KlingInProcess.RunAsync(dir, "tasks", "--limit", "0");

        text.ExitCode.Should().Be(0, text.Stderr);
        text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("task_", StringComparison.Ordinal))
            .Select(l => l.Split(':')[0]).Should().Equal(ids, "one line per id, in the order given");
        JArray.Parse(json.Stdout).Select(r => (string)r["taskId"]!).Should().Equal(ids, "several ids: an array of records");
        ((string)JObject.Parse(one.Stdout)["taskId"]!).Should().Be(ids[0], "one id: the record itself, as before");
        JArray.Parse(limited.Stdout).Select(r => (string)r["taskId"]!).Should().Equal(ids[2], ids[1]);
        zero.ExitCode.Should().Be(2, "a limit below 1 is invalid input");
    }

    [Fact]
    public async Task download_says_clearly_when_the_result_URL_has_expired()
    {
        Uri? fileUrl = null;
        await using var host = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/recordInfo", exchange => HostileServer.Answer(200, RecordWith(fileUrl!))(exchange)),
            ("/files/task_old_1.mp4", HostileServer.Answer(404, "gone"))));
        fileUrl = host.Url("/files/task_old_1.mp4");
        var dir = KlingProcess.NewDirectory();

        var result = await KlingInProcess.RunAsync(dir, "download", "task_old_1", "--out", "v", "--api-key", Key, "--base-url", host.Url("/").ToString());

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("can no longer be downloaded").And.Contain("expired").And.Contain("HTTP 404");
        Directory.Exists(Path.Combine(dir, "v")).Should().BeTrue();
        Directory.EnumerateFileSystemEntries(Path.Combine(dir, "v")).Should().BeEmpty("a failed download leaves no file");
        host.Requests.Should().Contain(r => r.Path == "/files/task_old_1.mp4");
    }

    [Trait("Category", "Slow")] // a real process
    [Fact]
    public async Task concurrent_kling_processes_share_one_ledger_without_losing_a_row()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "shared.db");

        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            KlingProcess.RunAsync(dir, "generate", $"Concurrent clip {i}", "--no-wait", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString())));

        runs.Should().OnlyContain(r => r.ExitCode == 0);
        var ids = runs.Select(r => r.Stdout.Trim()).ToList();
        Rows(ledger, "SELECT task_id FROM submissions WHERE outcome = 'created'").Select(r => (string)r["task_id"]!).Should().BeEquivalentTo(ids);
        simulator.CreatedTasks.Keys.Should().BeEquivalentTo(ids);
        Rows(ledger, "PRAGMA integrity_check").Single()["integrity_check"].Should().Be("ok");
    }



    internal static Task<KlingSimulator> StartSimulatorAsync(string? fault = null, int rateLimit = 1000, TimeSpan? window = null) => KlingSimulator.StartAsync(new KlingSimulatorOptions
    {
        AcceptedApiKey = Key,
        WaitingFor = TimeSpan.FromMilliseconds(100),
        QueuingFor = TimeSpan.FromMilliseconds(100),
        GeneratingFor = TimeSpan.FromMilliseconds(300),
        Fault = fault,
        RateLimit = rateLimit,
        RateLimitWindow = window ?? TimeSpan.FromSeconds(10),
    });

    internal static string ApiKey => Key;

    private static string RecordWith(Uri url) => new JObject
    {
        ["code"] = 200,
        ["msg"] = "success",
        ["data"] = new JObject
        {
            ["taskId"] = "task_old_1", ["model"] = "kling/v2-5-turbo-text-to-video-pro", ["state"] = "success", ["param"] = "{}",
            ["resultJson"] = new JObject { ["resultUrls"] = new JArray(url.ToString()) }.ToString(Newtonsoft.Json.Formatting.None),
            ["failCode"] = "", ["failMsg"] = "", ["costTime"] = 1, ["completeTime"] = 1, ["createTime"] = 1,
        },
    }.ToString(Newtonsoft.Json.Formatting.None);

    /// <summary>Rows of a query on the ledger file, read with SQLite itself (not the CLI's code).</summary>
    internal static List<Dictionary<string, object?>> Rows(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i)));
        }

        return rows;
    }

    private static string AllBytes(string ledger) =>
        string.Concat(new[] { ledger, ledger + "-wal", ledger + "-shm" }.Where(File.Exists).Select(p => Encoding.Latin1.GetString(File.ReadAllBytes(p))));


}
