using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using KlingGenerated.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace KlingGenerated.Tests;

/// <summary>
/// 2,000 logical submissions through the real AddKlingClient pipeline against the simulator injecting 30 % faults
/// (429, 455, 500 before and after creating, dropped connections before and after creating, slow answers beyond the
/// attempt timeout, answers cut off mid-body and answers that stall after half their body). The simulator's own
/// record of created tasks is the ground truth. Time is printed, never asserted.
/// </summary>
[Trait("Category", "Slow")] // seconds, not milliseconds: outside the inner loop (docs/testing.md)
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Submissions = 2000;

    [Fact]
    public async Task A_fault_soak_creates_no_duplicate_loses_no_submission_and_throws_only_documented_exceptions()
    {
        var watch = Stopwatch.StartNew();
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions
        {
            RandomFaultRate = 0.3,
            RandomFaultSeed = 20261124,
            RandomFaults = ["rate-limited", "maintenance", "server-error", "server-error-after-create", "drop", "drop-after-create", "slow:20", "slow:1500", "truncate", "stall"],
            RateLimit = 1_000_000,
            Credits = long.MaxValue / 2,
        });
        var services = new ServiceCollection();
        services.AddKlingClient(o =>
        {
            o.ApiKey = simulator.ApiKey;
            o.BaseUrl = simulator.BaseUrl;
            // With 30 % of requests faulted, a query fails only if every attempt does: 0.3^(retries + 1) per query.
            // 8 retries made that about 3 % of runs over ~1,560 queries (one failure seen in a dozen runs); 12 make it ~0.03 %.
            // A stalled answer costs one attempt timeout; a truncated one fails at once.
            o.Resilience = new KlingResilienceOptions
            {
                MaxRetries = 12, BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(100),
                AttemptTimeout = TimeSpan.FromSeconds(1), TotalTimeout = TimeSpan.FromSeconds(60), CreateTaskPermitLimit = 0,
            };
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IKlingClient>();

        var outcomes = new ConcurrentDictionary<int, string>();
        var returnedIds = new ConcurrentDictionary<int, string>();
        var unexpected = new ConcurrentBag<Exception>();
        var queryFailures = 0;
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, Submissions).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var created = await client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = $"soak-{i:D5}" } }, CancellationToken.None);
                returnedIds[i] = created.Data!.TaskId;
                outcomes[i] = "created";
                try
                {
                    (await client.GetTaskRecordAsync(created.Data.TaskId, CancellationToken.None)).Data!.TaskId.Should().Be(created.Data.TaskId);
                }
                catch (Exception exception) when (exception is KlingApiException or TimeoutException)
                {
                    Interlocked.Increment(ref queryFailures);
                }
            }
            catch (KlingApiException exception)
            {
                outcomes[i] = "KlingApiException." + exception.Kind;
            }
            catch (TimeoutException)
            {
                outcomes[i] = "TimeoutException";
            }
            catch (Exception exception)
            {
                outcomes[i] = "unexpected";
                unexpected.Add(exception);
            }
            finally
            {
                gate.Release();
            }
        }));
        watch.Stop();

        // Ground truth: which submissions did the simulator create tasks for, and how many.
        var tasksPerSubmission = simulator.CreatedTasks
            .GroupBy(t => int.Parse(Regex.Match((string)JObject.Parse(t.Value).SelectToken("input.prompt")!, @"soak-(\d+)").Groups[1].Value))
            .ToDictionary(g => g.Key, g => g.Select(t => t.Key).ToList());
        var duplicates = tasksPerSubmission.Count(t => t.Value.Count > 1);
        var returnedButMissing = returnedIds.Count(r => !tasksPerSubmission.TryGetValue(r.Key, out var ids) || !ids.Contains(r.Value));
        var gaveUpOnSafeFault = outcomes.Count(o => o.Value is "KlingApiException.RateLimited" or "KlingApiException.Maintenance");
        var lost = returnedButMissing + gaveUpOnSafeFault;
        var reportedMaybeCreated = outcomes.Where(o => o.Value != "created").ToList();
        var reportedAndCreated = reportedMaybeCreated.Count(o => tasksPerSubmission.ContainsKey(o.Key));
        var faultShare = (double)simulator.FaultsInjected / simulator.RequestCount;

        output.WriteLine($"submissions:               {Submissions}");
        output.WriteLine($"requests at the simulator: {simulator.RequestCount}, faults injected: {simulator.FaultsInjected} ({faultShare:P1})");
        output.WriteLine($"created and returned:      {returnedIds.Count}");
        output.WriteLine($"duplicates:                {duplicates}");
        output.WriteLine($"lost:                      {lost} (returned but missing {returnedButMissing}, gave up on a safe fault {gaveUpOnSafeFault})");
        output.WriteLine($"reported as failed:        {reportedMaybeCreated.Count} ({string.Join(", ", reportedMaybeCreated.GroupBy(o => o.Value).Select(g => $"{g.Key} {g.Count()}"))}); of these the service had created {reportedAndCreated}");
        output.WriteLine($"queries that failed:       {queryFailures}");
        output.WriteLine($"unexpected exceptions:     {unexpected.Count}");
        output.WriteLine($"total time:                {watch.Elapsed.TotalSeconds:0.0} s");

        unexpected.Should().BeEmpty(string.Join(Environment.NewLine, unexpected.Take(3)));
        faultShare.Should().BeGreaterThanOrEqualTo(0.2);
        duplicates.Should().Be(0);
        lost.Should().Be(0);
        outcomes.Should().HaveCount(Submissions, "every submission ended, one way or the other");
        queryFailures.Should().Be(0, "queries are safe to retry and were retried");
    }
}
