using Refit;

namespace KlingGenerated.Benchmarks;

/// <summary>The peer a user would pick: a Refit 16 interface (System.Text.Json) for the same two calls.</summary>
public interface IKlingRefit
{
    [Post("/api/v1/jobs/createTask")]
    Task<FloorEnvelope<FloorCreated>> CreateTaskAsync([Body] FloorCreateTaskRequest request, CancellationToken cancellationToken);

    [Get("/api/v1/jobs/recordInfo")]
    Task<FloorEnvelope<FloorRecord>> GetTaskRecordAsync(string taskId, CancellationToken cancellationToken);
}

/// <summary>Refit plus the same envelope check the floor does.</summary>
public sealed class RefitClient(HttpClient http)
{
    private readonly IKlingRefit _api = RestService.For<IKlingRefit>(http);

    public async Task<string> CreateTaskAsync(FloorCreateTaskRequest request, CancellationToken cancellationToken) =>
        await _api.CreateTaskAsync(request, cancellationToken).ConfigureAwait(false) is { Code: 200, Data: { } data }
            ? data.TaskId
            : throw new InvalidOperationException("Kling error");

    public async Task<FloorRecord> GetTaskRecordAsync(string taskId, CancellationToken cancellationToken) =>
        await _api.GetTaskRecordAsync(taskId, cancellationToken).ConfigureAwait(false) is { Code: 200, Data: { } data }
            ? data
            : throw new InvalidOperationException("Kling error");
}
