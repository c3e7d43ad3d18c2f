using KlingGenerated.Cli.Batch;
using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>The batch's closing line on uncertain lines says how many there are and what each may have cost, priced from the document.</summary>
public sealed class UncertainLinesTests
{
    [Fact]
    public async Task The_closing_line_counts_the_uncertain_lines_and_prices_each_from_the_document()
    {
        var dir = KlingProcess.NewDirectory();
        await File.WriteAllLinesAsync(Path.Combine(dir, "two.jsonl"), ["""{"id":"short","prompt":"Five seconds","duration":"5"}""", """{"id":"long","prompt":"Ten seconds","duration":"10"}"""]);
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { AcceptedApiKey = LedgerTests.ApiKey, Fault = "server-error-after-create", RateLimit = 1000 });

        // The fault answers the balance check 500 too: its retries come 10-100 ms apart, not 1-30 s.
        var run = await KlingInProcess.RunWithShortRetryDelaysAsync(dir, ["batch", "two.jsonl", "--out", "v", "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString()]);

        run.ExitCode.Should().Be(3, run.Stderr);
        simulator.CreatedTasks.Should().HaveCount(2, "both tasks were created before the 500 that made them uncertain");
        var closing = run.Stderr.Split('\n').Single(l => l.StartsWith("Batch finished:", StringComparison.Ordinal));
        closing.Should().Contain("2 line(s) are uncertain (1 (short), 2 (long))")
            .And.Contain("line 1 (short) 42, line 2 (long) 84 credits at the document's prices (126 in all)")
            .And.Contain("--resubmit-uncertain");
    }

    [Fact]
    public void Lines_of_one_price_say_it_once_and_lines_without_a_price_say_the_cost_is_unknown()
    {
        UncertainLines.Advice([("3", 42m), ("7", 42m)]).Should().StartWith("2 line(s) are uncertain (3, 7): their tasks may exist and be charged; each may have cost 42 credits at the document's prices (84 in all).");
        UncertainLines.Advice([("4", null)]).Should().Contain("the document has no price for them, so what they may have cost is unknown.").And.NotContain("in all");
    }
}
