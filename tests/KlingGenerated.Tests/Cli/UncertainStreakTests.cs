using System.Web;
using KlingGenerated.Cli.Batch;
using KlingGenerated.Tests.Infrastructure;
using static KlingGenerated.Tests.Infrastructure.HostileKling;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// A service that answers every createTask so that a task may exist (here HTTP 200 with a code the document does not
/// list, which the document's classifier marks <c>createTaskMayExist</c>) may be charging for each without handing back
/// an id: a batch stops sending new lines after <see cref="UncertainStreak.Limit"/> such outcomes in a row.
/// </summary>
public sealed class UncertainStreakTests
{
    [Fact]
    public async Task A_batch_stops_sending_after_three_uncertain_creates_in_a_row_and_sends_the_rest_only_when_run_again()
    {
        var dir = KlingProcess.NewDirectory();
        string[] ids = ["l1", "l2", "l3", "l4", "l5", "l6", "l7"];
        await File.WriteAllLinesAsync(Path.Combine(dir, "seven.jsonl"), ids.Select(id => $$"""{"id":"{{id}}","prompt":"Prompt of {{id}}"}"""));
        var hostile = true;
        await using var server = ServiceWith(n => n > 0 && Volatile.Read(ref hostile)); // the first create gets a task id, then every one may exist
        string[] run = Against(server, "batch", "seven.jsonl", "--out", "v");

        var first = await KlingInProcess.RunAsync(dir, run);

        Creates(server).Should().HaveCount(1 + UncertainStreak.Limit, "the batch stops sending after 3 uncertain creates in a row: " + first.Stderr);
        first.ExitCode.Should().Be(3, first.Stderr);
        var closing = first.Stderr.Split('\n').Single(l => l.StartsWith("Batch finished:", StringComparison.Ordinal));
        closing.Should().Contain("done 1 (0 from earlier runs)").And.Contain("uncertain 3").And.Contain("not sent 3")
            .And.Contain("Stopped sending: 3 createTasks in a row ended uncertain").And.Contain("so 3 line(s) were not sent")
            .And.Contain("3 line(s) are uncertain (").And.Contain("their tasks may exist and be charged; each may have cost 42 credits at the document's prices (126 in all)")
            .And.Contain("Check `kling tasks --state uncertain`").And.Contain("--resubmit-uncertain only if you accept paying that again")
            .And.Contain("Running the same command again sends the 3 line(s) not sent (never the uncertain ones without --resubmit-uncertain)");
        first.Stderr.Should().Contain("stopped sending: 3 createTasks in a row ended uncertain");
        var states = States(first.Stdout); // two submitters share the wire, so which line got which answer may vary
        states.Values.Should().BeEquivalentTo(new[] { "done", "uncertain", "uncertain", "uncertain", "not-sent", "not-sent", "not-sent" });
        File.Exists(Path.Combine(dir, "v", states.Single(s => s.Value == "done").Key + ".mp4")).Should().BeTrue("the task created before the stop is still waited for and downloaded");
        LedgerTests.Rows(KlingProcess.LedgerFor(dir), "SELECT outcome FROM submissions WHERE outcome = 'uncertain'").Should().HaveCount(3, "every uncertain create is in the ledger");

        // The service answers again: running the same command sends the three lines never sent, and not the uncertain ones.
        Volatile.Write(ref hostile, false);
        var second = await KlingInProcess.RunAsync(dir, run);

        second.ExitCode.Should().Be(3, "the uncertain lines are still uncertain: " + second.Stderr);
        Prompts(Creates(server).Skip(4)).Should().BeEquivalentTo(PromptsOf(states, "not-sent"), "the lines never sent, each once");
        second.Stderr.Should().NotContain("Stopped sending");

        // Only --resubmit-uncertain, the user's explicit choice, sends the uncertain lines again.
        var third = await KlingInProcess.RunAsync(dir, [.. run, "--resubmit-uncertain"]);

        third.ExitCode.Should().Be(0, third.Stderr);
        Prompts(Creates(server).Skip(7)).Should().BeEquivalentTo(PromptsOf(states, "uncertain"));
    }

