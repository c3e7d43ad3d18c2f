using KlingGenerated.Cli;
using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// The process's Ctrl+C rule, on a fake clock: a SIGINT within a second of the first is the same press (the command goes
/// on stopping and prints how to resume); a later one quits at once, after saying where the task ids are kept.
/// CtrlCTests sends two real SIGINTs back to back to the built apphost.
/// </summary>
public sealed class InterruptSignalsTests
{
    [Fact]
    public void A_second_SIGINT_within_a_second_is_the_same_press_and_a_later_one_quits_after_saying_where_the_tasks_are()
    {
        using var interrupted = new CancellationTokenSource();
        var error = new StringWriter();
        var clock = new FakeTimeProvider();
        var signals = new InterruptSignals(interrupted, error, clock);

        signals.Interrupt().Should().BeTrue("the first Ctrl+C cancels the command, which ends by itself");
        interrupted.IsCancellationRequested.Should().BeTrue();
        clock.Advance(TimeSpan.FromMilliseconds(900));
        signals.Interrupt().Should().BeTrue("a copy of the same press keeps the command stopping, so it prints its resume line");
        error.ToString().Should().BeEmpty();

        clock.Advance(TimeSpan.FromMilliseconds(200));
        signals.Interrupt().Should().BeFalse("a Ctrl+C more than a second later is a deliberate second press: quit at once");
        error.ToString().Should().Be(InterruptSignals.ForceQuitLine + Environment.NewLine)
            .And.Contain("`kling tasks` lists them").And.Contain("`kling wait <taskId>` resumes one");
    }

    [Fact]
    public void A_SIGINT_right_after_SIGTERM_is_the_same_request_to_stop()
    {
        using var interrupted = new CancellationTokenSource();
        var clock = new FakeTimeProvider();
        var signals = new InterruptSignals(interrupted, TextWriter.Null, clock);

        signals.Terminate();
        clock.Advance(TimeSpan.FromMilliseconds(10));

        interrupted.IsCancellationRequested.Should().BeTrue();
        signals.Interrupt().Should().BeTrue();
    }
}
