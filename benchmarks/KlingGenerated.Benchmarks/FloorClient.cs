using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace KlingGenerated.Benchmarks;

/// <summary>The floor: what a user would write by hand with HttpClient and System.Text.Json source generation, error check included.</summary>
public sealed class FloorClient(HttpClient http)
{
    public async Task<string> CreateTaskAsync(FloorCreateTaskRequest request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/v1/jobs/createTask", request, FloorJson.Default.FloorCreateTaskRequest, cancellationToken).ConfigureAwait(false);
        var envelope = await response.Content.ReadFromJsonAsync(FloorJson.Default.FloorEnvelopeFloorCreated, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode && envelope is { Code: 200, Data: { } data }
            ? data.TaskId
            : throw new InvalidOperationException($"Kling error {envelope?.Code}: {envelope?.Msg}");
    }

    public async Task<FloorRecord> GetTaskRecordAsync(string taskId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("api/v1/jobs/recordInfo?taskId=" + Uri.EscapeDataString(taskId), cancellationToken).ConfigureAwait(false);
        var envelope = await response.Content.ReadFromJsonAsync(FloorJson.Default.FloorEnvelopeFloorRecord, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode && envelope is { Code: 200, Data: { } data }
            ? data
            : throw new InvalidOperationException($"Kling error {envelope?.Code}: {envelope?.Msg}");
    }
}

public sealed record FloorCreateTaskRequest(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("callBackUrl"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CallBackUrl,
    [property: JsonPropertyName("input")] FloorInput Input);

public sealed record FloorInput(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("duration"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Duration,
    [property: JsonPropertyName("aspect_ratio"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AspectRatio,
    [property: JsonPropertyName("negative_prompt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NegativePrompt,
    [property: JsonPropertyName("cfg_scale"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? CfgScale);

public sealed record FloorEnvelope<T>([property: JsonPropertyName("code")] int Code, [property: JsonPropertyName("msg")] string? Msg, [property: JsonPropertyName("data")] T? Data);

public sealed record FloorCreated([property: JsonPropertyName("taskId")] string TaskId);

public sealed record FloorRecord(
    [property: JsonPropertyName("taskId")] string TaskId,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("resultJson")] string? ResultJson,
    [property: JsonPropertyName("failCode")] string? FailCode,
    [property: JsonPropertyName("failMsg")] string? FailMsg,
    [property: JsonPropertyName("costTime")] long? CostTime,
    [property: JsonPropertyName("createTime")] long? CreateTime,
    [property: JsonPropertyName("completeTime")] long? CompleteTime,
    [property: JsonPropertyName("updateTime")] long? UpdateTime,
    [property: JsonPropertyName("creditsConsumed")] double? CreditsConsumed);

[JsonSerializable(typeof(FloorCreateTaskRequest))]
[JsonSerializable(typeof(FloorEnvelope<FloorCreated>), TypeInfoPropertyName = "FloorEnvelopeFloorCreated")]
[JsonSerializable(typeof(FloorEnvelope<FloorRecord>), TypeInfoPropertyName = "FloorEnvelopeFloorRecord")]
internal sealed partial class FloorJson : JsonSerializerContext;
