using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using KlingGenerated.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KlingGenerated.Tests;

/// <summary>Tests whose figures depend on the machine not being busy with other tests: they run alone, after the rest.</summary>
[CollectionDefinition("Performance guard", DisableParallelization = true)]
public sealed class PerformanceGuardCollection;

/// <summary>
/// Guards client overhead by ratio to the hand-written floor measured in the same run, never by absolute time.
/// It measures what ships: the benchmark project built in Release, run alone after the other tests. Allocations per
/// call are exact (the in-memory service completes synchronously); time is the best of 5 interleaved rounds.
/// </summary>
[Collection("Performance guard")]
public sealed class PerformanceGuardTests(ITestOutputHelper output)
{
    private static readonly Lazy<Task<Dictionary<string, (double Allocations, double Time)>>> Ratios = new(MeasureAsync);

    // recordInfo meets the 1.5x goal for allocations. createTask does not yet, and neither meets it for time: those
    // limits are today's figures plus a margin, so that a regression fails here (see README, Performance).
    [Theory]
    [InlineData("recordInfo", 1.5, 2.5)]
    [InlineData("createTask", 3.2, 5.0)]
    public async Task Client_overhead_stays_within_its_ratio_to_the_hand_written_floor(string operation, double maxAllocationRatio, double maxTimeRatio)
    {
        var (allocations, time) = (await Ratios.Value)[operation];

        output.WriteLine($"{operation}: allocations {allocations:0.00}x the floor (limit {maxAllocationRatio}), time {time:0.00}x (limit {maxTimeRatio})");
        allocations.Should().BeLessThanOrEqualTo(maxAllocationRatio);
        time.Should().BeLessThanOrEqualTo(maxTimeRatio);
    }

    private static async Task<Dictionary<string, (double, double)>> MeasureAsync()
    {
        var start = new ProcessStartInfo("dotnet", ["run", "-c", "Release", "--project", Path.Combine(Repo.Root, "benchmarks", "KlingGenerated.Benchmarks"), "--", "ratios"])
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var text = await stdout;
        process.ExitCode.Should().Be(0, text + await stderr);
        return Regex.Matches(text, @"^ratio (\w+) allocations=([\d.]+) time=([\d.]+)", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => (double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));
    }
}
