using System.Diagnostics;

namespace KlingGenerated.Benchmarks;

/// <summary>
/// A quick, deterministic measure for the CI guard: allocated bytes per call (exact on one thread, since the in-memory
/// service completes synchronously) and mean time per call, for a client and the floor in the same run.
/// </summary>
public static class QuickMeasure
{
    public sealed record Result(string Name, long BytesPerCall, double MicrosecondsPerCall);

    public static async Task<Result> RunAsync(string name, Func<Task> call, int warmup = 300, int measured = 3000)
    {
        for (var i = 0; i < warmup; i++)
        {
            await call().ConfigureAwait(false);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            await call().ConfigureAwait(false);
        }

        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < measured; i++)
        {
            await call().ConfigureAwait(false);
        }

        return new Result(name, bytes, watch.Elapsed.TotalMicroseconds / measured);
    }

    /// <summary>
    /// The guard's figures: KlingGenerated against the floor, allocations (exact) and time (best of 5 interleaved rounds).
    /// Prints lines "ratio OPERATION allocations=X time=Y".
    /// </summary>
    public static async Task<IReadOnlyList<(string Operation, double Allocations, double Time)>> RatiosAsync()
    {
        var c = new Clients();
        var pairs = new (string, Func<Task>, Func<Task>)[]
        {
            ("createTask", () => c.Kling.CreateTaskAsync(c.KlingRequest, CancellationToken.None), () => c.Floor.CreateTaskAsync(c.FloorRequest, CancellationToken.None)),
            ("recordInfo", () => c.Kling.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None), () => c.Floor.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None)),
        };
        var results = new List<(string, double, double)>();
        foreach (var (operation, ours, floor) in pairs)
        {
            double allocations = double.MaxValue, time = double.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var a = await RunAsync("KlingGenerated", ours, warmup: 3000, measured: 10000).ConfigureAwait(false);
                var b = await RunAsync("floor", floor, warmup: 3000, measured: 10000).ConfigureAwait(false);
                allocations = Math.Min(allocations, (double)a.BytesPerCall / b.BytesPerCall);
                time = Math.Min(time, a.MicrosecondsPerCall / b.MicrosecondsPerCall);
            }

            results.Add((operation, allocations, time));
        }

        return results;
    }

    /// <summary>
    /// The test suite's guard: allocated bytes per call, KlingGenerated against the floor, which are exact on one
    /// thread (the in-memory service completes synchronously). No time is measured here: time is not asserted in tests.
    /// Prints lines "allocations OPERATION ratio=X ours=B floor=B".
    /// </summary>
    public static async Task<IReadOnlyList<(string Operation, long Ours, long Floor)>> AllocationsAsync()
    {
        var c = new Clients();
        var pairs = new (string, Func<Task>, Func<Task>)[]
        {
            ("createTask", () => c.Kling.CreateTaskAsync(c.KlingRequest, CancellationToken.None), () => c.Floor.CreateTaskAsync(c.FloorRequest, CancellationToken.None)),
            ("recordInfo", () => c.Kling.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None), () => c.Floor.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None)),
        };
        var results = new List<(string, long, long)>();
        foreach (var (operation, ours, floor) in pairs)
        {
            results.Add((operation, await BytesPerCallAsync(ours).ConfigureAwait(false), await BytesPerCallAsync(floor).ConfigureAwait(false)));
        }

        return results;
    }

    private static async Task<long> BytesPerCallAsync(Func<Task> call)
    {
        for (var i = 0; i < 3000; i++)
        {
            await call().ConfigureAwait(false);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            await call().ConfigureAwait(false);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
    }

    public static async Task<IReadOnlyList<Result>> AllAsync()
    {
        var c = new Clients();
        return
        [
            await RunAsync("createTask floor", () => c.Floor.CreateTaskAsync(c.FloorRequest, CancellationToken.None)),
            await RunAsync("createTask KlingGenerated", () => c.Kling.CreateTaskAsync(c.KlingRequest, CancellationToken.None)),
            await RunAsync("createTask Refit", () => c.Refit.CreateTaskAsync(c.FloorRequest, CancellationToken.None)),
            await RunAsync("recordInfo floor", () => c.Floor.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None)),
            await RunAsync("recordInfo KlingGenerated", () => c.Kling.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None)),
            await RunAsync("recordInfo Refit", () => c.Refit.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None)),
        ];
    }
}
