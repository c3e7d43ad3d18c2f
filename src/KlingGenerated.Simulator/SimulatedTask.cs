using System.Text.Json.Nodes;

namespace KlingGenerated.Simulator;

/// <summary>A task the simulator created; its state follows from the time elapsed since creation.</summary>
internal sealed class SimulatedTask(string taskId, string apiKey, string param, Uri? callBackUrl, bool fails, DateTimeOffset createdAt)
{
    public string TaskId { get; } = taskId;

    public string ApiKey { get; } = apiKey;

    public string Param { get; } = param;

    public Uri? CallBackUrl { get; } = callBackUrl;

    public bool Fails { get; } = fails;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public string StateAt(DateTimeOffset now, KlingSimulatorOptions options)
    {
        var elapsed = now - CreatedAt;
        if (elapsed < options.WaitingFor)
        {
            return "waiting";
        }

        if (elapsed < options.WaitingFor + options.QueuingFor)
        {
            return "queuing";
        }

        return elapsed < Duration(options) ? "generating" : Fails ? "fail" : "success";
    }

    public static TimeSpan Duration(KlingSimulatorOptions options) => options.WaitingFor + options.QueuingFor + options.GeneratingFor;

    /// <summary>The record as the task query and the callback send it.</summary>
    public JsonObject ToRecord(DateTimeOffset now, KlingSimulatorOptions options, Uri baseUrl)
    {
        var state = StateAt(now, options);
        var ended = state is "success" or "fail";
        var completeTime = CreatedAt + Duration(options);
        return new JsonObject
        {
            ["taskId"] = TaskId,
            ["model"] = "kling/v2-5-turbo-text-to-video-pro",
            ["state"] = state,
            ["param"] = Param,
            ["resultJson"] = state == "success" ? new JsonObject { ["resultUrls"] = new JsonArray(new Uri(baseUrl, $"files/{TaskId}.mp4").AbsoluteUri) }.ToJsonString(KlingSimulator.Json) : string.Empty,
            ["failCode"] = state == "fail" ? "500" : string.Empty,
            ["failMsg"] = state == "fail" ? "Simulated generation failure (fault generation-failed)." : string.Empty,
            ["costTime"] = ended ? (long)(completeTime - CreatedAt).TotalMilliseconds : null,
            ["createTime"] = CreatedAt.ToUnixTimeMilliseconds(),
            ["completeTime"] = ended ? completeTime.ToUnixTimeMilliseconds() : null,
            ["updateTime"] = (ended ? completeTime : now).ToUnixTimeMilliseconds(),
            ["creditsConsumed"] = state == "success" ? options.CreditsPerTask : 0,
        };
    }
}
