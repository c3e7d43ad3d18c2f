using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using KlingGenerated.Tests.Infrastructure;
using Xunit.Abstractions;

namespace KlingGenerated.Tests;

/// <summary>Tests that start heavy processes or servers: they run alone, after the rest, so they do not slow the others.</summary>
[CollectionDefinition("Performance guard", DisableParallelization = true)]
public sealed class PerformanceGuardCollection;

/// <summary>
/// Guards client overhead by its allocations per call against the hand-written floor measured in the same run. It
/// measures what ships: the benchmark project built in Release. Allocations per call are exact (the in-memory service
/// completes synchronously), so they can be asserted; time is never asserted here (it is flaky under load): the time
/// ratios live in the benchmark project (<c>-- ratios</c>), whose figures docs/performance.md reports.
/// </summary>
[Collection("Performance guard")]
public sealed class PerformanceGuardTests(ITestOutputHelper output)
{
    private static readonly Lazy<Task<Dictionary<string, double>>> Ratios = new(MeasureAsync);

    // recordInfo meets the 1.5x goal for allocations. createTask does not yet: its limit is today's figure plus a
    // margin, so that a regression fails here (see docs/performance.md).
    [Theory]
    [InlineData("recordInfo", 1.5)]
    [InlineData("createTask", 3.2)]
    public async Task client_allocations_stay_within_their_ratio_to_the_hand_written_floor_and_no_time_is_asserted(string operation, double maxAllocationRatio)
    {
        var allocations = (await Ratios.Value)[operation];

        output.WriteLine($"{operation}: allocations {allocations:0.00}x the floor (limit {maxAllocationRatio})");
        allocations.Should().BeLessThanOrEqualTo(maxAllocationRatio);
    }

    private static async Task<Dictionary<string, double>> MeasureAsync()
    {
        var start = new ProcessStartInfo("dotnet", ["run", "-c", "Release", "--project", Path.Combine(Repo.Root, "benchmarks", "KlingGenerated.Benchmarks"), "--", "allocations"])
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await stdout;
        process.ExitCode.Should().Be(0, text + await stderr);
        var ratios = Regex.Matches(text, @"^allocations (\w+) ratio=([\d.]+)", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        ratios.Should().ContainKeys(["createTask", "recordInfo"], "the benchmark prints both ratios:" + Environment.NewLine + text);
        return ratios;
    }
}
