using System.Text.Json.Nodes;

namespace KlingGenerated.Simulator;

/// <summary>A task the simulator created; its state follows from the time elapsed since creation.</summary>
/// <param name="TaskId">Its id.</param>
/// <param name="KeyId">The SHA-256 of the API key that created it (never the key itself, so the state file holds no secret).</param>
/// <param name="Param">The create request with only the fields the document declares (unknown fields are not kept).</param>
/// <param name="CallBackUrl">Where its callback goes, if anywhere.</param>
/// <param name="Fails">It ends in <c>fail</c> (fault <c>generation-failed</c>).</param>
/// <param name="CreatedAt">When its create was accepted; its state and rate window follow from it.</param>
internal sealed record SimulatedTask(string TaskId, string KeyId, string Param, Uri? CallBackUrl, bool Fails, DateTimeOffset CreatedAt)
{
    /// <summary>The model the task was created for: the <c>model</c> of its validated request, as it was sent.</summary>
    public string? Model { get; } = ModelOf(Param);

    /// <summary>The task id prefix the service gives a model's tasks: its family, the model id up to its first '/' (<c>task_{family}_…</c>).</summary>
    public static string TaskIdPrefix(string? model) =>
        "task_" + new string((model?.Split('/')[0] ?? string.Empty).Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.').ToArray()) + "_";

    private static string? ModelOf(string param) => JsonNode.Parse(param)?["model"] is JsonValue model && model.TryGetValue<string>(out var id) ? id : null;

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

    /// <summary>What the task was charged: <see cref="KlingSimulatorOptions.CreditsPerTask"/> when set, else the document's price of its request.</summary>
    public long Credits(KlingSimulatorOptions options) => options.CreditsPerTask ?? PriceOf(Param);

    // The simulated service charges what the document says, unverified prices included.
    private static readonly KlingPricing Prices = KlingPricing.Document.WithUnverifiedPrices();

    /// <summary>
    /// The document's price (x-kling-pricing) of a create request's declared fields; 0 for a request the document does not price.
    /// A price the document marks unverified is charged too: the simulated service charges what the document says it does.
    /// </summary>
    public static long PriceOf(string param) => (long)Math.Ceiling(Prices.PriceOf(param) ?? 0m);

    public bool ExpiredAt(DateTimeOffset now, KlingSimulatorOptions options) => now - CreatedAt >= options.TaskRetention;

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
            ["model"] = Model,
            ["state"] = state,
            ["param"] = Param,
            ["resultJson"] = state == "success" ? new JsonObject { ["resultUrls"] = new JsonArray(new Uri(baseUrl, $"files/{TaskId}.mp4").AbsoluteUri) }.ToJsonString(KlingSimulator.Json) : string.Empty,
            ["failCode"] = state == "fail" ? "500" : string.Empty,
            ["failMsg"] = state == "fail" ? "Simulated generation failure (fault generation-failed)." : string.Empty,
            ["costTime"] = ended ? (long)(completeTime - CreatedAt).TotalMilliseconds : null,
            ["createTime"] = CreatedAt.ToUnixTimeMilliseconds(),
            ["completeTime"] = ended ? completeTime.ToUnixTimeMilliseconds() : null,
            ["updateTime"] = (ended ? completeTime : now).ToUnixTimeMilliseconds(),
            // Charged when the create was accepted, as the balance says (GET /api/v1/chat/credit), whatever the task's end.
            ["creditsConsumed"] = Credits(options),
        };
    }

    /// <summary>Nanoseconds since the Unix epoch: exact (a multiple of 100), unlike milliseconds, for rate-window checks.</summary>
    public long CreatedAtUnixNanoseconds => (CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public static DateTimeOffset FromUnixNanoseconds(long nanoseconds) => new(DateTimeOffset.UnixEpoch.UtcTicks + (nanoseconds / 100), TimeSpan.Zero);
}
