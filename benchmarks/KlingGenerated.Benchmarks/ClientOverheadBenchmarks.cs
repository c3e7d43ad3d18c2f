using BenchmarkDotNet.Attributes;

namespace KlingGenerated.Benchmarks;

/// <summary>Per-call client overhead of createTask and recordInfo round trips: serialize, send, read, deserialize, map errors.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ClientOverheadBenchmarks
{
    private readonly Clients _clients = new();

    [Benchmark(Baseline = true), BenchmarkCategory("createTask")]
    public Task<string> CreateTask_Floor() => _clients.Floor.CreateTaskAsync(_clients.FloorRequest, CancellationToken.None);

    [Benchmark, BenchmarkCategory("createTask")]
    public async Task<string> CreateTask_KlingGenerated() => (await _clients.Kling.CreateTaskAsync(_clients.KlingRequest, CancellationToken.None).ConfigureAwait(false)).Data!.TaskId;

    [Benchmark, BenchmarkCategory("createTask")]
    public Task<string> CreateTask_Refit() => _clients.Refit.CreateTaskAsync(_clients.FloorRequest, CancellationToken.None);

    [Benchmark(Baseline = true), BenchmarkCategory("recordInfo")]
    public Task<FloorRecord> RecordInfo_Floor() => _clients.Floor.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None);

    [Benchmark, BenchmarkCategory("recordInfo")]
    public async Task<TaskRecord> RecordInfo_KlingGenerated() => (await _clients.Kling.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None).ConfigureAwait(false)).Data!;

    [Benchmark, BenchmarkCategory("recordInfo")]
    public Task<FloorRecord> RecordInfo_Refit() => _clients.Refit.GetTaskRecordAsync(Clients.TaskId, CancellationToken.None);
}
