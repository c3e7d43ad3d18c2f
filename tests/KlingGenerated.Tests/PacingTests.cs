using KlingGenerated.Simulator;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests;

/// <summary>Client-side pacing of createTask against the simulator's rate limit; run alone, since it measures arrival times.</summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
[Collection(Infrastructure.RunsAlone.Name)]
public sealed class PacingTests
{
    [Fact]
    public async Task A_burst_of_200_submissions_is_paced_to_the_limit_with_zero_429s()
    {
        // The service's limit scaled down 10x in time (20 per 1 s instead of 20 per 10 s) so the burst takes seconds, not minutes.
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { RateLimit = 20, RateLimitWindow = TimeSpan.FromSeconds(1), Credits = 1_000_000 });
        var services = new ServiceCollection();
        services.AddKlingClient(o =>
        {
            o.ApiKey = simulator.ApiKey;
            o.BaseUrl = simulator.BaseUrl;
            o.Resilience.CreateTaskPermitLimit = 20;
            o.Resilience.CreateTaskWindow = TimeSpan.FromSeconds(1);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IKlingClient>();

        var created = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = $"burst {i}" } }, CancellationToken.None)));

        created.Select(c => c.Data!.TaskId).Should().OnlyHaveUniqueItems().And.HaveCount(200);
        simulator.TaskCount.Should().Be(200);
        simulator.RateLimitedCount.Should().Be(0, "pacing kept every 1 s window at 20 or fewer");
    }
}
