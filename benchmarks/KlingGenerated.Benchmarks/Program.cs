using BenchmarkDotNet.Running;
using KlingGenerated.Benchmarks;

// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- --filter '*'     (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- quick            (seconds: bytes and time per call)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- load             (1,000 tasks against the standalone simulator)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- ratios           (time and allocation ratios to the floor, for docs/performance.md)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- allocations      (the test suite's guard: bytes per call only, no time)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- simulator-memory (the simulator's memory after 50,000 tasks and after retention)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- ledger [LINES LIMIT WINDOW_S] (issue 11: the ledger's cost per task, kling batch throughput; default 200 lines at 20 per 1 s)
if (args is ["ledger", ..])
{
    await (args is [_, var lines, var limit, var window]
        ? LedgerCost.RunAsync(int.Parse(lines, System.Globalization.CultureInfo.InvariantCulture), int.Parse(limit, System.Globalization.CultureInfo.InvariantCulture), double.Parse(window, System.Globalization.CultureInfo.InvariantCulture))
        : LedgerCost.RunAsync());
    return;
}

if (args is ["load"])
{
    await LoadTest.RunAsync();
    return;
}

if (args is ["ratios"])
{
    foreach (var (operation, allocations, time) in await QuickMeasure.RatiosAsync())
    {
        Console.WriteLine(FormattableString.Invariant($"ratio {operation} allocations={allocations:0.000} time={time:0.000}"));
    }

    return;
}

if (args is ["simulator-memory"])
{
    await SimulatorMemory.RunAsync();
    return;
}

if (args is ["allocations"])
{
    foreach (var (operation, ours, floor) in await QuickMeasure.AllocationsAsync())
    {
        Console.WriteLine(FormattableString.Invariant($"allocations {operation} ratio={(double)ours / floor:0.000} ours={ours} floor={floor}"));
    }

    return;
}

if (args is ["quick"])
{
    foreach (var result in await QuickMeasure.AllAsync())
    {
        Console.WriteLine($"{result.Name,-28} {result.BytesPerCall,8} B/call {result.MicrosecondsPerCall,8:0.0} us/call");
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ClientOverheadBenchmarks).Assembly).Run(args);
