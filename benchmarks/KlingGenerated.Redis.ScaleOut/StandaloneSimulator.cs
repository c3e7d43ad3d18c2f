using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KlingGenerated.Redis.ScaleOut;

/// <summary>The standalone simulator (src/KlingGenerated.Simulator) in its own process, enforcing a scaled createTask limit.</summary>
public sealed partial class StandaloneSimulator : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new();

    private StandaloneSimulator(Process process, Uri baseUrl, string apiKey)
    {
        _process = process;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
    }

    public Uri BaseUrl { get; }

    public string ApiKey { get; }

    /// <summary>Starts it with <paramref name="limit"/> creates per <paramref name="window"/> for <paramref name="apiKey"/>.</summary>
    public static async Task<StandaloneSimulator> StartAsync(string apiKey, int limit, TimeSpan window)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Simulator.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "http://127.0.0.1:0", "--api-key", apiKey,
            "--rate-limit", limit.ToString(CultureInfo.InvariantCulture), "--rate-limit-window-ms", ((long)window.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "--credits", "1000000000"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var banner = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var url = banner is null ? null : BaseUrlPattern().Match(banner);
        if (url is not { Success: true })
        {
            var errors = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The standalone simulator did not start: {banner} {errors}");
        }

        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return new StandaloneSimulator(process, new Uri(url.Value), apiKey);
    }

    /// <summary>Every create the simulator accepted: task id, prompt and the exact time it was accepted.</summary>
    public async Task<IReadOnlyList<AcceptedCreate>> AcceptedCreatesAsync()
    {
        // The control endpoints take the simulator's API key.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUrl, "_simulator/tasks"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        var root = document.RootElement;
        var tasks = root.ValueKind == JsonValueKind.Array ? root : root.TryGetProperty("tasks", out var t) ? t : root.GetProperty("data");
        var accepted = new List<AcceptedCreate>();
        foreach (var task in tasks.EnumerateArray())
        {
            accepted.Add(new AcceptedCreate(task.GetProperty("taskId").GetString()!, PromptOf(task), AcceptedAtOf(task)));
        }

        return accepted;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        _http.Dispose();
    }

    private static string PromptOf(JsonElement task)
    {
        foreach (var name in new[] { "body", "request", "param" })
        {
            if (task.TryGetProperty(name, out var body))
            {
                using var parsed = body.ValueKind == JsonValueKind.String ? JsonDocument.Parse(body.GetString()!) : null;
                var request = parsed?.RootElement ?? body;
                return request.GetProperty("input").GetProperty("prompt").GetString()!;
            }
        }

        throw new InvalidOperationException($"No create body in {task}.");
    }

    private static DateTimeOffset AcceptedAtOf(JsonElement task)
    {
        foreach (var property in task.EnumerateObject().Where(p => p.Name.Contains("accepted", StringComparison.OrdinalIgnoreCase)))
        {
            return property.Value.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(property.Value.GetString()!, CultureInfo.InvariantCulture)
                : DateTimeOffset.UnixEpoch.AddTicks(property.Value.GetInt64());
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(task.GetProperty("createdAt").GetInt64());
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    private static partial Regex BaseUrlPattern();
}

/// <summary>One create the simulator accepted.</summary>
public sealed record AcceptedCreate(string TaskId, string Prompt, DateTimeOffset AcceptedAt);
