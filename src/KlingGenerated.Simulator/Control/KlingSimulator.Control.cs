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
        Route(app, "GET", ControlPrefix + "/health", context => Control(context, Health));
        Route(app, "GET", ControlPrefix + "/tasks", context => Control(context, TaskList));
        Route(app, "POST", ControlPrefix + "/reset", context => Control(context, () =>
        {
            Reset();
            return new JsonObject { ["reset"] = true, ["tasks"] = 0 };
        }));
        Route(app, "GET", ControlPrefix + "/fault", context => Control(context, FaultState));
        Route(app, "PUT", ControlPrefix + "/fault", SetFaultAsync);
        Route(app, "DELETE", ControlPrefix + "/fault", context => Control(context, () =>
        {
            _fault = null;
            return FaultState();
        }));

        // The documents are public (they hold no task and no key): a porter's CI fetches them before it has a key.
        Route(app, "GET", ControlPrefix + "/openapi.yaml", context => ServeDocumentAsync(context, ServiceDocument.Value));
        Route(app, "GET", ControlPrefix + "/control.openapi.yaml", context => ServeDocumentAsync(context, ControlDocument.Value));
    }

    /// <summary>openapi/kling.openapi.yaml exactly as embedded in KlingGenerated.dll, the document the simulator validates against.</summary>
    private static readonly Lazy<byte[]> ServiceDocument = new(() => Resource(typeof(KlingClient).Assembly, "kling.openapi.yaml"));

    /// <summary>openapi/simulator-control.openapi.yaml: the document of these control endpoints.</summary>
    private static readonly Lazy<byte[]> ControlDocument = new(() => Resource(typeof(KlingSimulator).Assembly, "simulator-control.openapi.yaml"));

    private static byte[] Resource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in {assembly.GetName().Name}.dll; rebuild it.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static Task ServeDocumentAsync(HttpContext context, byte[] document)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/yaml";
        context.Response.ContentLength = document.Length;
        return context.Response.Body.WriteAsync(document, context.RequestAborted).AsTask();
    }

    private JsonObject FaultState() => new() { ["fault"] = _fault };

    /// <summary>PUT /_simulator/fault with <c>{"fault":"maintenance"}</c>: the fault every request gets from now on (the header still wins).</summary>
    private async Task SetFaultAsync(HttpContext context)
    {
        if (Authenticate(context.Request) is null)
        {
            await Control(context, FaultState).ConfigureAwait(false);
            return;
        }

        string? fault;
        try
        {
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            fault = body?["fault"] is JsonValue value && value.TryGetValue<string>(out var text) ? text
                : body?["fault"] is null && body is JsonObject ? null
                : throw new FormatException("\"fault\" must be a string (or null to clear).");
            _ = SimulatorFault.Parse(fault);
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            await Write(context, 400, new JsonObject { ["error"] = $"Send {{\"fault\":\"NAME[,NAME...]\"}}: {exception.Message}" }).ConfigureAwait(false);
            return;
        }

        _fault = string.IsNullOrWhiteSpace(fault) ? null : fault;
        await Write(context, 200, FaultState()).ConfigureAwait(false);
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
