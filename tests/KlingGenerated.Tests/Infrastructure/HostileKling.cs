using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Infrastructure;

/// <summary>A stand-in for the Kling service on a <see cref="HostileServer"/>, answering what each CLI test needs (shared by the CLI's hostile-service tests).</summary>
internal static class HostileKling
{
    public const string Model = "kling/v2-5-turbo-text-to-video-pro";

    public static readonly byte[] Video = KlingGenerated.Simulator.KlingSimulator.SampleVideo();

    public static string Envelope(object? data, int code = 200, string msg = "success") =>
        new JObject { ["code"] = code, ["msg"] = msg, ["data"] = data is null ? JValue.CreateNull() : JToken.FromObject(data) }.ToString();

    public static Func<HostileExchange, Task> Json(string body) => HostileServer.Answer(200, body, ("Content-Type", "application/json"));

    public static Func<HostileExchange, Task> Created(string taskId) => Json(Envelope(new { taskId }));

    public static Func<HostileExchange, Task> Record(string taskId, string state, string? failCode = null, string? failMsg = null, string? resultUrl = null) => exchange =>
    {
        resultUrl ??= $"http://{exchange.Request.Header("Host")}/video.mp4";
        var record = new JObject
        {
            ["taskId"] = taskId,
            ["model"] = Model,
            ["state"] = state,
            ["param"] = new JObject { ["model"] = Model, ["input"] = new JObject { ["prompt"] = "x" } }.ToString(Newtonsoft.Json.Formatting.None),
            ["resultJson"] = state == "success" ? new JObject { ["resultUrls"] = new JArray(resultUrl) }.ToString(Newtonsoft.Json.Formatting.None) : string.Empty,
            ["failCode"] = failCode ?? string.Empty,
            ["failMsg"] = failMsg ?? string.Empty,
        };
        return Json(Envelope(record))(exchange);
    };

    /// <summary>A service whose createTask answers <paramref name="taskId"/>, whose task is in <paramref name="state"/> and whose result is <paramref name="video"/>; any answer can be replaced.</summary>
    public static HostileServer Service(string taskId, string state = "success", Func<HostileExchange, Task>? video = null, Func<HostileExchange, Task>? create = null, string? failMsg = null,
        Func<HostileExchange, Task>? record = null, Func<HostileExchange, Task>? credit = null) =>
        HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/jobs/createTask", create ?? Created(taskId)),
            ("/api/v1/jobs/recordInfo", record ?? Record(taskId, state, state == "fail" ? "500" : null, failMsg)),
            ("/api/v1/chat/credit", credit ?? Json(Envelope(42))),
            ("/video.mp4", video ?? HostileServer.Answer(200, Video, ("Content-Type", "video/mp4")))));

    public static string[] Against(HostileServer server, params string[] args) => [.. args, "--base-url", server.BaseUrl.ToString(), "--api-key", "test-key"];

    public static IEnumerable<HostileRequest> Creates(HostileServer server) => server.Requests.Where(r => r.Path == "/api/v1/jobs/createTask");

    public static List<string> ErrorLines(string stderr) => [.. stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal))];
}
