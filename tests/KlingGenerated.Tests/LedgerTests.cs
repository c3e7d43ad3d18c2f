using System.Text;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

/// <summary>Issue 11: the CLI's task ledger, through the `kling` process against a real simulator and a real SQLite file.</summary>
public sealed class LedgerTests
{
    private const string Key = "ledger-test-key";

    [Fact]
    public async Task every_createTask_is_recorded_before_sending_and_after_the_answer_without_the_API_key()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "my.db");

        var result = await KlingInProcess.RunAsync(dir, "generate", "A kite over dunes", "--no-wait", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());

        result.ExitCode.Should().Be(0, result.Stderr);
        var taskId = result.Stdout.Trim();
        simulator.CreatedTasks.Should().ContainSingle().Which.Key.Should().Be(taskId);
        var row = Rows(ledger, "SELECT endpoint, request, queued_at, sent_at, answered_at, outcome, task_id FROM submissions").Should().ContainSingle().Subject;
        row["endpoint"].Should().Be(simulator.BaseUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped));
        JToken.DeepEquals(JObject.Parse((string)row["request"]!), JObject.Parse(simulator.CreatedTasks[taskId])).Should().BeTrue("the ledger keeps the request that was sent");
        row["queued_at"].Should().NotBeNull();
        string.CompareOrdinal((string)row["queued_at"]!, (string)row["sent_at"]!).Should().BeLessThanOrEqualTo(0);
        string.CompareOrdinal((string)row["sent_at"]!, (string)row["answered_at"]!).Should().BeLessThanOrEqualTo(0);
        row["outcome"].Should().Be("created");
        row["task_id"].Should().Be(taskId);
        Rows(ledger, "SELECT kind FROM events ORDER BY id").Select(r => r["kind"]).Should().Equal("sending", "created");
        Rows(ledger, "PRAGMA journal_mode").Single()["journal_mode"].Should().Be("wal");
        AllBytes(ledger).Should().NotContain(Key, "the ledger never stores the API key");
    }

    [Fact]
    public async Task a_createTask_that_may_have_created_a_task_is_recorded_as_uncertain_never_dropped()
    {
        await using var simulator = await StartSimulatorAsync(fault: "server-error-after-create");
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "tasks.db");

        var result = await KlingInProcess.RunAsync(dir, "generate", "A glass of water on a train", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());
        var listed = await KlingInProcess.RunAsync(dir, "tasks", "--state", "uncertain", "--json", "--ledger", ledger);

        result.ExitCode.Should().Be(3, result.Stderr);
        simulator.CreatedTasks.Should().ContainSingle("the simulator created the task before answering 500");
        var row = Rows(ledger, "SELECT outcome, sent_at, message, task_id FROM submissions").Should().ContainSingle().Subject;
        row["outcome"].Should().Be("uncertain");
        row["sent_at"].Should().NotBeNull();
        row["task_id"].Should().BeNull("the answer carried no task id");
        listed.ExitCode.Should().Be(0, listed.Stderr);
        var entry = JArray.Parse(listed.Stdout).Should().ContainSingle().Subject;
        ((string)entry["state"]!).Should().Be("uncertain");
        ((string)entry["request"]!["input"]!["prompt"]!).Should().Be("A glass of water on a train");
    }

    [Fact]
    public async Task an_invalid_request_is_recorded_as_not_sent_and_nothing_reaches_the_service()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "tasks.db");

        var result = await KlingInProcess.RunAsync(dir, "generate", "x", "--cfg-scale", "0.55", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());

        result.ExitCode.Should().Be(2, result.Stderr);
        simulator.RequestCount.Should().Be(0);
        var row = Rows(ledger, "SELECT outcome, sent_at, message FROM submissions").Should().ContainSingle().Subject;
        row["outcome"].Should().Be("not-sent");
        row["sent_at"].Should().BeNull();
        ((string)row["message"]!).Should().StartWith("not sent:").And.Contain("cfg_scale");
    }

    [Fact]
    public async Task status_and_wait_follow_the_task_in_the_ledger_and_download_saves_it_again()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        string[] common = ["--ledger", Path.Combine(dir, "tasks.db"), "--api-key", Key, "--base-url", simulator.BaseUrl.ToString()];

        var created = await KlingInProcess.RunAsync(dir, ["generate", "A fox in snow", "--no-wait", .. common]);
        var taskId = created.Stdout.Trim();
        var status = await KlingInProcess.RunAsync(dir, ["status", taskId, .. common]);
        var waited = await KlingInProcess.RunAsync(dir, ["wait", taskId, "--no-download", .. common]);
        var first = await KlingInProcess.RunAsync(dir, ["download", taskId, "--out", "v", .. common]);
        var again = await KlingInProcess.RunAsync(dir, ["download", taskId, "--out", "v", .. common]);
        var listed = await KlingInProcess.RunAsync(dir, ["tasks", "--state", "success", "--json", .. common]);

        created.ExitCode.Should().Be(0, created.Stderr);
        status.ExitCode.Should().Be(0, status.Stderr);
        waited.ExitCode.Should().Be(0, waited.Stderr);
        waited.Stderr.Should().Contain($"{taskId}: success", "wait shows the same progress lines as generate");
        waited.Stdout.Should().StartWith($"{taskId}: success http");
        first.ExitCode.Should().Be(0, first.Stderr);
        again.ExitCode.Should().Be(0, again.Stderr);
        var path = Path.Combine(dir, "v", taskId + ".mp4");
        first.Stdout.Trim().Should().Be(path);
        (await File.ReadAllBytesAsync(path)).Should().Equal(KlingSimulator.SampleVideo());
        var entry = JArray.Parse(listed.Stdout).Should().ContainSingle().Subject;
        ((string)entry["file"]!).Should().Be(path);
        ((JArray)entry["resultUrls"]!).Should().ContainSingle();
        Rows(Path.Combine(dir, "tasks.db"), "SELECT kind, detail FROM events WHERE kind = 'state'").Select(r => r["detail"]).Should().EndWith("success");
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

    [Fact]
    public async Task a_hostile_record_of_another_task_is_refused_not_filed_and_printed_safely()
    {
        const string Echoed = "../../evil\u001b[2J";
        await using var host = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/recordInfo", HostileServer.Answer(200, new JObject
            {
                ["code"] = 200, ["msg"] = "success",
                ["data"] = new JObject { ["taskId"] = Echoed, ["model"] = "kling/v2-5-turbo-text-to-video-pro", ["state"] = "success", ["param"] = "{}", ["resultJson"] = "not json", ["failCode"] = "", ["failMsg"] = "" },
            }.ToString(Newtonsoft.Json.Formatting.None)))));
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "tasks.db");

        var status = await KlingInProcess.RunAsync(dir, "status", "task_asked_1", "--ledger", ledger, "--api-key", Key, "--base-url", host.Url("/").ToString());
        var listed = await KlingInProcess.RunAsync(dir, "tasks", "--ledger", ledger);

        host.Requests.Should().ContainSingle().Which.Query.Should().Contain("taskId=task_asked_1");
        status.ExitCode.Should().Be(3, "the record of another task is a service error, not this task's state");
        status.Stderr.Should().Contain("another task").And.NotContain("\u001b");
        Rows(ledger, "SELECT task_id, state FROM submissions").Should().NotContain(r => (string?)r["state"] == "success", "another task's record never marks this one done");
        listed.ExitCode.Should().Be(0, listed.Stderr);
        listed.Stdout.Should().NotContain("\u001b");
    }

    [Fact]
    public async Task tasks_filters_by_state_and_time_and_refuses_an_unreadable_since()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        string[] common = ["--ledger", Path.Combine(dir, "tasks.db"), "--api-key", Key, "--base-url", simulator.BaseUrl.ToString()];
        var done = await KlingInProcess.RunAsync(dir, ["generate", "Finished clip", "--out", "v", .. common]);
        var pending = await KlingInProcess.RunAsync(dir, ["generate", "Pending clip", "--no-wait", .. common]);

        var successes = await KlingInProcess.RunAsync(dir, ["tasks", "--state", "success", "--json", .. common]);
        var recent = await KlingInProcess.RunAsync(dir, ["tasks", "--since", "1h", "--json", .. common]);
        var future = await KlingInProcess.RunAsync(dir, ["tasks", "--since", "2999-01-01", "--json", .. common]);
        var bad = await KlingInProcess.RunAsync(dir, ["tasks", "--since", "yesterday", .. common]);

        done.ExitCode.Should().Be(0, done.Stderr);
        JArray.Parse(successes.Stdout).Select(e => (string)e["request"]!["input"]!["prompt"]!).Should().Equal("Finished clip");
        JArray.Parse(recent.Stdout).Select(e => (string)e["taskId"]!).Should().BeEquivalentTo([done.Stdout.Trim() is var p ? Path.GetFileNameWithoutExtension(p) : null, pending.Stdout.Trim()]);
        JArray.Parse(future.Stdout).Should().BeEmpty();
        bad.ExitCode.Should().Be(2);
        bad.Stderr.Should().Contain("--since").And.Contain("yesterday");
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

    [Fact]
    public async Task Wait_status_and_download_of_a_task_created_elsewhere_name_its_endpoint_instead_of_asking_the_wrong_one()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "tasks.db");
        var created = await KlingInProcess.RunAsync(dir, "generate", "A boat made elsewhere", "--no-wait", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());
        created.ExitCode.Should().Be(0, created.Stderr);
        var id = created.Stdout.Trim();
        created.Stderr.Should().Contain("not waiting (--no-wait)").And.Contain($"kling wait {id}");
        var requestsBefore = simulator.RequestCount;

        foreach (var command in new[] { "wait", "status", "download" })
        {
            // No key and no URL: the built-in simulator would answer "not found" for this paid task.
            var elsewhere = await KlingInProcess.RunAsync(dir, command, id, "--ledger", ledger);

            elsewhere.ExitCode.Should().Be(2, elsewhere.Stderr);
            elsewhere.Stderr.Should().Contain($"was created on {simulator.BaseUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)}").And.Contain("--base-url");
        }

        simulator.RequestCount.Should().Be(requestsBefore, "the task's own service was not asked either");
        simulator.CreatedTasks.Should().ContainKey(id).And.HaveCount(1);
    }

    [Fact]
    public async Task Generate_json_says_whether_a_failed_createTask_may_have_created_a_paid_task()
    {
        await using var failing = await StartSimulatorAsync(fault: "server-error-after-create");
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var closedUrl = $"http://127.0.0.1:{((System.Net.IPEndPoint)closed.LocalEndpoint).Port}/";
        closed.Stop(); // nothing listens there now: the connection is refused, nothing is sent
        var dir = KlingProcess.NewDirectory();
        var ledger = Path.Combine(dir, "tasks.db");

        var maybe = await KlingInProcess.RunAsync(dir, "generate", "A boat that may exist", "--json", "--ledger", ledger, "--api-key", Key, "--base-url", failing.BaseUrl.ToString());
        var surelyNot = await KlingInProcess.RunAsync(dir, "generate", "A boat never sent", "--json", "--ledger", ledger, "--api-key", Key, "--base-url", closedUrl);

        failing.CreatedTasks.Should().ContainSingle("the simulator created the task, then answered 500");
        maybe.ExitCode.Should().Be(3, maybe.Stderr);
        ((bool?)JObject.Parse(maybe.Stdout)["error"]!["taskMayExist"]).Should().BeTrue();
        surelyNot.ExitCode.Should().Be(3, surelyNot.Stderr);
        ((bool?)JObject.Parse(surelyNot.Stdout)["error"]!["taskMayExist"]).Should().BeFalse();
        Rows(ledger, "SELECT outcome FROM submissions ORDER BY id").Select(r => (string?)r["outcome"]).Should().Equal("uncertain", "not-sent");
    }
}
