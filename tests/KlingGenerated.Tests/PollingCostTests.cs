using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace KlingGenerated.Tests;

/// <summary>
/// Requests per task and the delay before the client notices the end, for tasks of 30 s, 2 and 10 minutes under the
/// default polling policy, on a fake clock (no sleeping). Jitter is measured over 200 seeded runs per length.
/// </summary>
public sealed class PollingCostTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private sealed class TaskEndingAt(FakeTimeProvider clock, TimeSpan end) : KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = "k" })
    {
        public int Requests { get; private set; }

        public override Task<TaskRecordResponse> GetTaskRecordAsync(string taskId, CancellationToken cancellationToken)
        {
            Requests++;
            var state = clock.GetUtcNow() - Start >= end ? "success" : "generating";
            return Task.FromResult(new TaskRecordResponse
            {
                Code = 200,
                Data = Newtonsoft.Json.JsonConvert.DeserializeObject<TaskRecord>($$"""{"taskId":"t","state":"{{state}}"}""", CallbackSerializerSettings),
            });
        }
    }

    public static async Task<(int Requests, TimeSpan Noticed)> Measure(TimeSpan taskLength, KlingPollingOptions options)
    {
        var clock = new FakeTimeProvider(Start);
        options.TimeProvider = clock;
        var client = new TaskEndingAt(clock, taskLength);
        var wait = client.WaitForCompletionAsync("t", options, null, CancellationToken.None);
        while (!wait.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
        }

        await wait;
        return (client.Requests, clock.GetUtcNow() - Start - taskLength);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(120)]
    [InlineData(600)]
    public async Task The_default_policy_notices_the_end_within_10_percent_plus_3_seconds_and_counts_its_requests(int seconds)
    {
        var length = TimeSpan.FromSeconds(seconds);
        var exact = await Measure(length, new KlingPollingOptions { Jitter = 0 });
        var runs = new List<(int Requests, TimeSpan Noticed)>();
        for (var run = 0; run < 200; run++)
        {
            runs.Add(await Measure(length, new KlingPollingOptions()));
        }

        var allowed = (seconds * 0.1) + 3;
        output.WriteLine($"task of {seconds} s: without jitter {exact.Requests} requests, noticed after {exact.Noticed.TotalSeconds:0.0} s; " +
            $"with ±20 % jitter (200 runs) {runs.Min(r => r.Requests)}-{runs.Max(r => r.Requests)} requests (mean {runs.Average(r => r.Requests):0.0}), " +
            $"noticed after at most {runs.Max(r => r.Noticed).TotalSeconds:0.0} s (goal {allowed:0.0} s)");

        runs.Should().OnlyContain(r => r.Noticed.TotalSeconds <= allowed);
        exact.Noticed.TotalSeconds.Should().BeLessThanOrEqualTo(allowed);
    }

    [Fact]
    public void No_schedule_can_keep_both_goals_for_every_end_time()
    {
        // Noticing an end at T within 0.1 T + 3 s needs every gap after a poll at t to be at most 0.1 t + 3 s.
        // Starting with a poll at 0, the fastest-growing schedule that keeps this is t(k+1) = 1.1 t(k) + 3.
        var polls = 1;
        for (var t = 0.0; t < 600; t = (1.1 * t) + 3)
        {
            polls++;
        }

        polls.Should().Be(33, "the least number of requests that covers 10 minutes within the latency goal");
    }

    [Fact]
    public async Task The_default_policy_spends_at_most_15_percent_more_requests_than_the_least_any_schedule_needs()
    {
        var least = 1;
        for (var t = 0.0; t < 600; t = (1.1 * t) + 3)
        {
            least++;
        }

        var (requests, noticed) = await Measure(TimeSpan.FromMinutes(10), new KlingPollingOptions { Jitter = 0 });

        output.WriteLine($"10-minute task: {requests} requests against the least possible {least}, noticed after {noticed.TotalSeconds:0.0} s");
        requests.Should().BeGreaterThanOrEqualTo(least, "no schedule that keeps the latency goal uses fewer");
        requests.Should().BeLessThanOrEqualTo((int)(least * 1.15));
    }
}
