using BenchmarkDotNet.Running;
using KlingGenerated.Benchmarks;

// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- --filter '*'     (BenchmarkDotNet)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- quick            (seconds: bytes and time per call)
// dotnet run -c Release --project benchmarks/KlingGenerated.Benchmarks -- load             (1,000 tasks against the standalone simulator)
if (args is ["load"])
{
    await LoadTest.RunAsync();
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
