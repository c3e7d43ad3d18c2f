using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Tests.Pacing;

/// <summary>
/// The local pacer's rule, on a fake clock: a create counts from the latest moment it can reach the service (the end of
/// its attempt, or the attempt timeout while it is in flight), and a permit is granted only while fewer than the limit
/// count within the window. No wall clock, no timing assertion: every time below is the fake clock's.
/// </summary>
public sealed class LocalPacerRuleTests
{
    private const int Limit = 5;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task No_window_holds_more_creates_than_the_limit_counted_from_the_latest_moment_each_could_reach_the_service()
    {
        var time = new FakeTimeProvider();
        using var pacer = new KlingCreateTaskPacer(Options(), time);
        const int creates = 60;
        const int leaked = 13; // a lease never disposed: it counts until its attempt could have timed out
        var acquires = Enumerable.Range(0, creates).Select(_ => pacer.AcquireAsync(CancellationToken.None).AsTask()).ToArray();
        var granted = new TimeSpan?[creates];
        var ended = new TimeSpan?[creates];
        var leases = new RateLimitLease?[creates];
        var start = time.GetUtcNow();

        // Attempts of varied lengths: most short, every seventh slow (a cold connection, a busy host).
        TimeSpan Duration(int i) => i % 7 == 0 ? TimeSpan.FromMilliseconds(2000 + (i * 37 % 2000)) : TimeSpan.FromMilliseconds(20 + (i * 53 % 180));
        for (var steps = 0; ended.Count(e => e is not null) < creates - 1; steps++)
        {
            steps.Should().BeLessThan(1_000_000, "every create is granted eventually");
            var now = time.GetUtcNow() - start;
            for (var i = 0; i < creates; i++)
            {
                if (granted[i] is null && acquires[i].IsCompleted)
                {
                    granted[i] = now;
                    leases[i] = await acquires[i]; // already completed: no wait
                    leases[i]!.IsAcquired.Should().BeTrue();
                }

                if (i != leaked && ended[i] is null && granted[i] is { } g && now >= g + Duration(i))
                {
                    leases[i]!.Dispose(); // the attempt ended: the create reached the service by now
                    ended[i] = now;
                }
            }

            time.Advance(Step);
        }

        granted.Should().OnlyContain(g => g != null);
        granted.Should().BeInAscendingOrder("waiters are served first come, first served");
        var latest = Enumerable.Range(0, creates).Select(i => ended[i] ?? granted[i]!.Value + AttemptTimeout).ToArray();
        for (var j = 0; j < creates; j++)
        {
            // The rule: when j was granted, fewer than the limit of the earlier creates could reach the service within
            // the window (plus margin) before it; so wherever in [grant, latest] each one arrives, no service window holds more.
            var counted = Enumerable.Range(0, j).Count(i => latest[i] > granted[j]!.Value - Window - Margin);
            counted.Should().BeLessThan(Limit, $"create {j} was granted at {granted[j]}");
        }

        foreach (var arrivals in new[] { granted.Select(g => g!.Value).ToArray(), latest })
        {
            // The service's own view, whichever end of its attempt each create reached it at.
            var sorted = arrivals.Order().ToArray();
            for (var k = 0; k + Limit < sorted.Length; k++)
            {
                (sorted[k + Limit] - sorted[k]).Should().BeGreaterThanOrEqualTo(Window);
            }
        }

        for (var j = Limit; j < creates; j++)
        {
            // And it is not wasteful: one step before each grant, the limit was really in use.
            var before = granted[j]!.Value - Step;
            var inUse = Enumerable.Range(0, j).Count(i => granted[i] <= before && (ended[i] is not { } e || e > before || latest[i] > before - Window - Margin));
            inUse.Should().BeGreaterThanOrEqualTo(Limit, $"create {j} waited until {granted[j]} though a slot was free a step earlier");
        }
    }

    [Fact]
    public async Task A_waiter_cancelled_in_the_queue_gives_its_turn_to_the_next_and_disposing_fails_the_rest()
    {
        var time = new FakeTimeProvider();
        var pacer = new KlingCreateTaskPacer(Options(), time);
        var first = Enumerable.Range(0, Limit).Select(_ => pacer.AcquireAsync(CancellationToken.None).AsTask()).ToArray();
        first.Should().OnlyContain(t => t.IsCompletedSuccessfully, "the window is empty at a cold start");
        using var cancel = new CancellationTokenSource();
        var cancelled = pacer.AcquireAsync(cancel.Token).AsTask();
        var next = pacer.AcquireAsync(CancellationToken.None).AsTask();
        var last = pacer.AcquireAsync(CancellationToken.None).AsTask();
        cancelled.IsCompleted.Should().BeFalse("the window is full");

        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => cancelled).Should().ThrowAsync<OperationCanceledException>();
        (await first[0]).Dispose(); // its attempt ended now: it counts until a window and the margin from now
        time.Advance(Window + Margin - Step);
        next.IsCompleted.Should().BeFalse("the ended create still counts within the window");
        time.Advance(Step);
        next.IsCompletedSuccessfully.Should().BeTrue("the cancelled waiter gave its turn to the next");
        last.IsCompleted.Should().BeFalse();

        pacer.Dispose();
        await FluentActions.Awaiting(() => last).Should().ThrowAsync<ObjectDisposedException>();
    }

    private static KlingResilienceOptions Options() => new()
    {
        CreateTaskPermitLimit = Limit,
        CreateTaskWindow = Window,
        CreateTaskPacingMargin = Margin,
        AttemptTimeout = AttemptTimeout,
    };
}