    [Fact]
    public async Task A_created_task_between_uncertain_creates_starts_the_count_again()
    {
        var dir = KlingProcess.NewDirectory();
        string[] ids = ["l1", "l2", "l3", "l4", "l5", "l6"];
        await File.WriteAllLinesAsync(Path.Combine(dir, "six.jsonl"), ids.Select(id => $$"""{"id":"{{id}}","prompt":"Prompt of {{id}}"}"""));
        await using var server = ServiceWith(create => create % 3 != 2); // uncertain, uncertain, created, uncertain, uncertain, created

        var result = await KlingInProcess.RunAsync(dir, Against(server, "batch", "six.jsonl", "--out", "v"));

        Creates(server).Should().HaveCount(6, "never 3 uncertain creates in a row: " + result.Stderr);
        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().NotContain("Stopped sending").And.NotContain("stopped sending");
        States(result.Stdout).Values.Should().BeEquivalentTo(new[] { "uncertain", "uncertain", "done", "uncertain", "uncertain", "done" });
    }

    [Fact]
    public void Only_uncertain_outcomes_count_a_refusal_or_a_task_id_starts_again_and_a_request_that_reached_nothing_changes_nothing()
    {
        var streak = new UncertainStreak();

        streak.Count("uncertain").Should().BeFalse();
        streak.Count("rejected").Should().BeFalse("the service refused it: surely nothing exists, which starts the count again");
        streak.Count("uncertain").Should().BeFalse();
        streak.Count("unrecorded").Should().BeFalse("a task id came back");
        streak.Count("uncertain").Should().BeFalse();
        streak.Count("uncertain").Should().BeFalse();
        streak.Count("not-sent").Should().BeFalse("a request that reached no service says nothing about its answers");
        streak.StoppedNote.Should().BeNull();
        streak.Count("uncertain").Should().BeTrue("the third uncertain outcome in a row stops the run");
        streak.StoppedNote.Should().Be("not sent: the run stopped sending after 3 createTasks in a row ended uncertain");
        streak.Count("uncertain").Should().BeFalse("it stops once");
    }

    /// <summary>Each line's id and state, from the batch's stdout (LINE ID TASK STATE FILE).</summary>
    internal static Dictionary<string, string> States(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToDictionary(c => c[1], c => c[3]);

    private static string[] PromptsOf(Dictionary<string, string> states, string state) => [.. states.Where(s => s.Value == state).Select(s => "Prompt of " + s.Key)];

    private static List<string> Prompts(IEnumerable<HostileRequest> creates) =>
        [.. creates.Select(r => (string)Newtonsoft.Json.Linq.JObject.Parse(r.BodyText)["input"]!["prompt"]!)];

    /// <summary>A service whose createTask number n (from 0) answers HTTP 200 with the unlisted code 520 when <paramref name="mayExist"/>(n), else a new task id; every task succeeds.</summary>
    internal static HostileServer ServiceWith(Func<int, bool> mayExist)
    {
        var creates = -1;
        return Service("unused",
            create: exchange =>
            {
                var n = Interlocked.Increment(ref creates);
                return mayExist(n)
                    ? Json(Envelope(null, code: 520, msg: "Server exception (task write failed)"))(exchange)
                    : Created($"task_{n}")(exchange);
            },
            record: exchange => Record(HttpUtility.ParseQueryString(exchange.Request.Query.TrimStart('?'))["taskId"]!, "success")(exchange));
    }
}

/// <summary>The same stop for a worker of a batch shared through a PostgreSQL ledger (SharedBatchRun): its own count, its own stop.</summary>
[Collection(KlingGenerated.Tests.Ledger.PostgresCollection.Name)]
public sealed class SharedUncertainStreakTests(KlingGenerated.Tests.Ledger.PostgresFixture postgres)
{
    [Fact]
    public async Task A_worker_of_a_shared_ledger_stops_sending_after_three_uncertain_creates_in_a_row()
    {
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "six.jsonl"), Enumerable.Range(1, 6).Select(i => $$"""{"id":"s{{i}}","prompt":"Shared prompt {{i}}"}"""));
        await using var server = UncertainStreakTests.ServiceWith(_ => true);
        var ledger = await postgres.NewLedgerAsync();

        var result = await KlingInProcess.RunAsync(dir, Against(server, "batch", "six.jsonl", "--out", "v", "--ledger", ledger));

        Creates(server).Should().HaveCount(UncertainStreak.Limit, result.Stderr);
        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("Stopped sending: 3 createTasks in a row ended uncertain").And.Contain("so 3 line(s) were not sent");
        UncertainStreakTests.States(result.Stdout).Values.Should().BeEquivalentTo(new[] { "uncertain", "uncertain", "uncertain", "not-sent", "not-sent", "not-sent" });
        postgres.Rows(ledger, "SELECT outcome FROM submissions WHERE outcome = 'uncertain'").Should().HaveCount(3, "every uncertain create is in the shared ledger");
    }
}
