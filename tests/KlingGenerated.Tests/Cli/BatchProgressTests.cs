using KlingGenerated.Cli.Batch;

namespace KlingGenerated.Tests.Cli;

/// <summary>The batch's progress says what it knows: no "ETA 0s" while tasks run, and no "queued" at the end for lines never sent.</summary>
public sealed class BatchProgressTests
{
    [Fact]
    public void The_ETA_is_unknown_not_zero_while_tasks_run_and_none_has_ended()
    {
        var totals = new BatchTotals(20, TimeSpan.FromSeconds(10));
        totals.Add(Phase.Running);
        totals.Add(Phase.Running);

        totals.Eta().Should().BeNull("how long a task takes is not known until one ends");

        totals.NoteDuration(TimeSpan.FromSeconds(20));
        totals.Eta().Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(20), "a task that runs takes about as long as the one that ended");
    }

    [Fact]
    public void The_ETA_is_never_zero_while_a_line_is_left()
    {
        var totals = new BatchTotals(20, TimeSpan.FromSeconds(10));
        totals.NoteDuration(TimeSpan.Zero); // the simulator ends tasks at once
        totals.Add(Phase.Submitted);

        totals.Eta().Should().BeGreaterThan(TimeSpan.Zero);
    }

    [Fact]
    public async Task The_final_totals_call_lines_never_sent_not_sent_rather_than_queued()
    {
        var totals = new BatchTotals(20, TimeSpan.FromSeconds(10));
        totals.Add(Phase.Queued);
        totals.Add(Phase.Queued);
        totals.Add(Phase.Done);
        var error = new StringWriter();

        await new BatchDisplay(error, totals, live: false, () => 80).DisposeAsync();

        var last = error.ToString().TrimEnd().Split('\n')[^1];
        last.Should().Contain("not sent 2").And.Contain("done 1").And.NotContain("queued").And.Contain("ETA - (the run ended)");
    }
}
