using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Tests;

/// <summary>WaitForCompletionAsync on a fake clock: no sleeping, scripted answers. The answer sequences of the conformance vectors are in Conformance/PollingVectorTests.cs.</summary>
public sealed class PollingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A client whose task query answers from a script, recording when it was asked.</summary>
    private sealed class ScriptedClient(FakeTimeProvider clock, Func<int, TimeSpan, TaskRecordResponse> answer)
        : KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = "k" })
    {
        public List<TimeSpan> QueriedAt { get; } = [];

        public override Task<TaskRecordResponse> GetTaskRecordAsync(string taskId, CancellationToken cancellationToken)
        {
            var at = clock.GetUtcNow() - Start;
            QueriedAt.Add(at);
            return Task.FromResult(answer(QueriedAt.Count, at));
        }
    }

    private static TaskRecordResponse Record(string state, string? failCode = null, string? failMsg = null) => new()
    {
        Code = 200,
        Data = Newtonsoft.Json.JsonConvert.DeserializeObject<TaskRecord>(
            Newtonsoft.Json.JsonConvert.SerializeObject(new { taskId = "t1", state, failCode, failMsg }), KlingClient.CallbackSerializerSettings),
    };

    private static async Task<T> RunOnFakeClock<T>(FakeTimeProvider clock, Task<T> task)
    {
        for (var i = 0; i < 100_000 && !task.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        return await task;
    }

    private static KlingPollingOptions Options(FakeTimeProvider clock) => new() { TimeProvider = clock, Jitter = 0 };

    [Fact]
    public async Task Polling_backs_off_from_the_initial_delay_toward_the_maximum()
    {
        var clock = new FakeTimeProvider(Start);
        var client = new ScriptedClient(clock, (n, _) => Record(n < 40 ? "generating" : "success"));

        var record = await RunOnFakeClock(clock, client.WaitForCompletionAsync("t1", Options(clock), null, CancellationToken.None));

        record.State.Should().Be(TaskState.Success);
        var gaps = client.QueriedAt.Zip(client.QueriedAt.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        gaps[0].Should().BeApproximately(3, 0.11);
        gaps.Should().BeInAscendingOrder();
        gaps.Zip(client.QueriedAt).Should().OnlyContain(g => g.First <= (0.1 * g.Second.TotalSeconds) + 3 + 0.11, "each wait is 3 s plus 10 % of the time waited");
        gaps.Max().Should().BeLessThanOrEqualTo(30.1);
        gaps.Last().Should().BeApproximately(30, 0.11, "the wait grows to MaxDelay");
    }

    [Fact]
    public async Task running_out_of_time_throws_a_Timeout_KlingApiException_carrying_the_task_id()
    {
        var clock = new FakeTimeProvider(Start);
        var client = new ScriptedClient(clock, (_, _) => Record("queuing"));
        var options = Options(clock);
        options.Timeout = TimeSpan.FromMinutes(2);

        var error = (await client.Invoking(c => RunOnFakeClock(clock, c.WaitForCompletionAsync("t1", options, null, CancellationToken.None)))
            .Should().ThrowAsync<KlingApiException>()).Which;
        error.Kind.Should().Be(KlingErrorKind.Timeout);

        error.TaskId.Should().Be("t1");
        error.LastState.Should().Be("queuing");
        error.Message.Should().Contain("t1").And.Contain("queuing");
        // Not before the deadline; how far the pump below moved the fake clock while the cancellation reached the wait
        // depends on the machine's load (17.8 s once, on a loaded run), so the upper bound is the last query's time.
        (clock.GetUtcNow() - Start).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(2), "the wait ends at its deadline, not before");
        client.QueriedAt.Last().Should().BeLessThanOrEqualTo(TimeSpan.FromMinutes(2), "nothing runs past the deadline").And.BeGreaterThan(TimeSpan.FromMinutes(1.5), "it kept querying until then");
    }

    [Fact]
    public async Task Cancellation_is_honoured_at_once_without_waiting_for_the_next_poll()
    {
        var clock = new FakeTimeProvider(Start);
        var client = new ScriptedClient(clock, (_, _) => Record("generating"));
        using var cancel = new CancellationTokenSource();

        var wait = client.WaitForCompletionAsync("t1", Options(clock), null, cancel.Token);
        await Task.Yield();
        await cancel.CancelAsync();

        await wait.Awaiting(w => w).Should().ThrowAsync<OperationCanceledException>();
        client.QueriedAt.Should().ContainSingle("the clock never moved, so no second poll happened");
    }

    [Fact]
    public void Invalid_polling_options_are_refused_with_the_values_named()
    {
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = "k" });

        client.Invoking(c => c.WaitForCompletionAsync("t1", new KlingPollingOptions { InitialDelay = TimeSpan.Zero }, null, CancellationToken.None))
            .Should().ThrowAsync<ArgumentException>().WithMessage("*InitialDelay*");
    }

    private sealed class Progress(Action<TaskRecord> report) : IProgress<TaskRecord>
    {
        public void Report(TaskRecord value) => report(value);
    }
}
