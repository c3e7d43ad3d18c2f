using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// The reproduction of issue 15: HTTP 502 with the body <c>{"code":429}</c> used to be "nothing created", retryable, and
/// each rerun of <c>kling batch</c> sent the line again (4 POSTs for one line). Now it is sent once, may exist, and stays
/// uncertain in the ledger across reruns.
/// </summary>
[Trait("Category", "Slow")] // three batch runs against a hostile server with retries
public sealed class BatchMayExistTests
{
    [Fact]
    public async Task A_batch_line_answered_502_with_body_429_is_sent_once_recorded_uncertain_and_never_resent()
    {
        await using var service = HostileServer.Start(HostileServer.Answer(502, """{"code":429,"msg":"The request frequency is too high"}"""));
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "one.jsonl"), ["""{"id":"boat","prompt":"A paper boat"}"""]);
        var ledger = Path.Combine(dir, "tasks.db");
        string[] run = ["batch", "one.jsonl", "--json", "--out", "v", "--ledger", ledger, "--api-key", "k", "--base-url", service.BaseUrl.ToString()];

        // The balance check before each run meets the 502 too and is retried as always, 10-100 ms apart (not 1-30 s).
        var first = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, run);
        var rerun = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, run);
        var again = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, run);

        service.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/jobs/createTask", StringComparison.Ordinal))
            .Should().ContainSingle("a 502 may stand for a created task: it is never sent again, not by the pipeline and not by a rerun");
        ((int)JObject.Parse(first.Stdout)["uncertain"]!).Should().Be(1, first.Stderr);
        ((int)JObject.Parse(rerun.Stdout)["uncertain"]!).Should().Be(1, rerun.Stderr);
        ((int)JObject.Parse(again.Stdout)["uncertain"]!).Should().Be(1, again.Stderr);
        LedgerTests.Rows(ledger, "SELECT outcome FROM submissions").Select(r => (string?)r["outcome"]).Should().Equal("uncertain");
    }
}
