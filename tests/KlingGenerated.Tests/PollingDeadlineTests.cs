using System.Text;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace KlingGenerated.Tests;

/// <summary>
/// KlingPollingOptions.Timeout bounds the whole wait: a task query that trickles (each attempt inside its own attempt
/// timeout, then retried) is cancelled when the wait's deadline passes, on the polling clock.
/// </summary>
public sealed class PollingDeadlineTests
{
    private const string TaskId = "task_trickle_1";

    /// <summary>A record envelope declared long and sent one byte at a time: an answer that never ends within any deadline of the test.</summary>
    internal static Func<HostileExchange, Task> TricklingRecord() =>
        HostileServer.Drip(Encoding.UTF8.GetBytes(HostileKling.Envelope(new { taskId = TaskId, state = "generating" }).PadRight(100_000)), TimeSpan.FromMilliseconds(100));

    [Fact]
    public async Task The_polling_timeout_cancels_a_trickling_query_in_flight_and_ends_the_wait_as_a_timeout_naming_the_task()
    {
        await using var server = HostileServer.Start(TricklingRecord());
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero));
        // The pipeline as shipped (30 s per attempt, retries): without the wait's deadline, this query alone would run for minutes.
        var client = new KlingClient(new KlingClientOptions { ApiKey = "test-key-123", BaseUrl = server.BaseUrl });
        var options = new KlingPollingOptions { TimeProvider = clock, Timeout = TimeSpan.FromMinutes(2), Jitter = 0 };

        var wait = client.WaitForCompletionAsync(TaskId, options);
        for (var i = 0; i < 6000 && server.Requests.Count == 0; i++)
        {
            await Task.Delay(10); // poll for the condition: the first query has reached the server
        }

        server.Requests.Should().ContainSingle("the first query is in flight, trickling");
        clock.Advance(options.Timeout);

        // The guard only turns a hang (the old behaviour) into a failure; nothing here measures time.
        var error = (await wait.WaitAsync(TimeSpan.FromSeconds(60)).Awaiting(w => w).Should().ThrowExactlyAsync<KlingApiException>()).Which;
        error.Kind.Should().Be(KlingErrorKind.Timeout);
        error.TaskId.Should().Be(TaskId);
        error.Message.Should().Contain("did not finish within 2 minutes").And.Contain("the query in flight was cancelled at the deadline");
        server.Requests.Should().ContainSingle("the query was not retried past the deadline");
    }

    [Fact]
    public async Task Cancelling_the_caller_token_during_a_trickling_query_is_a_cancellation_not_a_timeout()
    {
        await using var server = HostileServer.Start(TricklingRecord());
        var client = new KlingClient(new KlingClientOptions { ApiKey = "test-key-123", BaseUrl = server.BaseUrl });
        using var cancel = new CancellationTokenSource();

        var wait = client.WaitForCompletionAsync(TaskId, new KlingPollingOptions { Timeout = TimeSpan.FromMinutes(30) }, cancellationToken: cancel.Token);
        for (var i = 0; i < 6000 && server.Requests.Count == 0; i++)
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();

        await wait.WaitAsync(TimeSpan.FromSeconds(60)).Awaiting(w => w).Should().ThrowAsync<OperationCanceledException>();
    }
}
