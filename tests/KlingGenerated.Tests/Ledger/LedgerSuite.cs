using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Ledger;

/// <summary>
/// The task ledger's behaviour through the `kling` commands, against a real simulator, run once per kind of ledger
/// (a SQLite file, a PostgreSQL database): the same journal, the same reads, whatever stores them.
/// </summary>
public abstract class LedgerSuite
{
    private const string Key = "ledger-test-key";

    /// <summary>A new empty ledger for one test, as --ledger takes it.</summary>
    protected abstract Task<string> NewLedgerAsync(string directory);

    /// <summary>Rows of a query on the ledger, read with the database's own driver (not the CLI's code); times as ISO 8601 text.</summary>
    protected abstract List<Dictionary<string, object?>> Rows(string ledger, string sql);

    /// <summary>Everything the ledger stores, as text.</summary>
    protected string AllText(string ledger) =>
        string.Join('\n', Rows(ledger, "SELECT * FROM submissions").Concat(Rows(ledger, "SELECT * FROM events")).SelectMany(r => r.Values).Select(v => v?.ToString()));

    [Fact]
    public async Task Every_createTask_is_recorded_before_sending_and_after_the_answer_without_the_API_key()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);

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
        AllText(ledger).Should().NotContain(Key, "the ledger never stores the API key");
    }

    [Fact]
    public async Task A_createTask_that_may_have_created_a_task_is_recorded_as_uncertain_never_dropped()
    {
        await using var simulator = await StartSimulatorAsync(fault: "server-error-after-create");
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);

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
    public async Task An_invalid_request_is_recorded_as_not_sent_and_nothing_reaches_the_service()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);

        var result = await KlingInProcess.RunAsync(dir, "generate", "x", "--cfg-scale", "0.55", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString());

        result.ExitCode.Should().Be(2, result.Stderr);
        simulator.RequestCount.Should().Be(0);
        var row = Rows(ledger, "SELECT outcome, sent_at, message FROM submissions").Should().ContainSingle().Subject;
        row["outcome"].Should().Be("not-sent");
        row["sent_at"].Should().BeNull();
        ((string)row["message"]!).Should().StartWith("not sent:").And.Contain("cfg_scale");
    }

    [Fact]
    public async Task Status_and_wait_follow_the_task_in_the_ledger_and_download_saves_it_again()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);
        string[] common = ["--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString()];

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
        Rows(ledger, "SELECT kind, detail FROM events WHERE kind = 'state' ORDER BY id").Select(r => r["detail"]).Should().EndWith("success");
    }

    [Fact]
    public async Task A_hostile_record_of_another_task_is_refused_not_filed_and_printed_safely()
    {
        const string Echoed = "../../evil\u001b[2J";
        await using var host = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/recordInfo", HostileServer.Answer(200, new JObject
            {
                ["code"] = 200, ["msg"] = "success",
                ["data"] = new JObject { ["taskId"] = Echoed, ["model"] = "kling/v2-5-turbo-text-to-video-pro", ["state"] = "success", ["param"] = "{}", ["resultJson"] = "not json", ["failCode"] = "", ["failMsg"] = "" },
            }.ToString(Newtonsoft.Json.Formatting.None)))));
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);

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
    public async Task Tasks_filters_by_state_and_time_and_refuses_an_unreadable_since()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        string[] common = ["--ledger", await NewLedgerAsync(dir), "--api-key", Key, "--base-url", simulator.BaseUrl.ToString()];
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

    [Fact]
    public async Task Wait_status_and_download_of_a_task_created_elsewhere_name_its_endpoint_instead_of_asking_the_wrong_one()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);
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
        var ledger = await NewLedgerAsync(dir);

        var maybe = await KlingInProcess.RunAsync(dir, "generate", "A boat that may exist", "--json", "--ledger", ledger, "--api-key", Key, "--base-url", failing.BaseUrl.ToString());
        var surelyNot = await KlingInProcess.RunAsync(dir, "generate", "A boat never sent", "--json", "--ledger", ledger, "--api-key", Key, "--base-url", closedUrl);

        maybe.ExitCode.Should().Be(3, maybe.Stderr);
        ((bool?)JObject.Parse(maybe.Stdout)["error"]!["taskMayExist"]).Should().BeTrue();
        surelyNot.ExitCode.Should().Be(3, surelyNot.Stderr);
        ((bool?)JObject.Parse(surelyNot.Stdout)["error"]!["taskMayExist"]).Should().BeFalse();
        Rows(ledger, "SELECT outcome FROM submissions ORDER BY id").Select(r => (string?)r["outcome"]).Should().Equal("uncertain", "not-sent");
    }

    [Fact]
    public async Task A_batch_run_again_skips_the_lines_it_finished_and_records_each_line_once()
    {
        await using var simulator = await StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);
        await File.WriteAllLinesAsync(Path.Combine(dir, "b.jsonl"), ["{\"prompt\":\"line one\"}", "{\"prompt\":\"line two\"}", "{\"id\":\"three\",\"prompt\":\"line three\"}"]);
        string[] run = ["batch", "b.jsonl", "--out", "v", "--ledger", ledger, "--api-key", Key, "--base-url", simulator.BaseUrl.ToString()];

        var first = await KlingInProcess.RunAsync(dir, run);
        var again = await KlingInProcess.RunAsync(dir, run);

        first.ExitCode.Should().Be(0, first.Stderr);
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stderr.Should().Contain("done 3 (3 from earlier runs)");
        simulator.CreatedTasks.Should().HaveCount(3, "the second run pays for nothing");
        var rows = Rows(ledger, "SELECT line_key, outcome, state, file FROM submissions ORDER BY id");
        rows.Should().HaveCount(3).And.OnlyContain(r => (string?)r["outcome"] == "created" && (string?)r["state"] == "success" && r["file"] != null);
        rows.Select(r => r["line_key"]).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task A_direct_journal_records_queued_sending_and_the_answer_in_order_and_finds_the_task()
    {
        var dir = KlingProcess.NewDirectory();
        var location = await NewLedgerAsync(dir);
        using (var ledger = KlingGenerated.Cli.Ledger.LedgerLocation.OpenSetting(location))
        {
            var id = ledger.RecordQueued("endpoint-a", "{\"x\":1}", "b.jsonl", "key-1", 7);
            ledger.MarkSending(id);
            ledger.MarkQueuedAgain(id);
            ledger.MarkSending(id);
            ledger.RecordCreated(id, "task_direct_1");
            var other = ledger.RecordQueued("endpoint-a", "{\"x\":2}");
            ledger.MarkSending(other);
            ledger.RecordUncertain(other, "no answer");

            ledger.Find("task_direct_1")!.Should().Match<KlingGenerated.Cli.Ledger.LedgerEntry>(e => e.Outcome == "created" && e.LineKey == "key-1" && e.LineNumber == 7 && e.Batch == "b.jsonl");
            ledger.FindOtherHolder(other, "task_direct_1")!.Id.Should().Be(id);
            ledger.List("uncertain", null).Should().ContainSingle().Which.Message.Should().Be("no answer");
            ledger.BatchLines("endpoint-a").Should().ContainSingle().Which.Id.Should().Be(id);
            ledger.List(null, DateTimeOffset.UtcNow.AddHours(1)).Should().BeEmpty();
        }

        Rows(location, "SELECT kind FROM events ORDER BY id").Select(r => r["kind"]).Should().Equal("sending", "refused", "sending", "created", "sending", "uncertain");
    }

    [Fact]
    public async Task Pruning_removes_a_failed_task_with_its_events_and_keeps_a_task_that_may_exist()
    {
        await using var failing = await StartSimulatorAsync(fault: "generation-failed");
        await using var uncertain = await StartSimulatorAsync(fault: "server-error-after-create");
        var dir = KlingProcess.NewDirectory();
        var ledger = await NewLedgerAsync(dir);
        (await KlingInProcess.RunAsync(dir, "generate", "A kite that fails", "--ledger", ledger, "--api-key", Key, "--base-url", failing.BaseUrl.ToString())).ExitCode.Should().Be(4);
        (await KlingInProcess.RunAsync(dir, "generate", "A kite that may exist", "--ledger", ledger, "--api-key", Key, "--base-url", uncertain.BaseUrl.ToString())).ExitCode.Should().Be(3);

        var pruned = await KlingInProcess.RunAsync(dir, "tasks", "prune", "--older-than", "2999-01-01", "--ledger", ledger);

        pruned.ExitCode.Should().Be(0, pruned.Stderr);
        pruned.Stderr.Should().Contain("Removed 1 row(s)").And.Contain("Kept 1").And.Contain("may exist and be charged");
        var left = Rows(ledger, "SELECT id, outcome FROM submissions").Should().ContainSingle().Subject;
        left["outcome"].Should().Be("uncertain");
        Rows(ledger, "SELECT submission FROM events").Select(r => Convert.ToInt64(r["submission"], System.Globalization.CultureInfo.InvariantCulture))
            .Should().NotBeEmpty().And.OnlyContain(id => id == Convert.ToInt64(left["id"], System.Globalization.CultureInfo.InvariantCulture), "the failed task's events went with it");
    }

    internal static Task<KlingSimulator> StartSimulatorAsync(string? fault = null) => LedgerTests.StartSimulatorAsync(fault);
}
