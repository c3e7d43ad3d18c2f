using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KlingGenerated.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace KlingGenerated.Simulator;

/// <summary>
/// The control endpoints under <c>/_simulator/</c>, for black-box tests in any language: health, the tasks created
/// (the ground truth for "no duplicate task" and for rate windows), and reset. They take the same API key as the API,
/// since they show every create body and can erase every task; they answer plain JSON, not the service's envelope.
/// </summary>
public sealed partial class KlingSimulator
{
    /// <summary>The prefix of the control endpoints.</summary>
    public const string ControlPrefix = "/_simulator";

    /// <summary>The simulator's version (its assembly's informational version).</summary>
    public static string Version { get; } =
        typeof(KlingSimulator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The <c>info.version</c> of the OpenAPI document the simulator validates against.</summary>
    public static string SpecVersion => KlingClient.SpecVersion;

    /// <summary>The SHA-256 (lowercase hex) of that document's bytes, as embedded.</summary>
    public static string SpecSha256 => KlingClient.SpecSha256;

    private void MapControl(WebApplication app)
    {
        app.MapGet(ControlPrefix + "/health", context => Control(context, Health));
        app.MapGet(ControlPrefix + "/tasks", context => Control(context, TaskList));
        app.MapPost(ControlPrefix + "/reset", context => Control(context, () =>
        {
            Reset();
            return new JsonObject { ["reset"] = true, ["tasks"] = 0 };
        }));
    }

    private Task Control(HttpContext context, Func<JsonObject> answer) =>
        Authenticate(context.Request) is null
            ? Write(context, 401, new JsonObject { ["error"] = "The control endpoints need the simulator's API key: send Authorization: Bearer KEY." })
            : Write(context, 200, answer());

    private JsonObject Health()
    {
        lock (_gate)
        {
            return new JsonObject
            {
                ["status"] = "ok",
                ["simulatorVersion"] = Version,
                ["specVersion"] = SpecVersion,
                ["specSha256"] = SpecSha256,
                ["tasks"] = _tasks.Count,
                ["credits"] = BalanceLocked(),
                ["stateFile"] = _stateFile?.Path,
            };
        }
    }

    private JsonObject TaskList()
    {
        var now = Now;
        var tasks = new JsonArray();
        foreach (var task in _tasks.Values.Where(t => !t.ExpiredAt(now, _options)).OrderBy(t => t.CreatedAt).ThenBy(t => t.TaskId, StringComparer.Ordinal))
        {
            tasks.Add(new JsonObject
            {
                ["taskId"] = task.TaskId,
                ["state"] = task.StateAt(now, _options),
                ["createdAt"] = task.CreatedAt.ToUnixTimeMilliseconds(),
                ["acceptedAt"] = task.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["acceptedAtUnixNanoseconds"] = task.CreatedAtUnixNanoseconds,
                ["request"] = JsonNode.Parse(task.Param),
            });
        }

        return new JsonObject
        {
            ["rateLimit"] = new JsonObject { ["tasks"] = _options.RateLimit, ["windowMilliseconds"] = _options.RateLimitWindow.TotalMilliseconds },
            ["rateLimited"] = RateLimitedCount,
            ["retentionMilliseconds"] = _options.TaskRetention.TotalMilliseconds,
            ["tasks"] = tasks,
        };
    }
}
