using BenchmarkDotNet.Running;
using KlingGenerated.Benchmarks;

// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- --filter '*'     (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- quick            (seconds: bytes and time per call)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- load [TASKS]     (1,000 tasks against the standalone simulator)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- ratios           (time and allocation ratios to the floor, for docs/performance.md)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- allocations [--check] (bytes per call only, no time; --check fails past the limits below: the benchmark smoke job's guard)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- simulator-memory [TASKS] (the simulator's memory after 50,000 tasks and after retention)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- ledger [LINES LIMIT WINDOW_S] (issue 11: the ledger's cost per task, kling batch throughput; default 200 lines at 20 per 1 s)
if (args is ["ledger", ..])
{
    await (args is [_, var lines, var limit, var window]
        ? LedgerCost.RunAsync(int.Parse(lines, System.Globalization.CultureInfo.InvariantCulture), int.Parse(limit, System.Globalization.CultureInfo.InvariantCulture), double.Parse(window, System.Globalization.CultureInfo.InvariantCulture))
        : LedgerCost.RunAsync());
    return 0;
}

if (args is ["load", ..])
{
    await (args is [_, var tasks] ? LoadTest.RunAsync(int.Parse(tasks, System.Globalization.CultureInfo.InvariantCulture)) : LoadTest.RunAsync());
    return 0;
}

if (args is ["ratios"])
{
    foreach (var (operation, allocations, time) in await QuickMeasure.RatiosAsync())
    {
        Console.WriteLine(FormattableString.Invariant($"ratio {operation} allocations={allocations:0.000} time={time:0.000}"));
    }

    return 0;
}

if (args is ["simulator-memory", ..])
{
    await (args is [_, var tasks] ? SimulatorMemory.RunAsync(int.Parse(tasks, System.Globalization.CultureInfo.InvariantCulture)) : SimulatorMemory.RunAsync());
    return 0;
}

if (args is ["allocations", ..])
{
    // The allocation guard (bytes per call are exact: the in-memory service completes synchronously; time is never checked).
    // recordInfo meets the 1.5x goal; createTask does not yet: its limit is today's figure plus a margin, so a regression fails.
    // createTask measured 3.28x on 2026-12-07 (9432 bytes against 2872): a mapped request writes its `model` through its own
    // contract instead of the generated converter's JObject tree (5.36x before). Writing and validating the body, the outcome,
    // the journal and the spend gate make up the rest.
    var limits = new Dictionary<string, double> { ["recordInfo"] = 1.5, ["createTask"] = 3.6 };
    var exceeded = 0;
    foreach (var (operation, ours, floor) in await QuickMeasure.AllocationsAsync())
    {
        var ratio = (double)ours / floor;
        var over = limits.TryGetValue(operation, out var limit) && ratio > limit;
        exceeded += over ? 1 : 0;
        Console.WriteLine(FormattableString.Invariant($"allocations {operation} ratio={ratio:0.000} ours={ours} floor={floor} limit={limit:0.0}{(over ? " EXCEEDED" : string.Empty)}"));
    }

    return args is [_, "--check"] && exceeded > 0 ? 1 : 0;
}

if (args is ["quick"])
{
    foreach (var result in await QuickMeasure.AllAsync())
    {
        Console.WriteLine($"{result.Name,-28} {result.BytesPerCall,8} B/call {result.MicrosecondsPerCall,8:0.0} us/call");
    }

    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(ClientOverheadBenchmarks).Assembly).Run(args);
return 0;
