using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KlingGenerated.Redis.ScaleOut;

/// <summary>
/// One worker process: submits its share of createTasks at once through the real AddKlingClient pipeline (with or
/// without AddRedisPacing), after the driver says "go" on stdin. Writes one JSON line per submission and a summary.
/// </summary>
public static class Worker
{
    public static async Task<int> RunAsync(WorkerSettings settings)
    {
        var attempts = 0;
        var rateLimited = 0;
        var warnings = 0;
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new CountingLoggerProvider(() => Interlocked.Increment(ref warnings))));
        var client = services.AddKlingClient(o =>
        {
            o.ApiKey = settings.ApiKey;
            o.BaseUrl = settings.BaseUrl;
            o.Resilience.CreateTaskPermitLimit = settings.Limit;
            o.Resilience.CreateTaskWindow = settings.Window;
            o.Resilience.CreateTaskPacingMargin = settings.Margin;
            // Every 429 is retried until the submission is created, so each run ends with every submission accounted for.
            o.Resilience.MaxRetries = 50;
            o.Resilience.BaseDelay = TimeSpan.FromMilliseconds(200);
            o.Resilience.MaxDelay = TimeSpan.FromSeconds(2);
        });
        if (settings.Redis is not null)
        {
            client.AddRedisPacing(settings.Redis, o => o.WhenUnavailable = settings.WhenUnavailable);
        }

        // Inside the resilience handler: sees every attempt, retries included.
        client.AddHttpMessageHandler(() => new CountingHandler(() => Interlocked.Increment(ref attempts), () => Interlocked.Increment(ref rateLimited)));
        await using var provider = services.BuildServiceProvider();
        var kling = provider.GetRequiredService<IKlingClient>();
        _ = provider.GetRequiredService<IKlingCreateTaskPacer>(); // connects to Redis before the start

        Console.WriteLine("ready");
        if (await Console.In.ReadLineAsync().ConfigureAwait(false) != "go")
        {
            return 2;
        }

        var output = new object();
        await Task.WhenAll(Enumerable.Range(0, settings.Count).Select(async i =>
        {
            var prompt = string.Create(CultureInfo.InvariantCulture, $"{settings.Name}-{i:D4}");
            var line = new SubmissionLine { Prompt = prompt };
            try
            {
                var created = await kling.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = prompt } }, CancellationToken.None).ConfigureAwait(false);
                line.TaskId = created.Data!.TaskId;
            }
            catch (Exception exception)
            {
                line.Error = exception.GetType().Name;
                line.Message = exception.Message;
            }

            var json = JsonSerializer.Serialize(line);
            lock (output)
            {
                Console.WriteLine(json);
            }
        })).ConfigureAwait(false);

        Console.WriteLine(JsonSerializer.Serialize(new SummaryLine { Attempts = attempts, RateLimited = rateLimited, Warnings = warnings }));
        return 0;
    }

    private sealed class CountingHandler(Action attempt, Action rateLimited) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (request.Method == HttpMethod.Post)
            {
                attempt();
                if ((int)response.StatusCode == 429)
                {
                    rateLimited();
                }
            }

            return response;
        }
    }

    private sealed class CountingLoggerProvider(Action warning) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(warning);

        public void Dispose()
        {
        }

        private sealed class Logger(Action warning) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Warning)
                {
                    warning();
                    Console.Error.WriteLine($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}

/// <summary>What one worker does.</summary>
public sealed record WorkerSettings(string Name, Uri BaseUrl, string ApiKey, int Count, int Limit, TimeSpan Window, TimeSpan Margin, string? Redis, RedisUnavailableMode WhenUnavailable)
{
    public IEnumerable<string> ToArguments()
    {
        string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        yield return "worker";
        foreach (var (name, value) in new[]
        {
            ("--name", Name), ("--base-url", BaseUrl.AbsoluteUri), ("--api-key", ApiKey), ("--count", Count.ToString(CultureInfo.InvariantCulture)),
            ("--limit", Limit.ToString(CultureInfo.InvariantCulture)), ("--window-ms", Ms(Window)), ("--margin-ms", Ms(Margin)),
            ("--redis", Redis ?? string.Empty), ("--when-unavailable", WhenUnavailable.ToString()),
        })
        {
            yield return name;
            yield return value;
        }
    }

    public static WorkerSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Count; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        TimeSpan Ms(string name) => TimeSpan.FromMilliseconds(long.Parse(values[name], CultureInfo.InvariantCulture));
        return new WorkerSettings(values["--name"], new Uri(values["--base-url"]), values["--api-key"], int.Parse(values["--count"], CultureInfo.InvariantCulture),
            int.Parse(values["--limit"], CultureInfo.InvariantCulture), Ms("--window-ms"), Ms("--margin-ms"),
            values["--redis"] is { Length: > 0 } redis ? redis : null, Enum.Parse<RedisUnavailableMode>(values["--when-unavailable"]));
    }
}

/// <summary>One submission's outcome, as a worker reports it.</summary>
public sealed class SubmissionLine
{
    public string Prompt { get; set; } = "";

    public string? TaskId { get; set; }

    public string? Error { get; set; }

    public string? Message { get; set; }
}

/// <summary>A worker's counters.</summary>
public sealed class SummaryLine
{
    public int Attempts { get; set; }

    public int RateLimited { get; set; }

    public int Warnings { get; set; }
}
